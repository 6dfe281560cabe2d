// How a response from Keyhold is compared with the response an OASIS test
// case expects. One comparison for both transports: the in-process replay in
// test/support/kmip-ops.ts and the live-TLS runner in runner.ts call these.
//
// The test cases are transcripts of a reference server. The Profiles (KMIP
// Profiles 1.4 §5 / 2.1 §5, "Test cases") mark what may legitimately differ
// from one conforming server to the next with `$` placeholders or leave it
// to the server; everything else is compared exactly (tag, type, order,
// value). Variable, compared by tag and type only:
//   - Date-Time and Date-Time Extended values: the response Time Stamp and
//     every date the server sets (Initial Date, Last Change Date, …) are the
//     moment the case runs ($NOW in the files).
//   - Digest Value: computed over key material the server generated.
//   - Key Material of keys the server generated (Create, Create Key Pair):
//     random by definition. Key Material that the case itself supplied in a
//     request (Register) must come back identical.
//   - Random Number Generator (attribute and 1.x Attribute structure): it
//     describes the reference server's own generator (ANSI X9.31 there).
//   - RNG Retrieve's Data: the reference generator's output; ours must have
//     the same type and length (the Data Length asked for).
//   - A later request's $MAC_DATA / $SIGNATURE_DATA where the earlier
//     response shows the value itself (CS-AC-M-6: MAC answers a literal MAC,
//     MAC Verify then sends $MAC_DATA): bound to the MAC Data / Signature
//     Data of our answer, which is compared exactly as usual.
//   - Encrypt / Decrypt output that cannot repeat the transcript: under a
//     key the server generated in the case (Create, Create Key Pair: CS-BC-M-1
//     to 3), and RSA encryption under a Public Key (OAEP and PKCS#1 v1.5 are
//     randomized: CS-AC-M-OAEP-1, 3, …). Data is compared by type and length.
//   - Random IV: an IV/Counter/Nonce the server generated (the request gave
//     none) and the Data encrypted under it, by type and length; they bind
//     $IV_COUNTER_NONCE and $DATA_0 for the later requests (the 1.4
//     CS-BC-M-13 transcript shows the reference's values as literals but
//     sends the placeholders back; its 2.1 twin has placeholders in both).
//   - Result Reason General Failure, where the reference reports its own
//     internal error for a bad request parameter (CS-BC-M-GCM-1, CHACHA20POLY1305-1:
//     Tag Length 1 and 32, "L_KMIPCRYPTO_random:invalid-tag-length"): no
//     error table of the spec gives General Failure for it, so ours may
//     answer the specific reason the Encrypt table lists: Bad or Unsupported
//     Cryptographic Parameters (2.x), Invalid Field (1.x).
//   - Unique Identifiers written as $UNIQUE_IDENTIFIER_n (and the SHORT_ /
//     _RANDOM_ forms): the first response that carries one binds the
//     placeholder to our value; every later response must repeat that value,
//     and later requests are sent with it.
//   - Any other `$NAME` placeholder in a response (signature, MAC, cipher
//     text, IV, correlation values): a value only the server can produce.
//     It is bound like an identifier so a later request can send it back.
//   - The Query response's lists (Operations, Object Types, Vendor
//     Identification, Server Information, Capabilities, …) describe the
//     reference server. For Query we check instead that our answer is
//     well-formed (only Query response fields, each with its type, known
//     enumeration values, at most one Vendor Identification and Server
//     Information), that every operation we list is one the server serves,
//     and, where the reference listed Operations (Query Operations was
//     asked), that the profile's required operations are a subset of ours (the
//     profile documents are not in the reference folder, so "required" is
//     the operations the family's own test cases use for that version and
//     mandatory/optional class: what a server claiming the profile must do).
//   - Get Attribute List: the Attribute Names (1.x) / Attribute References
//     (2.x) are compared as a set; the specs (1.4 §4.13, 2.1 §6.1.21) give
//     them no order, and servers list them in storage order.
//   - Get Attributes: likewise the returned attributes are compared as a
//     multiset (each expected attribute, compared by the rules here, matched
//     by a distinct one of ours); 1.4 §4.12 / 2.1 §6.1.20 give no order.
//     When the request names no attribute ("all attributes SHALL be
//     returned"), ours may add standard attributes the reference left out
//     (its 1.4 TL-M-3 answer omits Sensitive & co. that its own Get Attribute
//     List shows); vendor attributes must match exactly.
// Not compared: Result Message (free text, server-specific), the header's
// Batch Count (implied by the items, which are compared one by one).
import { parseResponseMessage, type ResponseMessage } from '../../shared/kmip/message/index.js';
import { enumForTag, enumValueName, Enum, Tag, tagName, type KmipVersion } from '../../shared/kmip/registry/index.js';
import type { StructureItem, TtlvItem } from '../../shared/kmip/ttlv/index.js';

