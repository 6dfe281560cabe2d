// Spec name → CamelCase name, shared by the registry lookups and by the
// generator (build/gen-registry.ts), which must not import the generated file
// it is about to replace.

/**
 * Normalize a spec name to CamelCase, exactly as KMIP Additional Message
 * Encodings §4.1.3 prescribes (rules 1–6), e.g. 'PKCS#1' → 'PKCS_1',
 * 'Transparent RSA Private Key' → 'TransparentRSAPrivateKey'.
 */
export function normalizeName(specText: string): string {
  // 1. round brackets become spaces
  const noBrackets = specText.replace(/[()]/g, ' ');
  // 2. a non-word char followed by a letter then a lower-case letter becomes a space
  const spaced = noBrackets.replace(/\W([A-Za-z][a-z])/g, ' $1');
  // 3. remaining non-word chars become underscores, per word
  const words = spaced.split(/\s+/).filter((w) => w.length > 0).map((w) => w.replace(/\W/g, '_'));
  if (words.length === 0) return '';
  // 4. leading digits of the first word move to its end
  words[0] = words[0]!.replace(/^(\d+)(.*)$/, '$2$1');
  // 5. capitalize each word, 6. concatenate
  return words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}
