/**
 * A translation of a catalogue: exactly the same keys (an object literal with
 * a missing or extra key is a type error), any text. Placeholders such as
 * {name} must appear in the translation too (checked by the i18n unit test).
 */
export type Catalogue<T extends Record<string, string>> = { readonly [K in keyof T]: string };