/** The rules above, as printed in docs/conformance.md. */
export const COMPARISON_RULES: readonly string[] = [
  'Everything is compared exactly (tag, type, order, value), except as the rules below say; Query, Get Attribute List and Get Attributes have rules of their own.',
  'Date-Time and Date-Time Extended values: the response Time Stamp and the dates the server sets are the moment the case runs ($NOW in the files). In requests, $NOW±n is replaced by the current time ± n seconds.',
  'Digest Value: computed over key material the server generated.',
  'Key Material of keys the server generated (Create, Create Key Pair): random by definition. Key Material that the case supplied in a request (Register) must come back identical.',
  'Random Number Generator: it describes the reference server\'s own generator (ANSI X9.31 there).',
  'RNG Retrieve\'s Data: random output of the reference\'s generator; ours must have the same type and length (the Data Length asked for).',
  '$MAC_DATA / $SIGNATURE_DATA in a request, where the earlier response shows the value itself rather than the placeholder (CS-AC-M-6): the MAC Data / Signature Data of our answer (compared exactly as usual).',
  'Encrypt / Decrypt Data that cannot repeat the transcript: under a key the server generated in the case (Create, Create Key Pair), and RSA encryption under a Public Key (OAEP and PKCS#1 v1.5 are randomized): compared by type and length.',
  'Random IV: an IV/Counter/Nonce the server generated (the request gave none) and the Data encrypted under it: by type and length; they bind $IV_COUNTER_NONCE and $DATA_0 for later requests (the 1.4 CS-BC-M-13 transcript shows the reference\'s values as literals but sends the placeholders back).',
  'Result Reason General Failure where the reference reports its own internal error for a bad request parameter (the GCM and ChaCha20-Poly1305 Tag Length 1 and 32 cases): ours may answer the specific reason of the Encrypt error table instead: Bad or Unsupported Cryptographic Parameters (2.x), Invalid Field (1.x).',
  '$UNIQUE_IDENTIFIER_n (and the SHORT_ and _RANDOM_ forms): the first response carrying one binds it to our value; later responses must repeat that value and later requests send it.',
  'Any other $NAME placeholder in a response (signature, MAC, cipher text, IV, correlation values): a value only the server can produce; bound like an identifier so later requests can send it back.',
  'Query: the lists (Operations, Object Types, Vendor Identification, Server Information, Capabilities, …) describe the reference server. Instead: our answer must be well-formed (only Query response fields, each with its type and known enumeration values, at most one Vendor Identification and Server Information), every operation we list must be one the server serves, and, where Query Operations was asked, the operations the family\'s test cases use for that version and class (the profile\'s required operations; the profile documents themselves are not in the reference folder) must be a subset of ours.',
  'Get Attribute List: the Attribute Names (1.x) or Attribute References (2.x) are compared as a set (same names, same count); the specs (1.4 §4.13, 2.1 §6.1.21) give them no order.',
  'Get Attributes: the returned attributes are compared as a multiset: each expected attribute (compared by the rules above) must be matched by a distinct one of ours, and the counts must agree; the specs (1.4 §4.12, 2.1 §6.1.20) give them no order. When the request names no attribute (all of them), ours may add standard attributes the reference left out (its 1.4 TL-M-3 answer omits Sensitive and others that its own Get Attribute List shows); vendor attributes must match exactly.',
  'Not compared: Result Message (free text), the header\'s Batch Count (the batch items are compared one by one).',
];

