// Every English catalogue, one per area (each area's screens add theirs here).
import { common } from './common.js';
import { setup } from './setup.js';

export const en = { ...common, ...setup } as const;
