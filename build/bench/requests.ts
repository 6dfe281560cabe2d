// Pre-encoded KMIP 2.1 requests for the load generator. The client shares the
// 2 cores with the server, so it never encodes or decodes TTLV in the loop:
// each request is a template encoded once, with a fixed-width field (a
// 36-character UUID, a fixed-width Name) patched in place, and a response is
// checked by scanning for its Result Status bytes.
import { buildRequestMessage } from '../../shared/kmip/message/index.js';
import { Enum, Tag } from '../../shared/kmip/registry/index.js';
import { encodeTtlv, item, struct, type TtlvItem } from '../../shared/kmip/ttlv/index.js';

/**
 * discover-versions is the floor: mutual TLS, framing and the message
 * pipeline with no store access, what any request costs before its own work.
 */
export const OPS = ['discover-versions', 'create', 'get', 'locate-name', 'create-key-pair', 'sign', 'encrypt', 'mix'] as const;
export type BenchOp = (typeof OPS)[number];
export type SingleOp = Exclude<BenchOp, 'mix'>;

/**
 * The mix: mostly reads, as a key manager serves them (applications fetch
 * keys far more often than they make them). Percent of requests, summing to 100.
 */
export const MIX: readonly [SingleOp, number][] = [
  ['get', 80],
  ['locate-name', 10],
  ['create', 9],
  ['create-key-pair', 1],
];

/** Prefilled objects are named bench-NNNNNNNNN: fixed width, so a Locate template can be patched. */
export const NAME_DIGITS = 9;
export function benchName(i: number): string {
  return `bench-${String(i).padStart(NAME_DIGITS, '0')}`;
}

const V21 = { major: 2, minor: 1 };
const en = (tag: number, v: number): TtlvItem => item(tag, 'Enumeration', v);
const int = (tag: number, v: number): TtlvItem => item(tag, 'Integer', v);

function encode(operation: number, payload: TtlvItem[]): Buffer {
  return Buffer.from(encodeTtlv(buildRequestMessage({ header: { protocolVersion: V21 }, batchItems: [{ operation, requestPayload: struct(Tag.RequestPayload, payload) }] })));
}

/** A template and where its variable field sits (undefined: constant request). */
interface Template {
  bytes: Buffer;
  at?: number;
  width?: number;
}

function patchable(operation: number, payload: TtlvItem[], marker: string): Template {
  const bytes = encode(operation, payload);
  const at = bytes.indexOf(marker, 0, 'latin1');
  if (at < 0) throw new Error('template marker not found');
  return { bytes, at, width: marker.length };
}

const UID_MARKER = '00000000-0000-4000-8000-000000000000';
const NAME_MARKER = benchName(0);

/** What `sign` signs: 1 KiB, with an RSA-2048 Private Key made by signKeyRequest() (PKCS#1 v1.5, SHA-256). */
export const SIGN_DATA_BYTES = 1024;

/** Create Key Pair of the RSA-2048 pair `sign` uses: Active from the start (an Activation Date in the past), Sign / Verify. */
export function signKeyRequest(): Buffer {
  return encode(Enum.Operation.CreateKeyPair, [
    struct(Tag.CommonAttributes, [en(Tag.CryptographicAlgorithm, Enum.CryptographicAlgorithm.RSA), int(Tag.CryptographicLength, 2048), item(Tag.ActivationDate, 'DateTime', 1n)]),
    struct(Tag.PrivateKeyAttributes, [int(Tag.CryptographicUsageMask, Enum.CryptographicUsageMask.Sign)]),
    struct(Tag.PublicKeyAttributes, [int(Tag.CryptographicUsageMask, Enum.CryptographicUsageMask.Verify)]),
  ]);
}

/** What `encrypt` encrypts: 1 KiB, AES-256-GCM, with the key encryptKeyRequest() makes and a server-made (Random) IV. */
export const ENCRYPT_DATA_BYTES = 1024;