/** What one test case carries from message to message. */
export interface CaseState {
  /** Placeholder → the value our server gave it. */
  readonly ids: Map<string, string | Uint8Array>;
  /** canonical() of every Key Material the case's requests (or its group's earlier cases') supplied. */
  readonly suppliedKeyMaterial: Set<string>;
  /** For Query: the operations the server serves, and those the profile requires. */
  readonly query?: { served: readonly number[]; required: readonly number[] };
  /** Placeholders of keys whose Encrypt / Decrypt output cannot repeat the transcript (server-generated keys, RSA Public Keys). */
  readonly randomOutputKeys?: Set<string>;
}

/** `supplied` may be shared by the cases of a group: a later case may Get what an earlier one registered. */
export function newCaseState(requests: readonly TtlvItem[], query?: CaseState['query'], supplied = new Set<string>()): CaseState {
  const visit = (it: TtlvItem): void => {
    if (it.tag === Tag.KeyMaterial) supplied.add(canonical(it));
    else if (it.type === 'Structure') it.value.forEach(visit);
  };
  requests.forEach(visit);
  return { ids: new Map(), suppliedKeyMaterial: supplied, randomOutputKeys: new Set(), ...(query ? { query } : {}) };
}

const UID_PLACEHOLDER = /^\$(SHORT_)?UNIQUE_IDENTIFIER(_RANDOM)?(_\d+)?$/;
const PLACEHOLDER = /^\$[A-Z][A-Z0-9_]*$/;

/** The `$NAME` a value stands for, if it is a placeholder (Byte Strings carry the token's UTF-8 bytes, see substitutePlaceholder). */
function placeholderOf(it: TtlvItem): string | undefined {
  if (it.type === 'TextString') return PLACEHOLDER.test(it.value) ? it.value : undefined;
  if (it.type === 'ByteString' && it.value.length < 64 && it.value[0] === 0x24) {
    const s = Buffer.from(it.value).toString('utf8');
    return PLACEHOLDER.test(s) ? s : undefined;
  }
  return undefined;
}

/** A request with every bound placeholder replaced by our value; an identifier used before it is bound is an error. */
export function bind(it: TtlvItem, ids: Map<string, string | Uint8Array>): TtlvItem {
  if (it.type === 'Structure') return { ...it, value: it.value.map((c) => bind(c, ids)) };
  const p = placeholderOf(it);
  if (p === undefined) return it;
  const v = ids.get(p);
  if (v === undefined) {
    if (UID_PLACEHOLDER.test(p)) throw new Error(`${p} used before it was bound`);
    return it;
  }
  if (it.type === 'TextString' && typeof v === 'string') return { ...it, value: v };
  if (it.type === 'ByteString' && v instanceof Uint8Array) return { ...it, value: v };
  return it;
}

function sameValue(a: string | Uint8Array, b: TtlvItem['value']): boolean {
  if (typeof a === 'string') return a === b;
  return b instanceof Uint8Array && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
}

function canonical(it: TtlvItem): string {
  if (it.type === 'Structure') return `${it.tag}{${it.value.map(canonical).join(',')}}`;
  return `${it.tag}:${it.type}:${show(it)}`;
}

function show(it: TtlvItem): string {
  const v = it.value;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (Array.isArray(v)) return `Structure(${v.length})`;
  const e = it.type === 'Enumeration' ? enumForTag(it.tag) : undefined;
  const name = e && typeof v === 'number' ? enumValueName(e, v) : undefined;
  return name ?? String(v);
}

const nameOf = (tag: number): string => tagName(tag) ?? `0x${tag.toString(16)}`;

