// Authentication and Credential (KMIP 1.4 §2.1.2 / §6.6, 2.1 §9.4 / §9.11).
// Known Credential Types are typed; any other type (or a type the message's
// version does not define) is kept raw as { type: 'Other' }.
import { Enum, enumeration, Tag, type KmipVersion } from '../registry/index.js';
import type { StructureItem, TtlvItem } from '../ttlv/types.js';
import { buildFields, expectStructure, fail, kmipVersion, parseFields, type Ctx, type Field } from './schema.js';
import type { Authentication, Credential, CredentialTypeName, Nonce, Ticket } from './types.js';

export const nonceFields: readonly Field[] = [
  { key: 'nonceId', tag: Tag.NonceID, type: 'ByteString', required: true },
  { key: 'nonceValue', tag: Tag.NonceValue, type: 'ByteString', required: true },
];

export function parseNonce(it: TtlvItem, ctx: Ctx): Nonce {
  return parseFields<Nonce>(expectStructure(it, Tag.Nonce, ctx), nonceFields, ctx);
}

export function buildNonce(n: Nonce, ctx: Ctx): StructureItem {
  return buildFields(Tag.Nonce, n, nonceFields, ctx);
}

const ticketFields: readonly Field[] = [
  { key: 'ticketType', tag: Tag.TicketType, type: 'Enumeration', required: true },
  { key: 'ticketValue', tag: Tag.TicketValue, type: 'ByteString', required: true },
];

/** Credential Value layouts per Credential Type (spec field order). */
const CREDENTIAL_VALUE_FIELDS: Readonly<Record<Exclude<CredentialTypeName, 'Other'>, readonly Field[]>> = {
  UsernameAndPassword: [
    { key: 'username', tag: Tag.Username, type: 'TextString', required: true },
    { key: 'password', tag: Tag.Password, type: 'TextString' },
  ],
  Device: [
    { key: 'deviceSerialNumber', tag: Tag.DeviceSerialNumber, type: 'TextString' },
    { key: 'password', tag: Tag.Password, type: 'TextString' },
    { key: 'deviceIdentifier', tag: Tag.DeviceIdentifier, type: 'TextString' },
    { key: 'networkIdentifier', tag: Tag.NetworkIdentifier, type: 'TextString' },
    { key: 'machineIdentifier', tag: Tag.MachineIdentifier, type: 'TextString' },
    { key: 'mediaIdentifier', tag: Tag.MediaIdentifier, type: 'TextString' },
  ],
  Attestation: [
    { key: 'nonce', tag: Tag.Nonce, type: 'Structure', required: true, decode: parseNonce, encode: (v, _t, ctx) => buildNonce(v as Nonce, ctx) },
    { key: 'attestationType', tag: Tag.AttestationType, type: 'Enumeration', required: true },
    { key: 'attestationMeasurement', tag: Tag.AttestationMeasurement, type: 'ByteString' },
    { key: 'attestationAssertion', tag: Tag.AttestationAssertion, type: 'ByteString' },
  ],
  OneTimePassword: [
    { key: 'username', tag: Tag.Username, type: 'TextString', required: true },
    { key: 'password', tag: Tag.Password, type: 'TextString' },
    { key: 'oneTimePassword', tag: Tag.OneTimePassword, type: 'TextString', required: true },
  ],
  HashedPassword: [
    { key: 'username', tag: Tag.Username, type: 'TextString', required: true },
    // Spec 2.1 Table 415 calls it "Timestamp", encoded Date Time Extended; the
    // tag table has no separate "Timestamp" tag, so it is Time Stamp.
    { key: 'timestamp', tag: Tag.TimeStamp, type: 'DateTimeExtended', required: true },
    { key: 'hashingAlgorithm', tag: Tag.HashingAlgorithm, type: 'Enumeration' },
    { key: 'hashedPassword', tag: Tag.HashedPassword, type: 'ByteString', required: true },
  ],
  Ticket: [
    {
      key: 'ticket',
      tag: Tag.Ticket,
      type: 'Structure',
      required: true,
      decode: (it, ctx) => parseFields<Ticket>(it as StructureItem, ticketFields, ctx),
      encode: (v, tag, ctx) => buildFields(tag, v as Ticket, ticketFields, ctx),
    },
  ],
};

