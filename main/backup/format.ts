// The backup file, keyhold-YYYYMMDD-HHMMSS.khbak:
//
//   "KHBACKUP"  u32 coreLength  core (JSON)  u32 keyLength  key (JSON)  chunk…
//
// core: { format, created, keyholdVersion, protection, objects, schemaVersion,
// chunkBytes }, plain, with no secret and nothing that identifies a key. key:
// how the random data key is wrapped (keys.ts), authenticated with the core
// as additional data. The body is an archive (below) encrypted with
// AES-256-GCM under the data key in chunks of at most chunkBytes:
//
//   chunk = u32 length, ciphertext + 16-byte tag
//   nonce = 4 zero bytes, u64 chunk index (the data key is used once)
//   AAD   = SHA-256(magic, both header parts, their lengths), u64 index, u8 last
//
// so a changed header, a reordered, dropped or altered chunk and a truncated
// file (no chunk marked last) all fail authentication; bytes after the last
// chunk are refused too.
//
// The archive: entries { u16 nameLength, name (UTF-8), u64 size, bytes },
// then u16 0. Names are relative paths of the data dir (keyhold.db,
// pki/server.crt …), checked on reading so that restore never writes outside
// its target.
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import fsp, { type FileHandle } from 'node:fs/promises';
import type { KeyWrap } from './keys.js';
import type { Protection } from './settings.js';

export const MAGIC = Buffer.from('KHBACKUP', 'latin1');
export const FORMAT_VERSION = 1;
export const CHUNK_BYTES = 1 << 20;
const MAX_HEADER_PART = 64 * 1024;
const MAX_CHUNK_BYTES = 16 << 20;
const TAG = 16;

export interface BackupCore {
  format: number;
  /** ISO 8601 time the snapshot was taken. */
  created: string;
  keyholdVersion: string;
  protection: Protection;
  /** Managed objects in the snapshot. */
  objects: number;
  schemaVersion: number;
  chunkBytes: number;
}

export class BackupFormatError extends Error {
  override readonly name = 'BackupFormatError';
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function nonceOf(index: number): Buffer {
  const n = Buffer.alloc(12);
  n.writeBigUInt64BE(BigInt(index), 4);
  return n;
}

function chunkAad(headerHash: Buffer, index: number, last: boolean): Buffer {
  const b = Buffer.alloc(32 + 9);
  headerHash.copy(b, 0);
  b.writeBigUInt64BE(BigInt(index), 32);
  b[40] = last ? 1 : 0;
  return b;
}

/** The AAD a key wrap is bound to: the magic and the core's bytes. */
export function wrapAad(coreBytes: Buffer): Buffer {
  return Buffer.concat([MAGIC, coreBytes]);
}

function headerHash(coreBytes: Buffer, keyBytes: Buffer): Buffer {
  return createHash('sha256').update(MAGIC).update(u32(coreBytes.length)).update(coreBytes).update(u32(keyBytes.length)).update(keyBytes).digest();
}

export function checkEntryName(name: string): string {
  if (name.length === 0 || name.length > 512 || !/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+){0,7}$/.test(name) || name.split('/').some((p) => p === '.' || p === '..')) {
    throw new BackupFormatError(`the backup names a file outside the data dir or with an unexpected name (${JSON.stringify(name.slice(0, 80))})`);
  }
  return name;
}

/** Writes a backup file entry by entry; nothing is readable until finish(). */
export class BackupWriter {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #index = 0;
  #written = 0;
  private constructor(
    private readonly fh: FileHandle,
    private readonly key: Buffer,
    private readonly hash: Buffer,
    private readonly chunkBytes: number,
    private readonly onChunk: ((sealed: number) => void) | undefined,
  ) {}

