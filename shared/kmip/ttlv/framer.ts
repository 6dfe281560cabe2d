// Cuts complete TTLV messages out of a byte stream (a TLS socket, a capture
// file), whatever the chunk boundaries. The 8-byte header of each message
// gives its length; the limit is checked on that declared length, before any
// of the body is buffered.
import { TtlvError } from './errors.js';
import { resolveLimits, type TtlvLimits } from './limits.js';
import { itemTypeName } from './types.js';

export class TtlvFramer {
  private readonly limits: TtlvLimits;
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  /** Stream offset of the first buffered byte: error offsets are stream offsets. */
  private consumed = 0;
  /** Total length of the message being collected, once its header is in. */
  private need = -1;

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

  /** Feed a chunk; returns the messages it completed, in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const out: Uint8Array[] = [];
    for (;;) {
      if (this.need < 0) {
        if (this.buffered < 8) break;
        this.need = this.readHeader();
      }
      if (this.buffered < this.need) break;
      out.push(this.take(this.need));
      this.consumed += this.need;
      this.need = -1;
    }
    return out;
  }

  /** The stream has ended: anything still buffered is a truncated message. */
  end(): void {
    if (this.buffered > 0) {
      const want = this.need < 0 ? 8 : this.need;
      throw new TtlvError('TRUNCATED', `stream ends ${want - this.buffered} bytes short of a complete message`, this.consumed + this.buffered);
    }
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

  private peek(n: number): Uint8Array {
    const first = this.chunks[0]!;
    if (first.length >= n) return first;
    return this.take(n, false);
  }

  /** Remove (or just copy, when consume is false) the first n buffered bytes. */
  private take(n: number, consume = true): Uint8Array {
    const first = this.chunks[0]!;
    if (consume && first.length === n) {
      this.chunks.shift();
      this.buffered -= n;
      return first;
    }
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
      // Drop the chunks fully used and trim the one used in part.
      let left = n;
      while (left > 0) {
        const c = this.chunks[0]!;
        if (c.length <= left) {
          this.chunks.shift();
          left -= c.length;
        } else {
          this.chunks[0] = c.subarray(left);
          left = 0;
        }
      }
      this.buffered -= n;
    }
    return out;
  }
}
