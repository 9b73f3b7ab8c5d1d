// Server: addresses, ports, admin password, directory listing, ffmpeg and serving overrides.
import { card, serverConfig, setting } from '../forms.js';

export async function render(root) {
  const c = await serverConfig();
  root.append(
    card('Addresses',
      setting({ name: 'serverurl', label: 'Server URL', type: 'url', value: c.yp?.instanceUrl,
        help: 'The public URL of this server (needed for the Fediverse, IndieAuth and the directory).' }),
      setting({ name: 'webserverport', label: 'Web port', type: 'number', value: c.webServerPort,
        help: 'Takes effect after a restart.' }),
      setting({ name: 'webserverip', label: 'Web listen address', value: c.webServerIP }),
      setting({ name: 'rtmpserverport', label: 'RTMP port', type: 'number', value: c.rtmpServerPort }),
      setting({ name: 'sockethostoverride', label: 'Chat websocket host override', value: c.socketHostOverride }),
      setting({ name: 'videoservingendpoint', label: 'Video serving endpoint (CDN)', type: 'url',
        value: c.videoServingEndpoint })),
    card('Access',
      setting({ name: 'adminpass', label: 'Admin password', type: 'password', value: '',
        help: 'The admin user is "admin". Your browser will ask for the new password.' })),
    card('Directory',
      setting({ name: 'directoryenabled', label: 'List this server in the Owncast directory', type: 'checkbox',
        value: c.yp?.enabled })),
    card('Transcoder',
      setting({ name: 'ffmpegpath', label: 'ffmpeg path', value: c.ffmpegPath })));
}
