// `npm run dist`: the desktop installers (electron-builder.yml), after `npm run build`.
// Needs the network: electron-builder downloads Electron itself, and
// @electron/rebuild downloads Electron's headers to compile better-sqlite3
// for Electron's ABI (not Node's).
//
// Trap: npm hands its config to scripts as npm_config_* variables, and a
// `nodedir` there (some machines set nodedir=/usr in ~/.npmrc) makes node-gyp
// build against Node's own headers: a "successful" rebuild whose addon then
// crashes Electron at the first database open. It is dropped here.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const env = { ...process.env };
for (const k of Object.keys(env)) if (/^npm_config_nodedir$/i.test(k)) delete env[k];

const require = createRequire(import.meta.url);
const cli = require.resolve('electron-builder/cli.js');
const r = spawnSync(process.execPath, [cli, '--config', 'electron-builder.yml', ...process.argv.slice(2)], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
