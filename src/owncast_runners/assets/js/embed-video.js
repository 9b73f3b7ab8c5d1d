// /embed/video: the player alone, following the stream's live state.
import { applyCustomisation, getJSON, watchStatus } from './api.js';
import { Player } from './player.js';

const config = await getJSON('/api/config').catch(() => ({}));
applyCustomisation(config);
document.title = config.name || document.title;
const player = new Player(document.getElementById('player'), { offlineMessage: config.offlineMessage });
watchStatus((status) => player.setOnline(status.online));
