// The key expiry job of a running server: keys whose Deactivation Date has
// passed become Deactivated, and keys whose date is near are warned about
// once. The default Deactivation Date of new keys comes from the key policy
// (operations/key-policy-gate.ts withDefaultLifetime); this job acts on the
// dates, whoever set them.
//
// State model (1.4 §3.22, 2.1 §4.57). The date-driven transitions are 4
// (Pre-Active → Active: "the Activation Date is reached") and 6 (Active →
// Deactivated: "the object's Deactivation Date is reached"), and "only the
// transitions described above are permitted": there is no Pre-Active →
// Deactivated step. So:
// - Active, Deactivation Date ≤ now → Deactivated (6).
// - Pre-Active with an Activation Date and a Deactivation Date both ≤ now →
//   Deactivated: it went through 4 at its Activation Date and 6 at its
//   Deactivation Date; both are applied in one step.
// - Pre-Active without an Activation Date that has come (never activated,
//   e.g. created and not yet activated) stays Pre-Active past its
//   Deactivation Date: Pre-Active already forbids every use (stricter than
//   Deactivated). Activating it later applies 4 and then 6 at once
//   (operations/activate.ts), so it never becomes usable.
// The engine derives no state lazily: a state is a column of the object row,
// changed by operations (Activate, Revoke, Destroy) and by this job, so Get
// and Locate see a deactivated key as Deactivated once a sweep has run.
// Between the date and the sweep (at most one interval) the key still reads
// as Active.
//
// Timing: a sweep at start (a key whose date passed while the server was
// down is deactivated then), then one every intervalMs (30 s by default) and
// on sweepNow(). A plain interval rather than a timer to the next date: the
// dates change through many paths (Create, Register, Re-key with its Offset,
// Set / Modify Attribute, a restore), and a sweep that finds nothing is one
// indexed range read (attributes_date), so polling costs less than keeping
// a schedule in step with all of them, and it follows an injected clock
// that jumps (tests) without re-planning. Deactivation happens within one
// interval of the date.
//
// Bounded work: at most `batchSize` keys per store transaction, at most
// `maxBatches` transactions per sweep (the rest waits for the next sweep,
// which then comes after one second), the event loop is yielded between
// batches, and each batch holds the KMIP batch gate shared so it never runs
// inside an Undo batch's open transaction.
//
// Warnings: a key whose Deactivation Date is within expiryWarningDays is
// logged and audited ('key expires soon') once per date: the job notes the
// date it warned about in the store's meta table (job key
// "key-expiry/warned/ID"), so a restart does not repeat it, and a key whose
// date is changed is warned about again for the new date. The note goes with
// the key's deactivation (same transaction), and notes of keys that left the
// window another way (revoked, destroyed) are dropped once their date has
// passed (checked at most hourly). The window is paged too (warnBatch keys per sweep, resuming where
// the last sweep stopped), so a large window takes several sweeps.
import type { AuditRecord } from '../audit/audit-log.js';
import type { Logger } from '../admin/log.js';
import type { BatchGate } from '../kmip/batch-gate.js';
import type { KeyPolicy } from '../policy/key-policy.js';
import { StoreError } from '../store/errors.js';
import { ObjectState, type KeyStore } from '../store/types.js';

export const KEY_EXPIRY_INTERVAL_MS = 30_000;
const WARNED_PREFIX = 'key-expiry/warned/';
const DAY = 86_400n;

export interface KeyExpiryOptions {
  store: KeyStore;
  /** The live key policy (expiryWarningDays). */
  policy: () => KeyPolicy;
  clock: () => Date;
  audit: (r: Omit<AuditRecord, 'at'>) => void;
  log: Logger;
  /** The KMIP requests' gate, held shared per batch. */
  gate?: BatchGate;
  intervalMs?: number;
  batchSize?: number;
  maxBatches?: number;
  warnBatch?: number;
}

export interface SweepResult {
  /** Keys this sweep moved to Deactivated. */
  deactivated: string[];
  /** Keys this sweep warned about. */
  warned: string[];
  /** More keys were due than this sweep's bound: the next sweep follows shortly. */
  more: boolean;
}

export interface KeyExpiryCounts {
  /** Active and Pre-Active keys whose Deactivation Date is within expiryWarningDays, as of the last complete pass over the window. */
  expiringSoon: number;
  /** The policy's expiryWarningDays now. */
  warningDays: number;
  /** Keys this job has deactivated since the server started. */
  deactivated: number;
  /** When the last sweep ended (ISO 8601), null before the first. */
  lastSweep: string | null;
}