function field(s: TtlvItem | undefined, tag: number): TtlvItem | undefined {
  return s?.type === 'Structure' ? s.value.find((c) => c.tag === tag) : undefined;
}

/** The first difference between an expected and an actual item, or undefined. `path` names where. */
export function mismatch(exp: TtlvItem, got: TtlvItem | undefined, state: CaseState, path: string): string | undefined {
  if (got === undefined) return `${path}: missing`;
  if (exp.tag !== got.tag || exp.type !== got.type) return `${path}: expected ${nameOf(exp.tag)} (${exp.type}), got ${nameOf(got.tag)} (${got.type})`;
  if (exp.type === 'DateTime' || exp.type === 'DateTimeExtended' || exp.tag === Tag.DigestValue || exp.tag === Tag.RandomNumberGenerator) return undefined;
  if (exp.tag === Tag.KeyMaterial && !state.suppliedKeyMaterial.has(canonical(exp))) return undefined;
  const p = placeholderOf(exp);
  if (p !== undefined) {
    const bound = state.ids.get(p);
    if (bound === undefined) state.ids.set(p, got.value as string | Uint8Array);
    else if (UID_PLACEHOLDER.test(p) && !sameValue(bound, got.value)) return `${path}: ${p} was bound earlier to another value, got a different one`;
    return undefined;
  }
  if (exp.type === 'Structure') {
    const g = got as StructureItem;
    // 1.x: the Random Number Generator value is an Attribute Value structure.
    if (exp.tag === Tag.Attribute && field(exp, Tag.AttributeName)?.value === 'Random Number Generator') {
      return field(g, Tag.AttributeName)?.value === 'Random Number Generator' ? undefined : `${path}: expected the Random Number Generator attribute`;
    }
    for (let i = 0; i < Math.max(exp.value.length, g.value.length); i++) {
      const e = exp.value[i];
      if (e === undefined) return `${path}[${i}]: unexpected extra ${nameOf(g.value[i]!.tag)}`;
      const d = mismatch(e, g.value[i], state, `${path}/${nameOf(e.tag)}[${i}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  const a = show(exp);
  const b = show(got);
  return a === b ? undefined : `${path}: expected ${a}, got ${b}`;
}

// Query response fields (1.4 §4.25, 2.1 §6.1.37) and the type each must have.
const QUERY_FIELDS = new Map<number, TtlvItem['type']>([
  [Tag.Operation, 'Enumeration'],
  [Tag.ObjectType, 'Enumeration'],
  [Tag.VendorIdentification, 'TextString'],
  [Tag.ServerInformation, 'Structure'],
  [Tag.ApplicationNamespace, 'TextString'],
  [Tag.ExtensionInformation, 'Structure'],
  [Tag.AttestationType, 'Enumeration'],
  [Tag.RNGParameters, 'Structure'],
  [Tag.ProfileInformation, 'Structure'],
  [Tag.ValidationInformation, 'Structure'],
  [Tag.CapabilityInformation, 'Structure'],
  [Tag.ClientRegistrationMethod, 'Enumeration'],
  [Tag.DefaultsInformation, 'Structure'],
  [Tag.ProtectionStorageMasks, 'Structure'],
]);

/** The Query rule: well-formed, only served operations, the required ones present. */
export function queryMismatch(exp: StructureItem | undefined, got: StructureItem | undefined, version: KmipVersion, state: CaseState, path: string): string | undefined {
  if (got === undefined) return `${path}: no Response Payload`;
  const counts = new Map<number, number>();
  for (const c of got.value) {
    const type = QUERY_FIELDS.get(c.tag);
    if (type === undefined) return `${path}: ${nameOf(c.tag)} is not a Query response field`;
    if (c.type !== type) return `${path}: ${nameOf(c.tag)} is ${c.type}, expected ${type}`;
    if (c.type === 'Enumeration' && enumValueName(enumForTag(c.tag)!, c.value, version) === undefined) {
      return `${path}: ${nameOf(c.tag)} 0x${c.value.toString(16)} is not defined in KMIP ${version}`;
    }
    counts.set(c.tag, (counts.get(c.tag) ?? 0) + 1);
  }
  for (const t of [Tag.VendorIdentification, Tag.ServerInformation]) {
    if ((counts.get(t) ?? 0) > 1) return `${path}: more than one ${nameOf(t)}`;
  }
  if (state.query === undefined) return undefined;
  const ours = got.value.filter((c) => c.tag === Tag.Operation).map((c) => c.value as number);
  const opName = (op: number): string => enumValueName(enumForTag(Tag.Operation)!, op) ?? `0x${op.toString(16)}`;
  const unserved = ours.filter((op) => !state.query!.served.includes(op));
  if (unserved.length > 0) return `${path}: Query lists operations the server does not serve: ${unserved.map(opName).join(', ')}`;
  // Only where Operations were asked for: the reference's answer lists them.
  if (exp?.value.some((c) => c.tag === Tag.Operation)) {
    const missing = state.query.required.filter((op) => !ours.includes(op));
    if (missing.length > 0) return `${path}: Query does not list operations the profile requires: ${missing.map(opName).join(', ')}`;
  }
  return undefined;
}

const LISTED = new Set<number>([Tag.AttributeName, Tag.AttributeReference]);

/** Get Attribute List: the names (1.x) or references (2.x) as a set, everything else in order. */
function attributeListMismatch(exp: StructureItem, got: StructureItem | undefined, state: CaseState, path: string): string | undefined {
  if (got === undefined) return `${path}: missing Response Payload`;
  const rest = (s: StructureItem): StructureItem => ({ ...s, value: s.value.filter((c) => !LISTED.has(c.tag)) });
  const d = mismatch(rest(exp), rest(got), state, path);
  if (d !== undefined) return d;
  const label = (it: TtlvItem): string => (it.type === 'Structure' ? it.value.map(show).join(' ') : show(it));
  const ours = got.value.filter((c) => LISTED.has(c.tag)).map((c) => ({ key: canonical(c), label: label(c) }));
  const theirs = exp.value.filter((c) => LISTED.has(c.tag)).map((c) => ({ key: canonical(c), label: label(c) }));
  const missing = theirs.filter((t) => !ours.some((o) => o.key === t.key)).map((t) => t.label);
  const extra = ours.filter((o) => !theirs.some((t) => t.key === o.key)).map((o) => o.label);
  if (missing.length > 0 || extra.length > 0) {
    return `${path}: attribute list differs${missing.length ? `; missing ${missing.join(', ')}` : ''}${extra.length ? `; unexpected ${extra.join(', ')}` : ''}`;
  }
  return ours.length === theirs.length ? undefined : `${path}: ${ours.length} attributes listed, expected ${theirs.length}`;
}

/**
 * Get Attributes: the attributes (1.x Attribute structures, 2.x children of
 * Attributes) as a multiset, each expected one matched by a distinct one of
 * ours under the rules above; the rest of the payload in order.
 */
function attributesMismatch(exp: StructureItem, got: StructureItem | undefined, state: CaseState, path: string, allRequested: boolean): string | undefined {
  if (got === undefined) return `${path}: missing Response Payload`;
  const isSet = (c: TtlvItem) => c.tag === Tag.Attribute || c.tag === Tag.Attributes;
  const rest = (s: StructureItem): StructureItem => ({ ...s, value: s.value.filter((c) => !isSet(c)) });
  const d = mismatch(rest(exp), rest(got), state, path);
  if (d !== undefined) return d;
  const members = (s: StructureItem): TtlvItem[] => s.value.flatMap((c) => (c.tag === Tag.Attribute ? [c] : c.tag === Tag.Attributes && c.type === 'Structure' ? c.value : []));
  const theirs = members(exp);
  const ours = members(got);
  const used = new Set<number>();
  for (const t of theirs) {
    let hit = -1;
    for (const [i, o] of ours.entries()) {
      if (used.has(i)) continue;
      // A trial binds placeholders in a copy, so a near miss binds nothing.
      const trial: CaseState = { ...state, ids: new Map(state.ids) };
      if (mismatch(t, o, trial, path) === undefined) {
        for (const [k, v] of trial.ids) state.ids.set(k, v);
        hit = i;
        break;
      }
    }
    if (hit < 0) {
      const n = t.type === 'Structure' ? t.value.find((c) => c.tag === Tag.AttributeName) : undefined;
      return `${path}: no attribute matches the expected ${n !== undefined ? show(n) : `${nameOf(t.tag)} ${show(t)}`}`;
    }
    used.add(hit);
  }
  if (ours.length === theirs.length) return undefined;
  // Asked for all attributes: ours may include standard ones the reference left out (1.4 §4.12:
  // "all attributes SHALL be returned"; the 1.4 TL-M-3 transcript lists Sensitive & co. in Get
  // Attribute List but not here). Vendor attributes must still match exactly.
  const extra = ours.filter((_, i) => !used.has(i));
  if (allRequested && extra.every((o) => !isVendorAttribute(o))) return undefined;
  return `${path}: ${ours.length} attributes returned, expected ${theirs.length}`;
}

/** A 1.x Custom Attribute (x-/y- name) or a 2.x Vendor Attribute. */
function isVendorAttribute(it: TtlvItem): boolean {
  if (it.type !== 'Structure' || it.tag !== Tag.Attribute) return false;
  // 2.x: an Attribute structure in Attributes is a vendor attribute.
  if (it.value.some((c) => c.tag === Tag.VendorIdentification)) return true;
  const n = it.value.find((c) => c.tag === Tag.AttributeName);
  return n?.type === 'TextString' && /^[xy]-/.test(n.value);
}

/** Whether batch item k of a request message names no attribute (Get Attributes: all of them). */
function requestsAllAttributes(request: TtlvItem | undefined, k: number): boolean {
  if (request?.type !== 'Structure') return false;
  const bi = request.value.filter((c) => c.tag === Tag.BatchItem)[k];
  const payload = bi?.type === 'Structure' ? bi.value.find((c) => c.tag === Tag.RequestPayload) : undefined;
  return payload?.type === 'Structure' && !payload.value.some((c) => c.tag === Tag.AttributeName || c.tag === Tag.AttributeReference);
}

/** The Request Payload of batch item k of a request message. */
function requestPayloadOf(request: TtlvItem | undefined, k: number): StructureItem | undefined {
  if (request?.type !== 'Structure') return undefined;
  const bi = request.value.filter((c) => c.tag === Tag.BatchItem)[k];
  const payload = bi?.type === 'Structure' ? bi.value.find((c) => c.tag === Tag.RequestPayload) : undefined;
  return payload?.type === 'Structure' ? payload : undefined;
}

/** Expected General Failure (the reference's internal error): the specific reasons of the Encrypt error table are accepted. */
function specificForGeneralFailure(expected: number | undefined, got: number | undefined): boolean {
  const RR = Enum.ResultReason;
  return expected === RR.GeneralFailure && (got === RR.BadCryptographicParameters || got === RR.UnsupportedCryptographicParameters || got === RR.InvalidField);
}

/** Records the keys whose Encrypt / Decrypt output is random: created by the server, or RSA Public Keys (randomized padding). */
function noteRandomOutputKeys(e: ResponseMessage['batchItems'][number], request: StructureItem | undefined, state: CaseState): void {
  if (e.resultStatus !== Enum.ResultStatus.Success || e.responsePayload === undefined) return;
  const ids = (...tags: number[]) => e.responsePayload!.value.filter((c) => tags.includes(c.tag)).map((c) => placeholderOf(c)).filter((p): p is string => p !== undefined);
  if (e.operation === Enum.Operation.Create || e.operation === Enum.Operation.CreateKeyPair) {
    for (const p of ids(Tag.UniqueIdentifier, Tag.PrivateKeyUniqueIdentifier, Tag.PublicKeyUniqueIdentifier)) state.randomOutputKeys?.add(p);
  }
  if (e.operation === Enum.Operation.Register && field(request, Tag.ObjectType)?.value === Enum.ObjectType.PublicKey) {
    for (const p of ids(Tag.UniqueIdentifier)) state.randomOutputKeys?.add(p);
  }
}

/**
 * Encrypt / Decrypt: as mismatch(), except Data under a random-output key,
 * and a server-generated IV with the Data under it, which are compared by
 * type and length (the rules above); the generated IV and Data bind
 * $IV_COUNTER_NONCE and $DATA_0 when the transcript shows literals.
 */
function cipherMismatch(op: number, exp: StructureItem, got: StructureItem | undefined, request: StructureItem | undefined, state: CaseState, path: string): string | undefined {
  if (got === undefined) return `${path}: missing Response Payload`;
  const key = placeholderOf(field(exp, Tag.UniqueIdentifier) ?? item0);
  const randomKey = key !== undefined && (state.randomOutputKeys?.has(key) ?? false);
  const ivLiteral = field(exp, Tag.IVCounterNonce);
  const generatedIv = op === Enum.Operation.Encrypt && field(request, Tag.IVCounterNonce) === undefined && ivLiteral !== undefined && placeholderOf(ivLiteral) === undefined;
  const loose = new Set<number>([...(randomKey || generatedIv ? [Tag.Data] : []), ...(generatedIv ? [Tag.IVCounterNonce] : [])]);
  if (loose.size === 0) return mismatch(exp, got, state, path);
  // Same length: the expected value stands in for ours, and the rest is compared as usual.
  const gotLoose = { ...got, value: got.value.map((c, i) => {
    const e = exp.value[i];
    if (e === undefined || !loose.has(c.tag) || e.tag !== c.tag || e.type !== 'ByteString' || c.type !== 'ByteString' || e.value.length !== c.value.length) return c;
    if (generatedIv) {
      const name = c.tag === Tag.IVCounterNonce ? '$IV_COUNTER_NONCE' : '$DATA_0';
      if (!state.ids.has(name)) state.ids.set(name, c.value);
    }
    return e;
  }) };
  const d = mismatch(exp, gotLoose, state, path);
  return d === undefined ? undefined : `${d} (compared by type and length)`;
}

const item0: TtlvItem = { tag: 0, type: 'TextString', value: '' };

function versionOf(m: ResponseMessage): KmipVersion {
  return `${m.header.protocolVersion.major}.${m.header.protocolVersion.minor}` as KmipVersion;
}

const statusName = (v: number | undefined, e: 'ResultStatus' | 'ResultReason'): string =>
  v === undefined ? '-' : (Object.entries(Enum[e]).find(([, x]) => x === v)?.[0] ?? `0x${v.toString(16)}`);

/**
 * The first difference between the expected response message (from the
 * file, $NOW already substituted) and ours, or undefined. `where` prefixes
 * the message (e.g. "#2", the request's position in the case).
 */
export function compareResponse(expectedItem: TtlvItem, got: ResponseMessage, state: CaseState, where: string, request?: TtlvItem): string | undefined {
  const expected = parseResponseMessage(expectedItem);
  const ev = expected.header.protocolVersion;
  const gv = got.header.protocolVersion;
  if (ev.major !== gv.major || ev.minor !== gv.minor) return `${where}: response Protocol Version ${gv.major}.${gv.minor}, expected ${ev.major}.${ev.minor}`;
  if (got.batchItems.length !== expected.batchItems.length) return `${where}: ${got.batchItems.length} batch items, expected ${expected.batchItems.length}`;
  for (const [k, e] of expected.batchItems.entries()) {
    const g = got.batchItems[k]!;
    const op = e.operation === undefined ? '' : ` ${enumValueName(enumForTag(Tag.Operation)!, e.operation) ?? e.operation}`;
    const at = `${where}.${k}${op}`;
    if (g.operation !== e.operation) return `${at}: operation ${g.operation ?? '-'} echoed, expected ${e.operation}`;
    if (g.resultStatus !== e.resultStatus || (g.resultReason !== e.resultReason && !specificForGeneralFailure(e.resultReason, g.resultReason))) {
      const ours = `${statusName(g.resultStatus, 'ResultStatus')}${g.resultReason === undefined ? '' : `/${statusName(g.resultReason, 'ResultReason')}`}`;
      const theirs = `${statusName(e.resultStatus, 'ResultStatus')}${e.resultReason === undefined ? '' : `/${statusName(e.resultReason, 'ResultReason')}`}`;
      return `${at}: ${ours}${g.resultMessage ? ` ("${g.resultMessage}")` : ''}, expected ${theirs}`;
    }
    if (e.uniqueBatchItemId !== undefined && Buffer.compare(Buffer.from(e.uniqueBatchItemId), Buffer.from(g.uniqueBatchItemId ?? [])) !== 0) {
      return `${at}: Unique Batch Item ID not echoed`;
    }
    if (e.operation === Enum.Operation.Query && e.resultStatus === Enum.ResultStatus.Success) {
      const d = queryMismatch(e.responsePayload, g.responsePayload, versionOf(got), state, at);
      if (d !== undefined) return d;
      continue;
    }
    if (e.operation === Enum.Operation.GetAttributeList && e.responsePayload !== undefined) {
      const d = attributeListMismatch(e.responsePayload, g.responsePayload, state, at);
      if (d !== undefined) return d;
      continue;
    }
    if (e.operation === Enum.Operation.GetAttributes && e.resultStatus === Enum.ResultStatus.Success && e.responsePayload !== undefined) {
      const d = attributesMismatch(e.responsePayload, g.responsePayload, state, at, requestsAllAttributes(request, k));
      if (d !== undefined) return d;
      continue;
    }
    if (e.operation === Enum.Operation.RNGRetrieve && e.resultStatus === Enum.ResultStatus.Success && e.responsePayload !== undefined) {
      const ed = field(e.responsePayload, Tag.Data);
      const gd = field(g.responsePayload, Tag.Data);
      if (gd === undefined || gd.type !== 'ByteString' || ed?.type !== 'ByteString' || gd.value.length !== ed.value.length || (g.responsePayload?.value.length ?? 0) !== 1) {
        return `${at}: expected one Data Byte String of ${ed?.type === 'ByteString' ? ed.value.length : '?'} bytes`;
      }
      continue;
    }
    // A literal MAC / signature in the transcript that a later request names by placeholder.
    for (const [tag, name] of [[Tag.MACData, '$MAC_DATA'], [Tag.SignatureData, '$SIGNATURE_DATA']] as const) {
      const ev = field(e.responsePayload, tag);
      const gv = field(g.responsePayload, tag);
      if (ev?.type === 'ByteString' && placeholderOf(ev) === undefined && gv?.type === 'ByteString' && !state.ids.has(name)) state.ids.set(name, gv.value);
    }
    noteRandomOutputKeys(e, requestPayloadOf(request, k), state);
    if ((e.operation === Enum.Operation.Encrypt || e.operation === Enum.Operation.Decrypt) && e.resultStatus === Enum.ResultStatus.Success && e.responsePayload !== undefined) {
      const d = cipherMismatch(e.operation, e.responsePayload, g.responsePayload, requestPayloadOf(request, k), state, at);
      if (d !== undefined) return d;
      continue;
    }
    if (e.responsePayload !== undefined) {
      const d = mismatch(e.responsePayload, g.responsePayload, state, at);
      if (d !== undefined) return d;
    } else if (g.responsePayload !== undefined && g.responsePayload.value.length > 0) {
      return `${at}: unexpected Response Payload`;
    }
  }
  return undefined;
}
