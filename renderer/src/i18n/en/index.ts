// Every English catalogue, one per area (each area's screens add theirs here).
import { common } from './common.js';

export const en = { ...common } as const;
