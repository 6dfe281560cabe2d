// Starts the audit writer thread from its TypeScript source, as
// main/engine/worker-shim.mjs does for the engine (Node 20 cannot start a
// .ts worker even under --import tsx). Compiled builds load writer.js.
import { register } from 'tsx/esm/api';

register();
await import('./writer.ts');
