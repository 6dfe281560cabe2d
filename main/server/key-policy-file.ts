// DIR/policy.json, the key policy's file (main/policy/key-policy.ts): read,
// written atomically by `keyhold policy set`, and kept current in the running
// server like clients.json (watch-file.ts). A file that cannot be read or
// parsed keeps the last good policy; each distinct problem is reported once.
import fsp from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../pki/index.js';
import { DEFAULT_KEY_POLICY, formatKeyPolicy, parseKeyPolicy, policyChanges, POLICY_FILE, type KeyPolicy } from '../policy/key-policy.js';
import { watchFile } from './watch-file.js';
import { readClientsDoc } from './clients.js';

/** The policy as last recorded in the audit log: a change made while no server ran is recorded at the next start. */
export const AUDITED_POLICY_FILE = 'policy.audited.json';

export function policyFile(dataDir: string): string {
  return path.join(dataDir, POLICY_FILE);
}

async function readPolicyAt(file: string): Promise<KeyPolicy> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return DEFAULT_KEY_POLICY;
    throw new Error(`${file}: cannot read (${(e as Error).message})`);
  }
  return parseKeyPolicy(text, file);
}

/** DIR/policy.json; absent: DEFAULT_KEY_POLICY. Throws one line naming the file and field. */
export function readKeyPolicy(dataDir: string): Promise<KeyPolicy> {
  return readPolicyAt(policyFile(dataDir));
}

export async function writeKeyPolicy(dataDir: string, policy: KeyPolicy): Promise<void> {
  await fsp.mkdir(dataDir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(policyFile(dataDir), formatKeyPolicy(policy), 0o600);
}

export interface KeyPolicyWatch {
  /** The policy in force: the last good file. */
  current(): KeyPolicy;
  close(): void;
}

/**
 * Loads the policy and keeps it current. onChange gets the readable
 * differences (policyChanges) of every change, and at start those from the
 * last audited policy (atStart), after which the audited copy is updated.
 * A broken file at start is an error: the server does not start on a policy
 * it cannot read.
 */
export async function watchKeyPolicy(
  dataDir: string,
  opts: { onChange(changes: string[], atStart: boolean): void; onError(message: string): void; pollMs?: number },
): Promise<KeyPolicyWatch> {
  let policy = await readKeyPolicy(dataDir);
  const audited = path.join(dataDir, AUDITED_POLICY_FILE);
  const noted = async (p: KeyPolicy) => {
    try { await writeFileAtomic(audited, formatKeyPolicy(p), 0o600); } catch (e) { opts.onError(`could not note the recorded policy: ${(e as Error).message}`); }
  };
  const before = await readPolicyAt(audited).catch(() => DEFAULT_KEY_POLICY);
  const atStart = policyChanges(before, policy);
  if (atStart.length > 0) {
    opts.onChange(atStart, true);
    await noted(policy);
  }
  let lastProblem: string | undefined;
  const watch = watchFile(dataDir, POLICY_FILE, async () => {
    try {
      const next = await readKeyPolicy(dataDir);
      lastProblem = undefined;
      const changes = policyChanges(policy, next);
      policy = next;
      if (changes.length > 0) {
        opts.onChange(changes, false);
        await noted(next);
      }
    } catch (e) {
      const message = (e as Error).message;
      if (message !== lastProblem) opts.onError(`the changed key policy is not used (the last good one stays): ${message}`);
      lastProblem = message;
    }
  }, opts.pollMs);
  return { current: () => policy, close: () => watch.close() };
}

export interface KeyPolicyChange {
  policy: KeyPolicy;
  /** Readable differences (policyChanges); empty: nothing changed and nothing was written. */
  changes: string[];
  /** Client names in allowCreate, allowRegister or lifetimeByClient that no registered client has (a typo grants nothing). */
  unknownNames: { field: 'allowCreate' | 'allowRegister' | 'lifetimeByClient'; names: string[] }[];
}

/**
 * `keyhold policy set` and the admin UI's policy.set: the fields given replace
 * the current ones, the result is checked exactly as the server reads the
 * file (parseKeyPolicy; its one-line error, prefixed "not changed: ", and
 * nothing written), then written when it differs.
 */
export async function changeKeyPolicy(dataDir: string, patch: Readonly<Partial<Record<keyof KeyPolicy, unknown>>>): Promise<KeyPolicyChange> {
  const before = await readKeyPolicy(dataDir);
  const next: Record<string, unknown> = { ...before };
  for (const [k, v] of Object.entries(patch)) if (v !== undefined) next[k] = v;
  let policy: KeyPolicy;
  try {
    policy = parseKeyPolicy(JSON.stringify(next), policyFile(dataDir));
  } catch (e) {
    throw new Error(`not changed: ${(e as Error).message}`);
  }
  const changes = policyChanges(before, policy);
  if (changes.length > 0) await writeKeyPolicy(dataDir, policy);
  const known = new Set((await readClientsDoc(dataDir).catch(() => ({ clients: [] as { name: string }[] }))).clients.map((c) => c.name));
  const named = { allowCreate: policy.allowCreate, allowRegister: policy.allowRegister, lifetimeByClient: Object.keys(policy.lifetimeByClient) } as const;
  const unknownNames = (Object.keys(named) as (keyof typeof named)[])
    .map((field) => ({ field, names: named[field].filter((n) => !known.has(n)) }))
    .filter((u) => u.names.length > 0);
  return { policy, changes, unknownNames };
}
