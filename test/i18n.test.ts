// The UI's catalogues: every language has exactly the English keys (the type
// checker sees to that) and keeps every {placeholder} of the English text, and
// no text is empty or left in English by mistake where a translation exists.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from './support/reference.js';
import { en } from '../renderer/src/i18n/en/index.js';
import { zhCN } from '../renderer/src/i18n/zh-CN/index.js';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('Simplified Chinese has every English key, keeps every placeholder, and no empty text', () => {
  assert.deepEqual(Object.keys(zhCN).sort(), Object.keys(en).sort());
  for (const [key, text] of Object.entries(en)) {
    const zh = (zhCN as Record<string, string>)[key]!;
    assert.notEqual(zh.trim(), '', key);
    assert.deepEqual(placeholders(zh), placeholders(text), `${key}: placeholders`);
  }
});

test('Chinese texts are translated: only product names, codes and placeholders may stay in Latin letters', () => {
  const untranslated = Object.entries(zhCN).filter(([key, zh]) => zh === (en as Record<string, string>)[key] && /[a-z]{3,}/.test(zh.replace(/\{\w+\}/g, '').replace(/Keyhold|KMIP|TLS|PKCS#12|CSR|PEM|SHA-256|JSON|CSV|IP/g, '')));
  assert.deepEqual(untranslated, []);
});

test('components hold no text of their own: every visible string comes from t()', () => {
  const dir = join(REPO_ROOT, 'renderer', 'src');
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.svelte'));
  assert.ok(files.length > 0);
  const found: string[] = [];
  for (const f of files) {
    const markup = readFileSync(join(dir, f), 'utf8').replace(/<script[\s\S]*?<\/script>/g, '').replace(/<style[\s\S]*?<\/style>/g, '').replace(/<!--[\s\S]*?-->/g, '');
    // Text between tags outside {…} expressions, and literal user-facing attributes.
    // Expressions nest ({t('x', { n })}): collapse the innermost until none is left.
    let flat = markup;
    for (let prev = ''; prev !== flat; ) [prev, flat] = [flat, flat.replace(/\{[^{}]*\}/g, '')];
    for (const m of flat.matchAll(/>([^<>]*)</g)) {
      const text = m[1]!.trim();
      if (/\p{L}{2,}/u.test(text)) found.push(`${f}: "${text}"`);
    }
    for (const m of markup.matchAll(/\b(aria-label|placeholder|title|alt)="([^"{]*)"/g)) {
      if (/\p{L}{2,}/u.test(m[2]!)) found.push(`${f}: ${m[1]}="${m[2]}"`);
    }
  }
  assert.deepEqual(found, []);
});
