// Characters of XML 1.0, shared by the reader and the printer.

/**
 * Anything that is not an XML 1.0 Char (§2.2): C0 controls other than tab,
 * LF and CR, lone surrogates, U+FFFE and U+FFFF. Such a character cannot be
 * in a document at all, not even as a character reference. (CR is a Char: the
 * reader normalizes literal line ends to LF first, and &#13; stands for CR.)
 */
export const NOT_XML_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
