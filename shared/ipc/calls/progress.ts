// Progress of long operations (a backup, its verify, a restore, the
// generation of a large key): `progress.update` events while the call runs.
// The caller names its call with a `progressId` of its own choosing (an
// argument of the calls that report progress); every event carries that id,
// so a window follows its own call and ignores the others'. Events carry a
// stage and counts, never key material, passphrases or paths.
import { event } from '../spec.js';
import { string } from '../validate.js';

export const PROGRESS_OPERATIONS = ['backup', 'restore', 'verify', 'keygen'] as const;
export type ProgressOperation = (typeof PROGRESS_OPERATIONS)[number];

/**
 * backup: snapshot → encrypt (chunks) → verify (chunks) → done.
 * verify: checking → decrypt (chunks) → integrity → done; restore: then swap → done.
 * keygen: generate-key → sign → save → done (no fraction: total null).
 */
export const PROGRESS_STAGES = ['snapshot', 'encrypt', 'verify', 'checking', 'decrypt', 'integrity', 'swap', 'generate-key', 'sign', 'save', 'done'] as const;
export type ProgressStage = (typeof PROGRESS_STAGES)[number];

/** One step: `done` of `total` (1 MiB chunks of a backup), or total null when the stage has no measurable fraction. */
export interface ProgressStep {
  stage: ProgressStage;
  done: number;
  total: number | null;
}

export interface ProgressPayload extends ProgressStep {
  /** The caller's progressId. */
  id: string;
  operation: ProgressOperation;
}

/** The argument that asks for progress events: an id the caller made up (a random one, so that no other window's matches). */
export const progressId = string({ minLength: 8, maxLength: 64, pattern: /^[A-Za-z0-9_-]+$/ });

export const progressCalls = {} as const;

export const progressEvents = {
  /** A step of a call that was given a progressId; steps of one stage come with `done` rising, the last one has stage done. */
  'progress.update': event<ProgressPayload>(),
} as const;