/** Create of the AES-256 key `encrypt` uses: Active from the start (an Activation Date in the past), Encrypt / Decrypt. */
export function encryptKeyRequest(): Buffer {
  return encode(Enum.Operation.Create, [
    en(Tag.ObjectType, Enum.ObjectType.SymmetricKey),
    struct(Tag.Attributes, [
      en(Tag.CryptographicAlgorithm, Enum.CryptographicAlgorithm.AES),
      int(Tag.CryptographicLength, 256),
      int(Tag.CryptographicUsageMask, Enum.CryptographicUsageMask.Encrypt | Enum.CryptographicUsageMask.Decrypt),
      item(Tag.ActivationDate, 'DateTime', 1n),
    ]),
  ]);
}

const TEMPLATES: Record<SingleOp, Template> = {
  'discover-versions': { bytes: encode(Enum.Operation.DiscoverVersions, []) },
  create: {
    bytes: encode(Enum.Operation.Create, [
      en(Tag.ObjectType, Enum.ObjectType.SymmetricKey),
      struct(Tag.Attributes, [en(Tag.CryptographicAlgorithm, Enum.CryptographicAlgorithm.AES), int(Tag.CryptographicLength, 256)]),
    ]),
  },
  get: patchable(Enum.Operation.Get, [item(Tag.UniqueIdentifier, 'TextString', UID_MARKER)], UID_MARKER),
  'locate-name': patchable(
    Enum.Operation.Locate,
    [struct(Tag.Attributes, [struct(Tag.Name, [item(Tag.NameValue, 'TextString', NAME_MARKER), en(Tag.NameType, Enum.NameType.UninterpretedTextString)])])],
    NAME_MARKER,
  ),
  'create-key-pair': {
    bytes: encode(Enum.Operation.CreateKeyPair, [
      struct(Tag.CommonAttributes, [en(Tag.CryptographicAlgorithm, Enum.CryptographicAlgorithm.RSA), int(Tag.CryptographicLength, 2048)]),
      struct(Tag.PrivateKeyAttributes, []),
      struct(Tag.PublicKeyAttributes, []),
    ]),
  },
  encrypt: patchable(
    Enum.Operation.Encrypt,
    [
      item(Tag.UniqueIdentifier, 'TextString', UID_MARKER),
      struct(Tag.CryptographicParameters, [en(Tag.BlockCipherMode, Enum.BlockCipherMode.GCM), int(Tag.TagLength, 16), item(Tag.RandomIV, 'Boolean', true)]),
      item(Tag.Data, 'ByteString', new Uint8Array(ENCRYPT_DATA_BYTES).fill(0xa5)),
    ],
    UID_MARKER,
  ),
  sign: patchable(Enum.Operation.Sign, [item(Tag.UniqueIdentifier, 'TextString', UID_MARKER), item(Tag.Data, 'ByteString', new Uint8Array(SIGN_DATA_BYTES).fill(0x5a))], UID_MARKER),
};

/** Request bytes: a fresh copy for patched templates (the socket may still hold the previous one). */
export function request(op: SingleOp, field?: string): Buffer {
  const t = TEMPLATES[op];
  if (t.at === undefined) return t.bytes;
  if (field === undefined || field.length !== t.width) throw new Error(`${op} needs a ${t.width}-character field`);
  const b = Buffer.from(t.bytes);
  b.write(field, t.at, 'latin1');
  return b;
}

// Result Status (0x42007F), Enumeration (05), length 4: the value follows.
const RESULT_STATUS = Buffer.from([0x42, 0x00, 0x7f, 0x05, 0x00, 0x00, 0x00, 0x04]);
// Unique Identifier (0x420094), Text String (07).
const UNIQUE_ID = Buffer.from([0x42, 0x00, 0x94, 0x07]);

/** Whether a one-item response succeeded; for Locate also that exactly `expectIds` identifiers came back. */
export function responseOk(response: Buffer, expectIds?: number): boolean {
  const at = response.indexOf(RESULT_STATUS);
  if (at < 0 || response.readUInt32BE(at + 8) !== Enum.ResultStatus.Success) return false;
  if (expectIds === undefined) return true;
  let n = 0;
  for (let i = response.indexOf(UNIQUE_ID); i >= 0; i = response.indexOf(UNIQUE_ID, i + 4)) n++;
  return n === expectIds;
}
