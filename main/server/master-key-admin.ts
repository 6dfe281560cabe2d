// The master key's operator actions: status, change of protection (key file
// <-> passphrase) and rotation. The running server calls them through its
// engine (control socket: `keyhold master-key …`; the GUI will use the same
// engine methods); with no server running, the CLI takes the data dir's lock
// and calls them on a store it opened itself (main/cli/master-key-commands.ts).
//
// The file formats and the crash-safe file steps are in
// main/store/master-key.ts; re-encryption is SqliteKeyStore.rotateMaterial.
// Passphrases and key bytes never reach a log line, an audit record, an
// error message or the CLI's output.
import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AuditRecord } from '../audit/audit-log.js';
import type { Logger } from '../admin/log.js';
import {
  crashPoint,
  finishRotationFiles,
  isWrappedFile,
  keyCheckValue,
  keyFileOf,
  LOCKED_FILE,
  MASTER_KEY_FILE,
  NEXT_SUFFIX,
  protectionOf,
  readRawKey,
  readWrapped,
  removeDurable,
  renameDurable,
  retiredFile,
  retiredVersions,
  UNPROTECTING_FILE,
  unwrapKey,
  wrapKey,
  writeKeyFile,
  WrongPassphraseError,
  type Protection,
} from '../store/master-key.js';
import { StoreError } from '../store/errors.js';
import type { SqliteKeyStore } from '../store/sqlite-store.js';

export interface MasterKeyStatus {
  protection: Protection;
  /** The current master key version; null when it cannot be told (locked without a wrapped file to read it from). */
  keyVersion: number | null;
  /** The server is waiting for the passphrase and serves nothing. */
  locked: boolean;
  /** Versions kept as master.key.v<N>.retired. */
  retired: number[];
}

export interface RotationResult {
  from: number;
  to: number;
  /** Rows of object_material re-encrypted. */
  objects: number;
  /** Rows of retained_material (soft-deleted objects) re-encrypted. */
  retained: number;
  ms: number;
}

type Audit = (r: AuditRecord) => void;
type Serialize = <T>(fn: () => Promise<T>) => Promise<T>;
const admin = (operation: string, result: string, message: string, reason: string | null = null): AuditRecord =>
  ({ at: new Date().toISOString(), kind: 'admin', client: null, address: null, operation, objects: [], result, reason, message });

/**
 * Wrong passphrases slow down: after the n-th failure in a row, the next
 * attempt is refused for min(2^(n-1), 300) seconds without being tried. A
 * right passphrase resets it. One per server, shared by unlock, protect and
 * rotate.
 */
export class PassphraseThrottle {
  private failures = 0;
  private until = 0;
  constructor(private readonly now: () => number = Date.now) {}

  /** Runs one attempt: refused while the delay lasts; a WrongPassphraseError counts as a failure. */
  async attempt<T>(f: () => Promise<T>): Promise<T> {
    const wait = this.until - this.now();
    if (wait > 0) throw new StoreError('MASTER_KEY', `too many wrong passphrases; try again in ${Math.ceil(wait / 1000)} s`);
    try {
      const r = await f();
      this.failures = 0;
      return r;
    } catch (e) {
      if (e instanceof WrongPassphraseError) {
        this.failures++;
        const delay = Math.min(2 ** (this.failures - 1), 300);
        this.until = this.now() + delay * 1000;
        throw new StoreError('MASTER_KEY', `wrong passphrase (the next attempt is accepted in ${delay} s)`);
      }
      throw e;
    }
  }
}

/** The protection, version and retired keys as the files show them; the version from the store when one is open. */
export function masterKeyStatus(dataDir: string, store: SqliteKeyStore | null, locked: boolean): MasterKeyStatus {
  const protection = protectionOf(dataDir);
  let keyVersion: number | null = store?.masterKeyVersion ?? null;
  if (keyVersion === null && protection === 'passphrase') {
    const file = existsSync(join(dataDir, LOCKED_FILE)) ? LOCKED_FILE : UNPROTECTING_FILE;
    keyVersion = readWrapped(join(dataDir, file)).keyVersion;
  }
  return { protection, keyVersion, locked, retired: retiredVersions(dataDir) };
}

