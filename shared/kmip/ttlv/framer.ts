// Cuts complete TTLV messages out of a byte stream (a TLS socket, a capture
// file), whatever the chunk boundaries. The 8-byte header of each message
// gives its length; the limit is checked on that declared length, before any
// of the body is buffered.
import { TtlvError } from './errors.js';
import { resolveLimits, type TtlvLimits } from './limits.js';
import { itemTypeName } from './types.js';

/**
 * A chunk shorter than this, arriving while part of a message is already
 * buffered, is copied into a shared block instead of being queued on its own.
 * A peer that trickles a message one byte per TLS record would otherwise make
 * the framer hold one object per byte (some 100 bytes of heap each).
 */
const SMALL_CHUNK = 1024;
const BLOCK_SIZE = 16 * 1024;

export class TtlvFramer {
  private readonly limits: TtlvLimits;
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  /** Stream offset of the first buffered byte: error offsets are stream offsets. */
  private consumed = 0;
  /** Total length of the message being collected, once its header is in. */
  private need = -1;
  private emitted = 0;
  /** Block the last queued chunk is a view of, while small chunks may still be appended to it. */
  private block: Uint8Array | undefined;
  private blockStart = 0;
  private blockEnd = 0;

  constructor(limits?: Partial<TtlvLimits>) {
    this.limits = resolveLimits(limits);
  }

  /** Bytes received that do not yet make a whole message. */
  get pending(): number {
    return this.buffered;
  }

  /** Stream offset where the next message starts. */
  get offset(): number {
    return this.consumed;
  }

  /** Messages cut so far. */
  get count(): number {
    return this.emitted;
  }

  /** Feed a chunk; returns the messages it completed, in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    this.feed(chunk);
    const out: Uint8Array[] = [];
    for (let m = this.next(); m !== undefined; m = this.next()) out.push(m);
    return out;
  }

  /** Buffer a chunk without cutting messages yet (see next()). */
  feed(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (chunk.length < SMALL_CHUNK && this.chunks.length > 0) this.append(chunk);
    else {
      this.chunks.push(chunk);
      this.block = undefined;
    }
    this.buffered += chunk.length;
  }

  /**
   * The next complete message, or undefined until more bytes arrive. A bad
   * header throws here, after every earlier message has been handed out, so a
   * caller reading a capture can show all that came before the fault.
   */
  next(): Uint8Array | undefined {
    if (this.need < 0) {
      if (this.buffered < 8) return undefined;
      this.need = this.readHeader();
    }
    if (this.buffered < this.need) return undefined;
    const m = this.take(this.need);
    this.consumed += this.need;
    this.need = -1;
    this.emitted++;
    return m;
  }

  /** The stream has ended: anything still buffered is a truncated message, reported at its start. */
  end(): void {
    if (this.buffered === 0) return;
    const head = this.buffered >= 3 ? this.peek(3) : undefined;
    const tag = head === undefined ? undefined : (head[0]! << 16) | (head[1]! << 8) | head[2]!;
    const detail =
      this.need < 0
        ? `stream ends inside a message header (${this.buffered} of 8 bytes)`
        : `stream ends after ${this.buffered} of the ${this.need} bytes the message declares`;
    throw new TtlvError('TRUNCATED', detail, this.consumed, tag);
  }

  private readHeader(): number {
    const h = this.peek(8);
    const tag = (h[0]! << 16) | (h[1]! << 8) | h[2]!;
    if (h[0] !== 0x42 && h[0] !== 0x54) {
      throw new TtlvError('BAD_TAG', 'message does not start with a KMIP tag', this.consumed, tag);
    }
    if (itemTypeName(h[3]!) === undefined) {
      throw new TtlvError('BAD_TYPE', `unknown item type 0x${h[3]!.toString(16).padStart(2, '0')}`, this.consumed + 3, tag);
    }
    const len = ((h[4]! << 24) >>> 0) + ((h[5]! << 16) | (h[6]! << 8) | h[7]!);
    const total = 8 + len + ((8 - (len % 8)) % 8);
    if (total > this.limits.maxMessageSize) {
      throw new TtlvError('TOO_LARGE', `message declares ${total} bytes, over the limit of ${this.limits.maxMessageSize}`, this.consumed, tag);
    }
    return total;
  }

  /** Queue a small chunk by copying it to the end of the current block. */
  private append(chunk: Uint8Array): void {
    let b = this.block;
    if (b === undefined || b.length - this.blockEnd < chunk.length) {
      b = this.block = new Uint8Array(BLOCK_SIZE);
      this.blockStart = this.blockEnd = 0;
      this.chunks.push(b);
    }
    b.set(chunk, this.blockEnd);
    this.blockEnd += chunk.length;
    this.chunks[this.chunks.length - 1] = b.subarray(this.blockStart, this.blockEnd);
  }

  private peek(n: number): Uint8Array {
    const first = this.chunks[0]!;
    if (first.length >= n) return first;
    return this.take(n, false);
  }

  /** Remove (or just copy, when consume is false) the first n buffered bytes. */
  private take(n: number, consume = true): Uint8Array {
    // Consuming reshapes the queue: small chunks start a new block after it.
    if (consume) this.block = undefined;
    // Always a fresh copy, never the caller's chunk: a socket's Buffer may be
    // pooled or reused, and a message must not share memory with it.
    const out = new Uint8Array(n);
    let filled = 0;
    let i = 0;
    while (filled < n) {
      const c = this.chunks[i]!;
      const part = Math.min(c.length, n - filled);
      out.set(c.subarray(0, part), filled);
      filled += part;
      if (part < c.length) break;
      i++;
    }
    if (consume) {
      // Drop the chunks fully used (in one splice: shifting them one by one is
      // quadratic in their number) and trim the one used in part.
      let left = n;
      let used = 0;
      while (left > 0 && this.chunks[used]!.length <= left) left -= this.chunks[used++]!.length;
      this.chunks.splice(0, used);
      if (left > 0) this.chunks[0] = this.chunks[0]!.subarray(left);
      this.buffered -= n;
    }
    return out;
  }
}
