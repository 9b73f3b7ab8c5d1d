// Tiny DOM helpers. Strings always become text nodes: untrusted text is never parsed as HTML.
// The only HTML insertion is `html()`, reserved for markup the server rendered and sanitised.

/**
 * el('a', {href: url, class: 'x', onclick: fn}, 'text', childNode, [more, children])
 * Attributes named on* become event listeners; `class`, `dataset`, `hidden` work as expected;
 * null/undefined/false attributes and children are skipped.
 */
export function el(tag, attrs = {}, ...children) {
  const node = tag.includes(':')
    ? document.createElementNS('http://www.w3.org/2000/svg', tag.split(':')[1])
    : document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      node.addEventListener(name.slice(2), value);
    } else if (name === 'dataset') {
      Object.assign(node.dataset, value);
    } else if (name === 'value' && 'value' in node) {
      node.value = value;
    } else if (name === 'checked' || name === 'selected' || name === 'disabled') {
      node[name] = Boolean(value);
    } else {
      node.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node, ...children) {
  node.replaceChildren();
  return append(node, children);
}

/** Put server-rendered (and server-sanitised) HTML into `node`. */
export function html(node, markup) {
  node.innerHTML = markup || '';
  for (const link of node.querySelectorAll('a[href^="http"]')) {
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
  }
  return node;
}

export function formatDuration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n) => String(n).padStart(2, '0');
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}