const KNOWN = Object.keys(CREDENTIAL_VALUE_FIELDS) as Exclude<CredentialTypeName, 'Other'>[];

/** Whether a Credential Type enumeration value is defined in the version (registry), if both are known. */
function typeInVersion(name: string, version: KmipVersion | undefined): boolean {
  const def = enumeration('CredentialType');
  const v = def?.values.find((x) => x.name === name);
  if (version === undefined || v === undefined) return true;
  return v.versions.includes(version);
}

function credentialTypeName(value: number, ctx: Ctx): Exclude<CredentialTypeName, 'Other'> | undefined {
  const name = KNOWN.find((n) => Enum.CredentialType[n] === value);
  if (name === undefined || !typeInVersion(name, kmipVersion(ctx.version))) return undefined;
  return name;
}

const credentialFields: readonly Field[] = [
  { key: 'credentialType', tag: Tag.CredentialType, type: 'Enumeration', required: true },
  { key: 'credentialValue', tag: Tag.CredentialValue, type: 'Any', required: true, decode: (it) => it },
];

export function parseCredential(it: TtlvItem, ctx: Ctx): Credential {
  const raw = parseFields<{ credentialType: number; credentialValue: TtlvItem }>(expectStructure(it, Tag.Credential, ctx), credentialFields, ctx);
  const name = credentialTypeName(raw.credentialType, ctx);
  if (name === undefined) return { type: 'Other', credentialType: raw.credentialType, credentialValue: raw.credentialValue };
  const vctx: Ctx = { ...ctx, path: `${ctx.path}/CredentialValue` };
  if (raw.credentialValue.type !== 'Structure') fail('INVALID_MESSAGE', `Credential Value of a ${name} credential must be a Structure`, vctx);
  const value = parseFields<Record<string, unknown>>(raw.credentialValue, CREDENTIAL_VALUE_FIELDS[name], vctx);
  if (name === 'Device' && Object.keys(value).length === 0) fail('INVALID_MESSAGE', 'a Device credential needs at least one field', vctx);
  return { type: name, ...value } as Credential;
}

export function buildCredential(c: Credential, ctx: Ctx): StructureItem {
  if (c.type === 'Other') {
    return buildFields(Tag.Credential, c, credentialFields, ctx);
  }
  const fields = CREDENTIAL_VALUE_FIELDS[c.type];
  if (fields === undefined) fail('INVALID_FIELD', `unknown credential type ${String((c as { type: unknown }).type)}`, ctx);
  if (!typeInVersion(c.type, kmipVersion(ctx.version))) fail('INVALID_FIELD', `credential type ${c.type} is not defined in this KMIP version`, ctx);
  const { type: _type, ...rest } = c;
  if (c.type === 'Device' && Object.values(rest).every((v) => v === undefined)) {
    fail('INVALID_FIELD', 'a Device credential needs at least one field', { ...ctx, path: `${ctx.path}/CredentialValue` });
  }
  const value = buildFields(Tag.CredentialValue, rest, fields, { ...ctx, path: `${ctx.path}/CredentialValue` });
  return buildFields(Tag.Credential, { credentialType: Enum.CredentialType[c.type], credentialValue: value }, credentialFields, ctx);
}

const authenticationFields: readonly Field[] = [
  {
    key: 'credentials',
    tag: Tag.Credential,
    type: 'Structure',
    required: true,
    repeated: true,
    decode: parseCredential,
    encode: (v, _t, ctx) => buildCredential(v as Credential, ctx),
  },
];

export function parseAuthentication(it: TtlvItem, ctx: Ctx): Authentication {
  return parseFields<Authentication>(expectStructure(it, Tag.Authentication, ctx), authenticationFields, ctx);
}

export function buildAuthentication(a: Authentication, ctx: Ctx): StructureItem {
  return buildFields(Tag.Authentication, a, authenticationFields, ctx);
}
