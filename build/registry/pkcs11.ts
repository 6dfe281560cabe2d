// The two KMIP enumerations whose values the KMIP texts do not list but take
// from PKCS#11 v3.0 (2.x §11.38, §11.39): PKCS#11 Function (offsets in
// CK_FUNCTION_LIST_3_0) and PKCS#11 Return Code (CK_RV values). Their values
// are data tables beside the generator; each file's header names its source.

import { normalizeName } from '../../shared/kmip/registry/normalize.js';
import { parseHex, readTsv } from './data.js';

/** A value an enumeration takes from another standard: its value, KMIP name and the name that standard prints. */
export interface ExternalValue {
  value: number;
  name: string;
  specName: string;
}

/** KMIP reserves 0x8XXXXXXX of every enumeration for extensions. */
const EXTENSION_RANGE = 0x80000000;

/** pkcs11-functions.tsv: offset (1, 2, … in order) and PKCS#11 function name, kept as the KMIP name. */
export function loadPkcs11Functions(): ExternalValue[] {
  const file = 'pkcs11-functions.tsv';
  return readTsv(file, 2).map(([offset, fn], i) => {
    if (offset !== String(i + 1)) throw new Error(`${file}: row ${i + 1} has offset ${offset}; offsets run 1, 2, … in order`);
    if (!/^C_[A-Za-z]+$/.test(fn!)) throw new Error(`${file}: '${fn}' is not a PKCS#11 function name`);
    const name = normalizeName(fn!);
    if (name !== fn) throw new Error(`${file}: ${fn} normalizes to ${name}`);
    return { value: i + 1, name, specName: fn! };
  });
}

/** pkcs11-return-codes.tsv: CK_RV value and CKR_ name; the KMIP name drops "CKR_". */
export function loadPkcs11ReturnCodes(): ExternalValue[] {
  const file = 'pkcs11-return-codes.tsv';
  return readTsv(file, 2).map(([hex, ckr]) => {
    const value = parseHex(hex!, file);
    if (value >= EXTENSION_RANGE) throw new Error(`${file}: ${ckr} ${hex} is in KMIP's extension range`);
    if (!/^CKR_[A-Z0-9_]+$/.test(ckr!)) throw new Error(`${file}: '${ckr}' is not a CKR_ name`);
    return { value, name: normalizeName(ckr!.slice('CKR_'.length)), specName: ckr! };
  });
}

/** Enumeration name (normalized) → its values from PKCS#11. */
export function loadExternalEnumerations(): Map<string, ExternalValue[]> {
  return new Map([
    ['PKCS_11Function', loadPkcs11Functions()],
    ['PKCS_11ReturnCode', loadPkcs11ReturnCodes()],
  ]);
}
