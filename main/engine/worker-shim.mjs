// Starts the engine worker from its TypeScript source. Node 20 cannot run
// `new Worker('worker.ts')` even under `--import tsx` (ERR_UNKNOWN_FILE_EXTENSION),
// so host.ts starts this plain .mjs instead when it runs from .ts sources
// (tests, `bin/keyhold.mjs`). Compiled builds start worker.js directly and
// never load this file or tsx.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