  /**
   * Creates `file` (exclusively, mode 0600) and writes the header; `wrap` wraps the data key with the core as AAD.
   * onChunk: told the number of chunks sealed so far, after each one.
   */
  static async create(file: string, core: BackupCore, dataKey: Buffer, wrap: (aad: Buffer) => KeyWrap, onChunk?: (sealed: number) => void): Promise<BackupWriter> {
    const coreBytes = Buffer.from(JSON.stringify(core), 'utf8');
    const keyBytes = Buffer.from(JSON.stringify(wrap(wrapAad(coreBytes))), 'utf8');
    const fh = await fsp.open(file, 'wx', 0o600);
    try {
      const head = Buffer.concat([MAGIC, u32(coreBytes.length), coreBytes, u32(keyBytes.length), keyBytes]);
      await fh.write(head);
      const w = new BackupWriter(fh, Buffer.from(dataKey), headerHash(coreBytes, keyBytes), core.chunkBytes, onChunk);
      w.#written = head.length;
      return w;
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  async #push(data: Buffer): Promise<void> {
    this.#pending.push(data);
    this.#pendingBytes += data.length;
    // A chunk is sealed only once more data follows it, so the last one is known to be last.
    while (this.#pendingBytes > this.chunkBytes) {
      const all = Buffer.concat(this.#pending);
      await this.#seal(all.subarray(0, this.chunkBytes), false);
      const rest = Buffer.from(all.subarray(this.chunkBytes));
      all.fill(0);
      this.#pending = [rest];
      this.#pendingBytes = rest.length;
    }
  }

  async #seal(plain: Buffer, last: boolean): Promise<void> {
    const c = createCipheriv('aes-256-gcm', this.key, nonceOf(this.#index));
    c.setAAD(chunkAad(this.hash, this.#index, last));
    const ct = Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
    await this.fh.write(Buffer.concat([u32(ct.length), ct]));
    this.#written += 4 + ct.length;
    this.#index++;
    this.onChunk?.(this.#index);
  }

  /** Adds the file at `source` as entry `name`, read in pieces. */
  async addFile(name: string, source: string): Promise<number> {
    checkEntryName(name);
    const src = await fsp.open(source, 'r');
    try {
      const size = (await src.stat()).size;
      const nameBytes = Buffer.from(name, 'utf8');
      const head = Buffer.alloc(2 + nameBytes.length + 8);
      head.writeUInt16BE(nameBytes.length, 0);
      nameBytes.copy(head, 2);
      head.writeBigUInt64BE(BigInt(size), 2 + nameBytes.length);
      await this.#push(head);
      let done = 0;
      while (done < size) {
        const buf = Buffer.alloc(Math.min(this.chunkBytes, size - done));
        const { bytesRead } = await src.read(buf, 0, buf.length, done);
        if (bytesRead === 0) throw new Error(`${source} shrank while it was being backed up`);
        await this.#push(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
        done += bytesRead;
      }
      return size;
    } finally {
      await src.close();
    }
  }

  /** Ends the archive, seals the last chunk, fsyncs and closes; returns the file size. */
  async finish(): Promise<number> {
    await this.#push(Buffer.alloc(2));
    const all = Buffer.concat(this.#pending);
    await this.#seal(all, true);
    all.fill(0);
    this.key.fill(0);
    await this.fh.sync();
    await this.fh.close();
    return this.#written;
  }

  async abort(): Promise<void> {
    this.key.fill(0);
    await this.fh.close().catch(() => {});
  }
}

export interface OpenedBackup {
  core: BackupCore;
  key: KeyWrap;
  /** What the key wrap is authenticated with. */
  wrapAad: Buffer;
  /**
   * Decrypts the archive, handing each entry to onEntry (return a sink to keep its bytes, undefined to skip them).
   * onChunk: after each chunk, how many were read and how many the file holds (from its size).
   */
  read(dataKey: Buffer, onEntry: (name: string, size: number) => EntrySink | undefined, onChunk?: (done: number, total: number) => void): Promise<void>;
  close(): Promise<void>;
}

export interface EntrySink {
  write(data: Buffer): Promise<void> | void;
  end(): Promise<void> | void;
}

const damaged = (what: string) => new BackupFormatError(`the backup file is damaged or was changed (${what})`);

function parseCore(bytes: Buffer): BackupCore {
  let c: Record<string, unknown>;
  try {
    c = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw damaged('unreadable header');
  }
  if (typeof c !== 'object' || c === null) throw damaged('unreadable header');
  if (c.format !== FORMAT_VERSION) throw new BackupFormatError(`the backup has format version ${String(c.format)}; this Keyhold reads version ${FORMAT_VERSION}`);
  const ok =
    typeof c.created === 'string' && typeof c.keyholdVersion === 'string' && (c.protection === 'passphrase' || c.protection === 'master-key') &&
    Number.isSafeInteger(c.objects) && Number.isSafeInteger(c.schemaVersion) && Number.isSafeInteger(c.chunkBytes) &&
    (c.chunkBytes as number) >= 1024 && (c.chunkBytes as number) <= MAX_CHUNK_BYTES;
  if (!ok) throw damaged('unexpected header fields');
  return c as unknown as BackupCore;
}

function parseKeyWrap(bytes: Buffer, protection: Protection): KeyWrap {
  let k: Record<string, unknown>;
  try {
    k = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw damaged('unreadable key header');
  }
  if (typeof k !== 'object' || k === null || k.kind !== protection) throw damaged('key header does not match the protection');
  const str = (v: unknown) => typeof v === 'string' && v.length < 2048;
  if (k.kind === 'passphrase') {
    const r = k.recipient as Record<string, unknown> | undefined;
    if (!str(k.ephemeralPublicKey) || !str(k.nonce) || !str(k.wrappedKey) || typeof r !== 'object' || r === null || !str(r.publicKey) || typeof r.sealedPrivateKey !== 'object') throw damaged('malformed key header');
  } else if (!Number.isSafeInteger(k.masterKeyVersion) || !str(k.salt) || !str(k.check) || !str(k.nonce) || !str(k.wrappedKey)) {
    throw damaged('malformed key header');
  }
  return k as unknown as KeyWrap;
}

async function readExactly(fh: FileHandle, pos: number, n: number): Promise<Buffer | null> {
  const buf = Buffer.alloc(n);
  let got = 0;
  while (got < n) {
    const { bytesRead } = await fh.read(buf, got, n - got, pos + got);
    if (bytesRead === 0) return got === 0 ? null : buf.subarray(0, got);
    got += bytesRead;
  }
  return buf;
}

/** Opens a backup file and reads its header (no key needed). Throws BackupFormatError for anything that is not a readable backup. */
export async function openBackupFile(file: string): Promise<OpenedBackup> {
  const fh = await fsp.open(file, 'r');
  try {
    const head = await readExactly(fh, 0, 12);
    if (head === null || head.length < 12 || !head.subarray(0, 8).equals(MAGIC)) throw new BackupFormatError(`${file} is not a Keyhold backup file`);
    const coreLen = head.readUInt32BE(8);
    if (coreLen < 2 || coreLen > MAX_HEADER_PART) throw damaged('header length');
    const coreBytes = await readExactly(fh, 12, coreLen);
    if (coreBytes === null || coreBytes.length < coreLen) throw damaged('truncated header');
    const core = parseCore(coreBytes);
    const kl = await readExactly(fh, 12 + coreLen, 4);
    if (kl === null || kl.length < 4) throw damaged('truncated header');
    const keyLen = kl.readUInt32BE(0);
    if (keyLen < 2 || keyLen > MAX_HEADER_PART) throw damaged('header length');
    const keyBytes = await readExactly(fh, 16 + coreLen, keyLen);
    if (keyBytes === null || keyBytes.length < keyLen) throw damaged('truncated header');
    const key = parseKeyWrap(keyBytes, core.protection);
    const hash = headerHash(coreBytes, keyBytes);
    const bodyStart = 16 + coreLen + keyLen;
    return {
      core,
      key,
      wrapAad: wrapAad(coreBytes),
      close: () => fh.close(),
      async read(dataKey, onEntry, onChunk) {
        const parser = new ArchiveParser(onEntry);
        let pos = bodyStart;
        // Every chunk but the last is full (4 + chunkBytes + tag); a damaged file fails below, whatever this says.
        const total = onChunk === undefined ? 0 : Math.max(1, Math.ceil(((await fh.stat()).size - bodyStart) / (4 + core.chunkBytes + TAG)));
        for (let index = 0; ; index++) {
          const lenBuf = await readExactly(fh, pos, 4);
          if (lenBuf === null || lenBuf.length < 4) throw damaged('it ends before its last chunk: truncated');
          const len = lenBuf.readUInt32BE(0);
          if (len < TAG || len > core.chunkBytes + TAG) throw damaged(`chunk ${index} has an impossible length`);
          const ct = await readExactly(fh, pos + 4, len);
          if (ct === null || ct.length < len) throw damaged('it ends inside a chunk: truncated');
          pos += 4 + len;
          const plain = openChunk(dataKey, hash, index, ct);
          if (plain === null) throw damaged(`chunk ${index} does not authenticate`);
          await parser.feed(plain.data);
          plain.data.fill(0);
          onChunk?.(index + 1, Math.max(total, index + 1));
          if (plain.last) {
            const extra = await readExactly(fh, pos, 1);
            if (extra !== null) throw damaged('bytes after the last chunk');
            parser.end();
            return;
          }
        }
      },
    };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

/** The chunk's plaintext, trying the last flag both ways; null when neither authenticates. */
function openChunk(key: Buffer, hash: Buffer, index: number, ct: Buffer): { data: Buffer; last: boolean } | null {
  for (const last of [false, true]) {
    try {
      const d = createDecipheriv('aes-256-gcm', key, nonceOf(index));
      d.setAAD(chunkAad(hash, index, last));
      d.setAuthTag(ct.subarray(ct.length - TAG));
      const out = d.update(ct.subarray(0, ct.length - TAG));
      return { data: Buffer.concat([out, d.final()]), last };
    } catch {
      /* the other flag, or damaged */
    }
  }
  return null;
}

/** The archive's entries out of the decrypted stream. */
class ArchiveParser {
  #buf: Buffer = Buffer.alloc(0);
  #entry: { sink: EntrySink | undefined; left: bigint } | undefined;
  #ended = false;
  constructor(private readonly onEntry: (name: string, size: number) => EntrySink | undefined) {}

  async feed(data: Buffer): Promise<void> {
    this.#buf = this.#buf.length === 0 ? Buffer.from(data) : Buffer.concat([this.#buf, data]);
    for (;;) {
      if (this.#ended) {
        if (this.#buf.length > 0) throw damaged('data after the end of the archive');
        return;
      }
      if (this.#entry !== undefined) {
        if (this.#buf.length === 0) return;
        const take = Number(this.#entry.left < BigInt(this.#buf.length) ? this.#entry.left : BigInt(this.#buf.length));
        if (this.#entry.sink !== undefined) await this.#entry.sink.write(this.#buf.subarray(0, take));
        this.#buf = this.#buf.subarray(take);
        this.#entry.left -= BigInt(take);
        if (this.#entry.left === 0n) {
          await this.#entry.sink?.end();
          this.#entry = undefined;
        }
        continue;
      }
      if (this.#buf.length < 2) return;
      const nameLen = this.#buf.readUInt16BE(0);
      if (nameLen === 0) {
        this.#ended = true;
        this.#buf = this.#buf.subarray(2);
        continue;
      }
      if (this.#buf.length < 2 + nameLen + 8) return;
      const name = checkEntryName(this.#buf.subarray(2, 2 + nameLen).toString('utf8'));
      const size = this.#buf.readBigUInt64BE(2 + nameLen);
      if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw damaged('impossible entry size');
      this.#buf = this.#buf.subarray(2 + nameLen + 8);
      this.#entry = { sink: this.onEntry(name, Number(size)), left: size };
      if (size === 0n) {
        await this.#entry.sink?.end();
        this.#entry = undefined;
      }
    }
  }

  end(): void {
    if (!this.#ended || this.#entry !== undefined) throw damaged('the archive ends early');
  }
}

/** keyhold-YYYYMMDD-HHMMSS.khbak for a time (UTC, so names sort by time whatever the time zone). */
export function backupFileName(at: Date, suffix = ''): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `keyhold-${p(at.getUTCFullYear(), 4)}${p(at.getUTCMonth() + 1)}${p(at.getUTCDate())}-${p(at.getUTCHours())}${p(at.getUTCMinutes())}${p(at.getUTCSeconds())}${suffix}.khbak`;
}

export const BACKUP_NAME = /^keyhold-(\d{8})-(\d{6})(-\d+)?\.khbak$/;
