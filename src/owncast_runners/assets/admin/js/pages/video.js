// Video: output variants (qualities), latency level and encoder.
import { automaticName, card, listSetting, serverConfig, setting } from '../forms.js';

const LATENCY = [
  { value: 0, label: '0 · lowest latency (1 s segments, least buffer)' },
  { value: 1, label: '1 · low' },
  { value: 2, label: '2 · medium (default)' },
  { value: 3, label: '3 · high' },
  { value: 4, label: '4 · highest (most buffer, fewest stalls)' },
];
const CPU = [0, 1, 2, 3, 4].map((v) => ({ value: v, label: ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast'][v] }));

/** serverconfig reports computed names; show those as empty (automatic) so that saving the page
 * does not turn them into custom names that no longer match after an edit. */
const withoutAutomaticName = (v) => (v.name === automaticName(v) ? { ...v, name: '' } : v);

export async function render(root) {
  const c = await serverConfig();
  const video = c.videoSettings || {};
  const codecs = (c.supportedCodecs || [c.videoCodec || 'libx264']).map((x) => ({ value: x, label: x }));
  root.append(
    card('Latency',
      setting({ name: 'video/streamlatencylevel', label: 'Latency level', type: 'select', options: LATENCY,
        value: video.latencyLevel, numeric: true, help: 'Applies to the next broadcast.' })),
    card('Output variants', listSetting({
      name: 'video/streamoutputvariants', value: (video.videoQualityVariants || []).map(withoutAutomaticName),
      addLabel: 'Add variant',
      help: 'Each variant is one quality viewers can pick. Bitrates in kbps; leave width/height 0 to keep the source size.',
      newItem: () => ({ videoBitrate: 1200, audioPassthrough: true, audioBitrate: 0, framerate: 24, cpuUsageLevel: 2 }),
      fields: [
        { key: 'name', label: 'Name', placeholder: 'automatic' },
        { key: 'videoPassthrough', label: 'Video passthrough', type: 'checkbox' },
        { key: 'videoBitrate', label: 'Video kbps', type: 'number' },
        { key: 'scaledWidth', label: 'Width', type: 'number' },
        { key: 'scaledHeight', label: 'Height', type: 'number' },
        { key: 'framerate', label: 'FPS', type: 'number' },
        { key: 'cpuUsageLevel', label: 'Encoder speed', type: 'select', options: CPU, numeric: true },
        { key: 'audioPassthrough', label: 'Audio passthrough', type: 'checkbox' },
        { key: 'audioBitrate', label: 'Audio kbps', type: 'number' },
      ],
    })),
    card('Encoder',
      setting({ name: 'video/codec', label: 'Video encoder', type: 'select', options: codecs, value: c.videoCodec })));
}