export interface KeyExpiry {
  /** Runs a sweep now (after any sweep in progress). */
  sweepNow(): Promise<SweepResult>;
  counts(): KeyExpiryCounts;
  /** Stops the timer and waits for a sweep in progress. */
  close(): Promise<void>;
}

const iso = (seconds: bigint): string => new Date(Number(seconds) * 1000).toISOString().replace('.000Z', 'Z');

function dateOf(attrs: readonly { name: unknown; value: { type: string; value: unknown } }[], name: string): bigint | undefined {
  const v = attrs.find((a) => a.name === name)?.value;
  return v?.type === 'DateTime' ? (v.value as bigint) : undefined;
}

/**
 * Starts the job: resolves after the first sweep (so a server that starts
 * listening after it never serves a key that expired while it was down as
 * Active); a failed first sweep is logged and retried at the next one.
 */
export async function startKeyExpiry(opts: KeyExpiryOptions): Promise<KeyExpiry> {
  const intervalMs = opts.intervalMs ?? KEY_EXPIRY_INTERVAL_MS;
  const batchSize = opts.batchSize ?? 200;
  const maxBatches = opts.maxBatches ?? 10;
  const warnBatch = opts.warnBatch ?? 500;
  const { store } = opts;
  let closed = false;
  let running: Promise<SweepResult> = Promise.resolve({ deactivated: [], warned: [], more: false });
  let warnOffset = 0;
  let windowSeen = 0;
  /** Real time of the last dropOldNotes: at most hourly, it reads every note. */
  let droppedAt = -Infinity;
  const counts: Omit<KeyExpiryCounts, 'warningDays'> = { expiringSoon: 0, deactivated: 0, lastSweep: null };
  let timer: NodeJS.Timeout | undefined;

  const shared = <T>(fn: () => T): Promise<T> => (opts.gate === undefined ? Promise.resolve().then(fn) : opts.gate.shared(async () => fn()));
  const yieldLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
  const nowSeconds = () => BigInt(Math.floor(opts.clock().getTime() / 1000));

  /** Ids due now: Active keys past their Deactivation Date, and Pre-Active ones past both dates. */
  function due(t: bigint): string[] {
    const active = store.locate({ state: ObjectState.Active, attributes: [{ name: 'DeactivationDate', to: t }], maxItems: batchSize });
    if (active.length >= batchSize) return active;
    const pre = store.locate({
      state: ObjectState.PreActive,
      attributes: [{ name: 'DeactivationDate', to: t }, { name: 'ActivationDate', to: t }],
      maxItems: batchSize - active.length,
    });
    return [...active, ...pre];
  }

  /** One batch in one transaction; each key checked again inside it. */
  function deactivateBatch(t: bigint): { done: { id: string; from: number; date: bigint; activation: bigint | undefined }[]; full: boolean } {
    return store.transaction(() => {
      const ids = due(t);
      const done: { id: string; from: number; date: bigint; activation: bigint | undefined }[] = [];
      for (const id of ids) {
        const obj = store.getObject(id, ['DeactivationDate', 'ActivationDate']);
        const date = dateOf(obj.attributes, 'DeactivationDate');
        const activation = dateOf(obj.attributes, 'ActivationDate');
        if (date === undefined || date > t) continue;
        if (obj.state === ObjectState.PreActive ? activation === undefined || activation > t : obj.state !== ObjectState.Active) continue;
        store.setState(id, ObjectState.Deactivated);
        store.setAttribute(id, 'LastChangeDate', { type: 'DateTime', value: t });
        store.setMeta(WARNED_PREFIX + id, undefined);
        done.push({ id, from: obj.state, date, activation });
      }
      // Full and progressing: more may be due. (A key found but not due, e.g. with a second date instance, must not spin the loop.)
      return { done, full: ids.length >= batchSize && done.length > 0 };
    });
  }

  async function deactivate(t: bigint): Promise<{ ids: string[]; more: boolean }> {
    const ids: string[] = [];
    for (let i = 0; i < maxBatches; i++) {
      const { done, full } = await shared(() => deactivateBatch(t));
      for (const d of done) {
        const how = d.from === ObjectState.PreActive
          ? `its Activation Date ${iso(d.activation!)} and its Deactivation Date ${iso(d.date)} have passed: Pre-Active → Deactivated`
          : `its Deactivation Date ${iso(d.date)} has passed: Active → Deactivated`;
        const message = `key ${d.id}: ${how} (still served by Get for decrypting and verifying)`;
        opts.log.info(`kmip: ${message}`);
        opts.audit({ kind: 'admin', client: null, address: null, operation: 'key deactivated', objects: [d.id], result: 'applied', reason: null, message });
        ids.push(d.id);
      }
      counts.deactivated += done.length;
      if (!full) return { ids, more: false };
      await yieldLoop();
    }
    return { ids, more: true };
  }

  /** One page of the warning window. */
  function warnPage(t: bigint, days: number): { warned: { id: string; date: bigint }[]; page: number } {
    return store.transaction(() => {
      const ids = store.locate({
        state: [ObjectState.PreActive, ObjectState.Active],
        attributes: [{ name: 'DeactivationDate', from: t + 1n, to: t + BigInt(days) * DAY }],
        maxItems: warnBatch,
        offset: warnOffset,
      });
      const warned: { id: string; date: bigint }[] = [];
      for (const id of ids) {
        const date = dateOf(store.getAttributes(id, ['DeactivationDate']), 'DeactivationDate');
        if (date === undefined) continue;
        const note = Buffer.from(date.toString());
        const had = store.getMeta(WARNED_PREFIX + id);
        if (had !== undefined && Buffer.from(had).equals(note)) continue;
        store.setMeta(WARNED_PREFIX + id, note);
        warned.push({ id, date });
      }
      return { warned, page: ids.length };
    });
  }

  /** Notes of keys whose date has passed (deactivated, revoked, destroyed, or never activated): no longer needed. */
  function dropOldNotes(t: bigint): void {
    store.transaction(() => {
      for (const key of store.metaKeys(WARNED_PREFIX)) {
        const v = store.getMeta(key);
        const date = v === undefined ? undefined : /^\d+$/.test(Buffer.from(v).toString()) ? BigInt(Buffer.from(v).toString()) : undefined;
        if (date === undefined || date <= t) store.setMeta(key, undefined);
      }
    });
  }

  async function warn(t: bigint): Promise<string[]> {
    const days = opts.policy().expiryWarningDays;
    if (days === 0) {
      counts.expiringSoon = 0;
      warnOffset = windowSeen = 0;
      return [];
    }
    const { warned, page } = await shared(() => warnPage(t, days));
    for (const w of warned) {
      const left = Number((w.date - t + DAY - 1n) / DAY);
      const message = `key ${w.id}: its Deactivation Date ${iso(w.date)} is ${left === 1 ? 'within a day' : `in ${left} days`}; from then on it cannot be used to encrypt or sign (re-key it, or change the date)`;
      opts.log.warn(`kmip: ${message}`);
      opts.audit({ kind: 'admin', client: null, address: null, operation: 'key expires soon', objects: [w.id], result: 'warning', reason: null, message });
    }
    windowSeen += page;
    if (page < warnBatch) {
      // A whole pass over the window: its size is the count, and old notes can go.
      counts.expiringSoon = windowSeen;
      warnOffset = windowSeen = 0;
      if (performance.now() - droppedAt >= 3_600_000) {
        droppedAt = performance.now();
        await shared(() => dropOldNotes(t));
      }
    } else {
      warnOffset += page;
    }
    return warned.map((w) => w.id);
  }

  async function sweep(): Promise<SweepResult> {
    if (closed) return { deactivated: [], warned: [], more: false };
    const t = nowSeconds();
    const d = await deactivate(t);
    const warned = await warn(t);
    counts.lastSweep = new Date().toISOString();
    return { deactivated: d.ids, warned, more: d.more };
  }

  function schedule(ms: number): void {
    if (closed) return;
    timer = setTimeout(() => {
      void run().then((r) => schedule(r.more ? 1_000 : intervalMs), () => schedule(intervalMs));
    }, ms);
    timer.unref();
  }

  /** Sweeps one after another, never two at once. */
  function run(): Promise<SweepResult> {
    const next = running.catch(() => undefined).then(sweep);
    running = next.catch((e: unknown) => {
      // A closed store at stop is expected; anything else is logged and retried at the next sweep.
      if (!(e instanceof StoreError && e.code === 'CLOSED')) opts.log.error('kmip: key expiry sweep failed:', e);
      return { deactivated: [], warned: [], more: false };
    });
    return next;
  }

  // At start: keys whose date passed while the server was down.
  const first = await run().catch(() => ({ more: false }));
  schedule(first.more ? 1_000 : intervalMs);

  return {
    sweepNow: run,
    counts: () => ({ ...counts, warningDays: opts.policy().expiryWarningDays }),
    async close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      await running;
    },
  };
}
