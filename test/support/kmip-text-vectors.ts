// Helpers for the KMIP XML/JSON vector tests: the OASIS test-case index, the
// placeholder substitution, and a compact first-difference finder for item
// trees (assert.deepStrictEqual on a whole message prints pages).
import { readFileSync } from 'node:fs';
import type { TtlvItem } from '../../shared/kmip/ttlv/types.js';
import { tagHex } from '../../shared/kmip/ttlv/types.js';
import type { ScalarType } from '../../shared/kmip/text/index.js';
import { reference } from './reference.js';

export interface IndexRow {
  path: string;
  family: string;
  protocolVersion: string;
  requests: number;
  responses: number;
  wellFormed: boolean;
  placeholders: string[];
  /** 'M' mandatory, 'O' optional, '' when the file says neither. */
  mandatoryOptional: string;
  /** Operation names (Enum.Operation keys) the case's requests use. */
  operations: string[];
}

/** ../shared/kmip-testcases/index.tsv (the reference folder): one row per XML test-case file. */
export function readTestcaseIndex(): IndexRow[] {
  const lines = readFileSync(reference('kmip-testcases', 'index.tsv'), 'utf8').split('\n').filter((l) => l.trim() !== '');
  const header = lines[0]!.split('\t');
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`index.tsv has no column ${name}`);
    return i;
  };
  const c = {
    path: col('path'), family: col('family'), version: col('protocol_version'), req: col('requests'),
    resp: col('responses'), wf: col('well_formed_xml'), ph: col('placeholders'), mo: col('mandatory_optional'), ops: col('operations'),
  };
  return lines.slice(1).map((line) => {
    const f = line.split('\t');
    return {
      path: f[c.path]!,
      family: f[c.family] ?? '',
      protocolVersion: f[c.version] ?? '',
      requests: Number(f[c.req]),
      responses: Number(f[c.resp]),
      wellFormed: f[c.wf] === 'yes',
      placeholders: (f[c.ph] ?? '').split(' ').filter((p) => p !== ''),
      mandatoryOptional: f[c.mo] ?? '',
      operations: (f[c.ops] ?? '').split(' ').filter((o) => o !== ''),
    };
  });
}

/**
 * Placeholders of the OASIS test-case files, for a round trip.
 *
 * The files mark dynamic values with `$` tokens. In Text String fields
 * (`$UNIQUE_IDENTIFIER_0`, …) they are ordinary strings and pass through
 * untouched. In typed fields they are not valid values, so they are replaced
 * by fixed ones before parsing:
 *   - Date-Time / Date-Time Extended: `$NOW` → 2020-01-01T00:00:00Z
 *     (FIXED_NOW), `$NOW+n` / `$NOW-n` → that ± n seconds. Written as
 *     16-digit hex so the substitution does not depend on the ISO reader.
 *   - Byte String: `$NAME` → the hex of the token's UTF-8 bytes (deterministic,
 *     and distinct per token).
 * Any other `$` token in a typed field is left alone, so the parser reports it.
 */
export const FIXED_NOW = 1_577_836_800n;

export function substitutePlaceholder(raw: string, type: ScalarType): string | undefined {
  if (!raw.startsWith('$') || type === 'TextString') return undefined;
  if (type === 'DateTime' || type === 'DateTimeExtended') {
    const m = /^\$NOW(?:([+-])(\d+))?$/.exec(raw);
    if (!m) return undefined;
    const delta = m[2] === undefined ? 0n : BigInt(m[2]) * (m[1] === '-' ? -1n : 1n);
    const seconds = FIXED_NOW + delta;
    const value = type === 'DateTime' ? seconds : seconds * 1_000_000n;
    return '0x' + BigInt.asUintN(64, value).toString(16).padStart(16, '0');
  }
  if (type === 'ByteString') return Buffer.from(raw, 'utf8').toString('hex');
  return undefined;
}

function valueText(item: TtlvItem): string {
  const v = item.value;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (Array.isArray(v)) return `Structure(${v.length})`;
  return `${typeof v === 'bigint' ? `${v}n` : JSON.stringify(v)}`;
}

/** Path and description of the first difference between two item trees, or undefined when equal. */
export function firstDifference(a: TtlvItem, b: TtlvItem, path = ''): string | undefined {
  const here = `${path}/${tagHex(a.tag)}`;
  if (a.tag !== b.tag) return `${here}: tag ${tagHex(a.tag)} vs ${tagHex(b.tag)}`;
  if (a.type !== b.type) return `${here}: type ${a.type} vs ${b.type}`;
  if (a.type === 'Structure' && b.type === 'Structure') {
    for (let i = 0; i < Math.max(a.value.length, b.value.length); i++) {
      const x = a.value[i];
      const y = b.value[i];
      if (x === undefined || y === undefined) return `${here}[${i}]: ${x === undefined ? 'missing' : 'extra'} item`;
      const d = firstDifference(x, y, `${here}[${i}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  return valueText(a) === valueText(b) ? undefined : `${here}: ${a.type} ${valueText(a)} vs ${valueText(b)}`;
}
