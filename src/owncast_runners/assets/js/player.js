// The HLS player: hls.js where Media Source Extensions exist, the browser's native HLS otherwise.
// Knows the live/offline state, offers every variant of /api/video/variants plus "Auto", pings
// /api/ping while playing and reports playback health to /api/metrics/playback.
import { el, clear, html, icon } from './dom.js';
import { getJSON, postJSON } from './api.js';

const MASTER_PLAYLIST = '/hls/stream.m3u8';
const PING_INTERVAL_MS = 10_000;
const METRICS_INTERVAL_MS = 10_000;
const DEFAULT_OFFLINE = 'This stream is offline. Be sure to come back and check again soon!';

async function loadHls() {
  try {
    return (await import('/vendor/hls.min.mjs')).default;
  } catch (error) {
    console.warn('hls.js unavailable, using native HLS only', error);
    return null;
  }
}

export class Player {
  constructor(root, { offlineMessage = '' } = {}) {
    this.root = root;
    this.offlineMessage = offlineMessage;
    this.online = null;
    this.hls = null;
    this.started = false;
    this.variants = [];
    this.metrics = { errors: 0, qualityVariantChanges: 0, downloads: [] };
    this.video = el('video', { playsinline: true, controls: true, preload: 'none', poster: this.posterUrl() });
    this.overlay = el('div', { class: 'player-offline' });
    this.unmute = el('button', { class: 'player-unmute', type: 'button', hidden: true,
      onclick: () => { this.video.muted = false; this.unmute.hidden = true; } }, icon('muted'), ' Tap to unmute');
    this.quality = el('select', { class: 'player-quality', 'aria-label': 'Video quality', hidden: true,
      onchange: () => this.selectQuality(Number(this.quality.value)) });
    clear(root, el('div', { class: 'player-frame' }, this.video, this.overlay, this.unmute),
      el('div', { class: 'player-bar' }, this.quality));
    this.hlsLibrary = loadHls();
    setInterval(() => this.ping(), PING_INTERVAL_MS);
    setInterval(() => this.sendMetrics(), METRICS_INTERVAL_MS);
  }

  posterUrl() {
    return `/thumbnail.jpg?t=${Date.now()}`;
  }

  get playing() {
    return this.started && !this.video.paused && !this.video.ended;
  }

  /** Follow /api/status: start when the stream goes live, stop when it ends. */
  setOnline(online) {
    if (online && !this.started) this.start();
    if (!online && (this.started || this.online === null)) this.stop();
    this.online = online;
  }

  async start() {
    this.started = true;
    this.video.controls = true;
    this.root.classList.add('is-live');
    this.overlay.hidden = true;
    this.video.poster = this.posterUrl();
    const Hls = await this.hlsLibrary;
    if (!this.started) return;
    if (Hls && Hls.isSupported()) {
      this.attachHls(Hls);
    } else if (this.video.canPlayType('application/vnd.apple.mpegurl')) {
      this.video.src = MASTER_PLAYLIST;
      this.play();
    } else {
      this.showOffline('Your browser cannot play this live stream.');
    }
    this.loadVariants();
  }

  attachHls(Hls) {
    const hls = new Hls({ liveDurationInfinity: true, backBufferLength: 30 });
    this.hls = hls;
    hls.on(Hls.Events.MANIFEST_PARSED, () => this.play());
    let level = null;
    hls.on(Hls.Events.LEVEL_SWITCHED, (_event, data) => {
      if (level !== null && data.level !== level) this.metrics.qualityVariantChanges += 1;
      level = data.level;
    });
    hls.on(Hls.Events.FRAG_LOADED, (_event, data) => {
      const loading = data.frag.stats.loading;
      if (loading.end > loading.start) this.metrics.downloads.push((loading.end - loading.start) / 1000);
    });
    hls.on(Hls.Events.ERROR, (_event, data) => {
      this.metrics.errors += 1;
      if (!data.fatal) return;
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
        hls.recoverMediaError();
      } else {
        // The playlist may not exist yet (or any more): start over on the next status poll.
        this.detach();
        this.started = false;
      }
    });
    hls.attachMedia(this.video);
    hls.loadSource(MASTER_PLAYLIST);
  }

  play() {
    this.video.play().catch((error) => {
      if (error.name !== 'NotAllowedError') return;
      // Autoplay with sound was refused: play muted and offer to unmute.
      this.video.muted = true;
      this.unmute.hidden = false;
      this.video.play().catch(() => {});
    });
  }

  detach() {
    if (this.hls) {
      this.hls.destroy();
      this.hls = null;
    }
    this.video.removeAttribute('src');
    this.video.load();
  }

  stop() {
    this.started = false;
    this.video.controls = false;
    this.root.classList.remove('is-live');
    this.detach();
    this.quality.hidden = true;
    this.showOffline();
  }

  showOffline(text) {
    this.video.poster = this.posterUrl();
    const message = el('div', { class: 'player-offline-message' });
    if (text) message.textContent = text;
    else if (this.offlineMessage) html(message, this.offlineMessage);
    else message.textContent = DEFAULT_OFFLINE;
    clear(this.overlay, el('strong', {}, 'Offline'), message);
    this.overlay.hidden = false;
  }

  async loadVariants() {
    try {
      this.variants = await getJSON('/api/video/variants');
    } catch {
      this.variants = [];
    }
    const canChoose = Boolean(this.hls) && this.variants.length > 1;
    clear(this.quality,
      el('option', { value: -1 }, 'Auto'),
      this.variants.map((v) => el('option', { value: v.index }, v.name)));
    this.quality.hidden = !canChoose;
  }

  /** hls.js orders levels by bitrate; find the one whose playlist is variant `index`'s. */
  levelFor(index) {
    const pattern = new RegExp(`(^|/)${index}/stream\\.m3u8(\\?|$)`);
    const levels = this.hls ? this.hls.levels : [];
    const byUrl = levels.findIndex((level) => [level.url].flat().some((u) => pattern.test(u)));
    return byUrl >= 0 ? byUrl : Math.min(index, levels.length - 1);
  }

  selectQuality(index) {
    if (!this.hls) return;
    this.hls.currentLevel = index < 0 ? -1 : this.levelFor(index);
  }

  ping() {
    if (this.playing) fetch('/api/ping', { cache: 'no-store' }).catch(() => {});
  }

  latency() {
    if (this.hls && Number.isFinite(this.hls.latency)) return this.hls.latency;
    const seekable = this.video.seekable;
    return seekable.length ? Math.max(0, seekable.end(seekable.length - 1) - this.video.currentTime) : 0;
  }

  sendMetrics() {
    if (!this.playing) return;
    const { downloads } = this.metrics;
    const report = {
      bandwidth: this.hls ? Math.round((this.hls.bandwidthEstimate || 0) / 1000) : 0,
      latency: Number(this.latency().toFixed(3)),
      downloadDuration: downloads.length ? downloads.reduce((a, b) => a + b, 0) / downloads.length : 0,
      errors: this.metrics.errors,
      qualityVariantChanges: this.metrics.qualityVariantChanges,
    };
    this.metrics = { errors: 0, qualityVariantChanges: 0, downloads: [] };
    postJSON('/api/metrics/playback', report).catch(() => {});
  }
}
