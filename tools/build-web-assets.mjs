// Copies the third-party front-end libraries installed by `npm ci` (versions pinned by
// package-lock.json) into the package's git-ignored src/owncast_runners/assets/vendor/:
//   vendor/hls.min.mjs (+ LICENSE-hls.js)          the HLS player library
//   vendor/platformlogos/<name>.svg (+ LICENSE-simple-icons)
//                                                   brand icons of the social platforms that
//                                                   /api/socialplatforms names, in brand colour
// Run by ./run (serve and test) when the vendor tree is missing or older than the lockfile.
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as icons from 'simple-icons';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const vendor = join(root, 'src', 'owncast_runners', 'assets', 'vendor');
const modules = join(root, 'node_modules');

// Owncast's platform icon file name -> simple-icons slug (platforms it lacks fall back to a
// generic link icon served by the web app).
const PLATFORM_ICONS = {
  bandcamp: 'bandcamp', discord: 'discord', facebook: 'facebook', github: 'github', gitlab: 'gitlab',
  instagram: 'instagram', 'ko-fi': 'kofi', mastodon: 'mastodon', patreon: 'patreon', paypal: 'paypal',
  snapchat: 'snapchat', soundcloud: 'soundcloud', spotify: 'spotify', tiktok: 'tiktok', twitch: 'twitch',
  twitter: 'x', youtube: 'youtube', odysee: 'odysee', lbry: 'lbry', liberapay: 'liberapay',
};

function iconFor(slug) {
  const key = 'si' + slug.charAt(0).toUpperCase() + slug.slice(1);
  const icon = icons[key];
  if (!icon) throw new Error(`simple-icons has no icon "${slug}"`);
  return icon.svg.replace('<svg ', `<svg fill="#${icon.hex}" `);
}

rmSync(vendor, { recursive: true, force: true });
mkdirSync(join(vendor, 'platformlogos'), { recursive: true });

copyFileSync(join(modules, 'hls.js', 'dist', 'hls.min.mjs'), join(vendor, 'hls.min.mjs'));
copyFileSync(join(modules, 'hls.js', 'LICENSE'), join(vendor, 'LICENSE-hls.js'));

for (const [name, slug] of Object.entries(PLATFORM_ICONS)) {
  writeFileSync(join(vendor, 'platformlogos', `${name}.svg`), iconFor(slug));
}
copyFileSync(join(modules, 'simple-icons', 'LICENSE.md'), join(vendor, 'LICENSE-simple-icons'));

writeFileSync(join(vendor, '.built'), new Date().toISOString() + '\n');
console.log(`web assets: vendor files written to ${vendor}`);
