// `npm run dist`: the desktop installers (electron-builder.yml), after `npm run build`.
// Needs the network: electron-builder downloads Electron itself, and
// @electron/rebuild downloads Electron's headers to compile better-sqlite3
// for Electron's ABI (not Node's).
//
// Trap: npm hands its config to scripts as npm_config_* variables, and a
// `nodedir` there (some machines set nodedir=/usr in ~/.npmrc) makes node-gyp
// build against Node's own headers: a "successful" rebuild whose addon then
// crashes Electron at the first database open. It is dropped here.
//
// The rebuild happens in this checkout's node_modules, so afterwards the addon
// is compiled for Node again (`npm rebuild better-sqlite3`, about 90 s): the
// tests and `keyhold serve` run on Node.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const env = { ...process.env };
for (const k of Object.keys(env)) if (/^npm_config_nodedir$/i.test(k)) delete env[k];

const require = createRequire(import.meta.url);
const cli = require.resolve('electron-builder/cli.js');
const built = spawnSync(process.execPath, [cli, '--config', 'electron-builder.yml', ...process.argv.slice(2)], { stdio: 'inherit', env });

console.log('dist: rebuilding better-sqlite3 for Node again (the tests and keyhold serve use it)');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const back = spawnSync(npm, ['rebuild', 'better-sqlite3'], { stdio: 'inherit', shell: process.platform === 'win32' });
if (back.status !== 0) console.error('dist: npm rebuild better-sqlite3 failed: run it yourself before npm test');
process.exit(built.status ?? 1);