/** Checks that the passphrase opens DIR/master.key.locked and that it holds the store's key. */
async function currentWrapped(dataDir: string, store: SqliteKeyStore, passphrase: string): Promise<KeyObject> {
  const key = await unwrapKey(readWrapped(join(dataDir, LOCKED_FILE)), passphrase);
  if (!store.isMasterKey(key)) throw new StoreError('MASTER_KEY', `${join(dataDir, LOCKED_FILE)} does not hold the key the server is using`);
  return key;
}

/**
 * Rotation: a new key as version current+1.
 *  1. write it as master.key.next (or master.key.locked.next, wrapped under
 *     the same passphrase) and fsync it;
 *  2. re-encrypt everything in one transaction (rotateMaterial) and sync;
 *  3. copy the old key to master.key.v<N>.retired and rename .next into place.
 * A crash after 1 leaves a .next the database does not use (discarded at the
 * next start); after 2, one it does (start-up finishes step 3).
 */
export async function rotateMasterKey(dataDir: string, store: SqliteKeyStore, passphrase?: string, serialize: Serialize = (fn) => fn()): Promise<RotationResult> {
  const t0 = performance.now();
  const protection = protectionOf(dataDir);
  const from = store.masterKeyVersion;
  const bytes = randomBytes(32);
  const next = createSecretKey(bytes);
  try {
    let file: Buffer;
    if (protection === 'passphrase') {
      if (passphrase === undefined) throw new StoreError('MASTER_KEY', 'the master key is protected by a passphrase: give it (--passphrase-stdin) to wrap the new key under it');
      await currentWrapped(dataDir, store, passphrase);
      file = await wrapKey(next, from + 1, passphrase);
    } else {
      file = bytes;
    }
    writeKeyFile(dataDir, keyFileOf(protection) + NEXT_SUFFIX, file, true);
    crashPoint('rotate-next-written');
    const r = await serialize(async () => store.rotateMaterial(next));
    await store.sync();
    crashPoint('rotate-committed');
    finishRotationFiles(dataDir, protection, from);
    crashPoint('rotate-renamed');
    return { from, to: r.version, objects: r.objects, retained: r.retained, ms: Math.round(performance.now() - t0) };
  } finally {
    bytes.fill(0);
  }
}

/**
 * Key file -> passphrase. Retired raw keys are wrapped first (each replaced
 * atomically), then master.key.locked is written, fsynced and read back with
 * the passphrase, and only then master.key removed. A crash before the
 * removal leaves both files with the same key: settleProtection removes
 * master.key at the next start.
 */
export async function protectWithPassphrase(dataDir: string, store: SqliteKeyStore, passphrase: string): Promise<void> {
  if (protectionOf(dataDir) === 'passphrase') throw new StoreError('MASTER_KEY', 'the master key is already protected by a passphrase');
  const key = readRawKey(join(dataDir, MASTER_KEY_FILE));
  if (!store.isMasterKey(key)) throw new StoreError('MASTER_KEY', `${join(dataDir, MASTER_KEY_FILE)} does not hold the key the server is using`);
  for (const v of retiredVersions(dataDir)) {
    const path = join(dataDir, retiredFile(v));
    if (isWrappedFile(path)) continue;
    writeKeyFile(dataDir, retiredFile(v), await wrapKey(readRawKey(path, 'retired master key file'), v, passphrase), true);
  }
  writeKeyFile(dataDir, LOCKED_FILE, await wrapKey(key, store.masterKeyVersion, passphrase), true);
  // Read back before the only plain copy goes: the file on disk opens with this passphrase and holds this key.
  const back = await unwrapKey(readWrapped(join(dataDir, LOCKED_FILE)), passphrase);
  if (keyCheckValue(back) !== keyCheckValue(key)) throw new StoreError('INTERNAL', 'the wrapped master key did not read back the same; master.key was kept');
  crashPoint('protect-locked-written');
  removeDurable(dataDir, MASTER_KEY_FILE);
}

/**
 * Passphrase -> key file: master.key.locked is renamed to .unprotecting,
 * master.key written and fsynced, then .unprotecting removed; retired keys
 * wrapped under this passphrase are unwrapped last (one that does not open
 * stays wrapped, named in the returned warnings). A crash in between is
 * settled at the next start (settleProtection).
 */
