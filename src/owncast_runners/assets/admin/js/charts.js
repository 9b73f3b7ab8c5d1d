// A small line chart for [{time, value}] series (viewers over time, hardware usage), in SVG.
import { el } from '/js/dom.js';

export function lineChart(points, { max = null, unit = '', label = '' } = {}) {
  const width = 320;
  const height = 90;
  const values = (points || []).map((p) => Number(p.value) || 0);
  const top = max ?? Math.max(1, ...values);
  const last = values.length ? values[values.length - 1] : null;
  const svg = el('svg:svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img',
    'aria-label': `${label}: ${last === null ? 'no data' : last + unit}` });
  svg.append(el('svg:line', { x1: 0, y1: height - 1, x2: width, y2: height - 1, class: 'chart-axis' }));
  if (values.length > 1) {
    const step = width / (values.length - 1);
    const coords = values.map((v, i) => `${(i * step).toFixed(1)},${(height - 4 - (v / top) * (height - 8)).toFixed(1)}`);
    svg.append(el('svg:polyline', { points: coords.join(' '), class: 'chart-line' }));
  }
  return el('figure', { class: 'chart-box' },
    el('figcaption', {}, label, el('strong', {}, last === null ? '—' : `${Math.round(last * 10) / 10}${unit}`)),
    svg);
}
