// Typed errors for the KMIP text encodings (XML, JSON). A bad document never
// escapes as a generic TypeError: every failure says where it is (the path of
// tag names down to the item, plus the line/column in XML or the JSON pointer)
// and what is wrong, so a server can answer "Invalid Message" with a reason
// and an operator can find the spot in a file.

export type KmipTextErrorCode =
  /** The document is not well-formed XML or JSON, or uses a forbidden construct (DTD, entity, CDATA…). */
  | 'SYNTAX'
  /** A tag name the registry does not know, or a malformed hex tag. */
  | 'UNKNOWN_TAG'
  /** A type name that is not one of the KMIP item types. */
  | 'UNKNOWN_TYPE'
  /** A value that does not parse for its type, or is out of its type's range. */
  | 'BAD_VALUE'
  /** An Enumeration or mask name the registry does not know in this context. */
  | 'UNKNOWN_NAME'
  /** A well-formed document whose shape is not a KMIP item (missing value, text content, stray attribute…). */
  | 'BAD_ITEM'
  /** An item that this encoding cannot carry (e.g. a control character in XML). */
  | 'UNREPRESENTABLE'
  /** Nesting deeper than the configured limit (maxDepth). */
  | 'TOO_DEEP'
  /** An input longer than the configured limit (maxMessageSize: the UTF-8 length of the text), refused before parsing. */
  | 'TOO_LARGE'
  /** More items than the configured limit (maxItems). */
  | 'TOO_MANY_ITEMS';

export class KmipTextError extends Error {
  override readonly name = 'KmipTextError';
  constructor(
    readonly code: KmipTextErrorCode,
    /** What is wrong, without the location. */
    readonly detail: string,
    /** Tag names from the root down to the item concerned, '/'-separated; '' when not inside an item. */
    readonly path = '',
    /** 'line 12, column 5' (XML) or a JSON pointer such as '/value/1/value/0' (JSON). */
    readonly location = '',
  ) {
    super(KmipTextError.compose(detail, path, location));
  }

  private static compose(detail: string, path: string, location: string): string {
    const where = [path, location && `(${location})`].filter((s) => s.length > 0).join(' ');
    return where ? `${where}: ${detail}` : detail;
  }

  /** The same error, located: inner code throws without knowing where it is. */
  at(path: string, location: string): KmipTextError {
    return new KmipTextError(this.code, this.detail, this.path || path, this.location || location);
  }

  toJSON(): { code: KmipTextErrorCode; message: string; path: string; location: string } {
    return { code: this.code, message: this.message, path: this.path, location: this.location };
  }
}