export async function protectWithKeyFile(dataDir: string, store: SqliteKeyStore, passphrase: string): Promise<string[]> {
  if (protectionOf(dataDir) === 'key-file') throw new StoreError('MASTER_KEY', 'the master key is already kept in a key file');
  const key = await currentWrapped(dataDir, store, passphrase);
  const raw = key.export();
  try {
    renameDurable(dataDir, LOCKED_FILE, UNPROTECTING_FILE);
    crashPoint('unprotect-renamed');
    writeKeyFile(dataDir, MASTER_KEY_FILE, raw, true);
    crashPoint('unprotect-key-written');
    removeDurable(dataDir, UNPROTECTING_FILE);
  } finally {
    raw.fill(0);
  }
  const warnings: string[] = [];
  for (const v of retiredVersions(dataDir)) {
    const path = join(dataDir, retiredFile(v));
    if (!isWrappedFile(path)) continue;
    try {
      const old = (await unwrapKey(readWrapped(path, 'retired master key file'), passphrase)).export();
      try {
        writeKeyFile(dataDir, retiredFile(v), old, true);
      } finally {
        old.fill(0);
      }
    } catch (e) {
      if (!(e instanceof WrongPassphraseError)) throw e;
      warnings.push(`retired key version ${v} stays wrapped: this passphrase does not open it`);
    }
  }
  return warnings;
}

export interface MasterKeyAdminDeps {
  dataDir: string;
  /** The open store, or null while the server is locked. */
  store: () => SqliteKeyStore | null;
  audit: Audit;
  log: Logger;
  throttle: PassphraseThrottle;
  /** Runs the re-encryption transaction where no other store transaction is open (the server's batch gate, shared). */
  serialize?: Serialize;
}

/** The operator actions as the server (or the CLI without a server) runs them: checked, throttled, logged and audited. */
export class MasterKeyAdmin {
  constructor(private readonly d: MasterKeyAdminDeps) {}

  status(): MasterKeyStatus {
    const store = this.d.store();
    return masterKeyStatus(this.d.dataDir, store, store === null);
  }

  private open(what: string): SqliteKeyStore {
    const s = this.d.store();
    if (s === null) throw new StoreError('MASTER_KEY', `the server is locked: unlock it first (keyhold master-key unlock --passphrase-stdin), then ${what}`);
    return s;
  }

  async protect(to: Protection, passphrase: string): Promise<MasterKeyStatus> {
    const store = this.open('change the protection');
    const from = protectionOf(this.d.dataDir);
    let warnings: string[] = [];
    try {
      await this.d.throttle.attempt(async () => {
        if (to === 'passphrase') await protectWithPassphrase(this.d.dataDir, store, passphrase);
        else warnings = await protectWithKeyFile(this.d.dataDir, store, passphrase);
      });
    } catch (e) {
      this.d.audit(admin('master key protection changed', 'failed', `${from} to ${to}: ${(e as Error).message}`));
      throw e;
    }
    const message = `master key protection changed from ${describe(from)} to ${describe(to)}${warnings.length > 0 ? `; ${warnings.join('; ')}` : ''}`;
    this.d.log.info(`keyhold: ${message}`);
    for (const w of warnings) this.d.log.warn(`keyhold: ${w}`);
    this.d.audit(admin('master key protection changed', warnings.length > 0 ? 'warning' : 'applied', message));
    return this.status();
  }

  async rotate(passphrase?: string): Promise<RotationResult> {
    const store = this.open('rotate');
    let r: RotationResult;
    try {
      r = await this.d.throttle.attempt(() => rotateMasterKey(this.d.dataDir, store, passphrase, this.d.serialize));
    } catch (e) {
      this.d.log.error(`keyhold: master key rotation failed: ${(e as Error).message}`);
      this.d.audit(admin('master key rotated', 'failed', (e as Error).message));
      throw e;
    }
    const message = `master key rotated from version ${r.from} to ${r.to}: ${r.objects} objects${r.retained > 0 ? ` and ${r.retained} soft-deleted objects` : ''} re-encrypted in ${r.ms} ms; version ${r.from} kept as ${retiredFile(r.from)}`;
    this.d.log.info(`keyhold: ${message}`);
    this.d.audit(admin('master key rotated', 'applied', message));
    return r;
  }
}

export const describe = (p: Protection) => (p === 'passphrase' ? 'an operator passphrase' : 'the key file');

/** The audit record of an unlock attempt (never the passphrase). */
export const unlockRecord = (ok: boolean, message: string): AuditRecord => admin('master key unlock', ok ? 'applied' : 'refused', message, ok ? null : 'wrong passphrase');
