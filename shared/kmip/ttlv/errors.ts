// Typed TTLV errors. Every decode failure names what is wrong, the byte offset
// where it was found and, once the item header is read, the tag. Nothing else
// is ever thrown by the codec on bad input: callers (the KMIP server, the CLI)
// map these codes to a Result Reason or a one-line message.
import { tagHex } from './types.js';

export type TtlvErrorCode =
  /** Input ends inside an item header, value or padding. */
  | 'TRUNCATED'
  /** A fixed-size type carries another length, or a Big Integer length is not a positive multiple of 8. */
  | 'BAD_LENGTH'
  /** The type byte is no KMIP item type. */
  | 'BAD_TYPE'
  /** The tag is outside the KMIP (0x42xxxx) and extension (0x54xxxx) ranges. */
  | 'BAD_TAG'
  /** Padding bytes after a value are not zero. */
  | 'BAD_PADDING'
  /** A Boolean is neither 0 nor 1. */
  | 'BAD_BOOLEAN'
  /** A Text String is not valid UTF-8. */
  | 'BAD_UTF8'
  /** A child item runs past the end of its structure. */
  | 'STRUCTURE_OVERRUN'
  /** Bytes remain after the outermost item. */
  | 'TRAILING_BYTES'
  /** The message is larger than the configured limit. */
  | 'TOO_LARGE'
  /** Structures nest deeper than the configured limit. */
  | 'TOO_DEEP'
  /** The message holds more items than the configured limit. */
  | 'TOO_MANY_ITEMS'
  /** Text that should be hex is not. */
  | 'BAD_HEX'
  /** An item handed to the encoder has a value its type cannot carry. */
  | 'INVALID_VALUE';

export class TtlvError extends Error {
  override readonly name = 'TtlvError';
  constructor(
    readonly code: TtlvErrorCode,
    readonly detail: string,
    /** Byte offset (from the start of the message or stream) where the problem is. */
    readonly offset: number,
    /** Tag of the item concerned, when its header could be read. */
    readonly tag?: number,
  ) {
    super(`${detail} at offset ${offset}${tag === undefined ? '' : ` (tag ${tagHex(tag)})`}`);
  }

  /** Plain data for crossing a worker or IPC boundary. */
  toJSON(): { code: TtlvErrorCode; message: string; offset: number; tag?: number } {
    return { code: this.code, message: this.message, offset: this.offset, ...(this.tag === undefined ? {} : { tag: this.tag }) };
  }

  /** The same error seen from further along a stream (framer, CLI sessions). */
  shifted(by: number): TtlvError {
    return new TtlvError(this.code, this.detail, this.offset + by, this.tag);
  }
}
