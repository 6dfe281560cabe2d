// TTLV codec throughput on real KMIP messages, one thread.
//
//   npm run bench:codec                 (2 s warm-up, then 2 s per case and direction: ~18 s)
//   BENCH_SECONDS=5 BENCH_WARMUP=4 npm run bench:codec
//
// Cases:
//   get-request    KMIP 1.4 Get request: the first Get request of OASIS
//                  SKFF-M-10-14 (Profiles v1.4 os), read with parseKmipXml,
//                  its $UNIQUE_IDENTIFIER_0 placeholder filled with a UUID.
//   query-request  OASIS MSGENC-XML-M-1-12 message 03 (Query request, KMIP 1.2),
//                  byte-exact from the .ttlv.hex vector.
//   query-response OASIS MSGENC-XML-M-1-12 message 04 (Query response listing
//                  operations and object types), byte-exact.
//   get-rsa4096    Get response carrying an RSA-4096 private key (PKCS#8 DER,
//                  generated with node:crypto at start) and its attributes.
//
// Target: at least 150,000 get-request messages/s each way.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Enum } from '../shared/kmip/registry/index.js';
import { messageVersion } from '../shared/kmip/text/index.js';
import { decodeTtlv, encodeTtlv, parseHex, struct, type TtlvItem } from '../shared/kmip/ttlv/index.js';
import { parseKmipXml } from '../shared/kmip/xml/index.js';
import { substitutePlaceholder } from '../test/support/kmip-text-vectors.js';
import { reference } from '../test/support/reference.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const TARGET = 150_000;

// Tags (KMIP 1.4 §9.1.3.1, Table 289).
const T = {
  Attribute: 0x420008,
  AttributeName: 0x42000a,
  AttributeValue: 0x42000b,
  BatchCount: 0x42000d,
  BatchItem: 0x42000f,
  CryptographicAlgorithm: 0x420028,
  CryptographicLength: 0x42002a,
  CryptographicUsageMask: 0x42002c,
  KeyBlock: 0x420040,
  KeyFormatType: 0x420042,
  KeyMaterial: 0x420043,
  KeyValue: 0x420045,
  NameType: 0x420054,
  NameValue: 0x420055,
  ObjectType: 0x420057,
  Operation: 0x42005c,
  PrivateKey: 0x420064,
  ProtocolVersion: 0x420069,
  ProtocolVersionMajor: 0x42006a,
  ProtocolVersionMinor: 0x42006b,
  RequestHeader: 0x420077,
  RequestMessage: 0x420078,
  RequestPayload: 0x420079,
  ResponseHeader: 0x42007a,
  ResponseMessage: 0x42007b,
  ResponsePayload: 0x42007c,
  ResultStatus: 0x42007f,
  TimeStamp: 0x420092,
  UniqueIdentifier: 0x420094,
} as const;

const int = (tag: number, value: number): TtlvItem => ({ tag, type: 'Integer', value });
const enm = (tag: number, value: number): TtlvItem => ({ tag, type: 'Enumeration', value });
const text = (tag: number, value: string): TtlvItem => ({ tag, type: 'TextString', value });
const version = (minor: number) => struct(T.ProtocolVersion, [int(T.ProtocolVersionMajor, 1), int(T.ProtocolVersionMinor, minor)]);
const attribute = (name: string, value: TtlvItem) => struct(T.Attribute, [text(T.AttributeName, name), { ...value, tag: T.AttributeValue } as TtlvItem]);

const uid = randomUUID();

const children = (item: TtlvItem | undefined, tag: number): TtlvItem[] =>
  item?.type === 'Structure' ? item.value.filter((c) => c.tag === tag) : [];

/** The first Get request of the OASIS KMIP 1.4 test case SKFF-M-10-14, unique identifier placeholders filled with `uid`. */
function getRequest(): TtlvItem {
  const file = reference('kmip-testcases', 'cosmian-kmip', 'v1.4', 'XML', 'mandatory', 'SKFF-M-10-14.xml');
  const messages = parseKmipXml(readFileSync(file, 'utf8'), {
    substitute: (raw, type) => (type === 'TextString' && /^\$UNIQUE_IDENTIFIER_\d+$/.test(raw) ? uid : substitutePlaceholder(raw, type)),
  });
  const get = messages.find(
    (m) => m.tag === T.RequestMessage && children(m, T.BatchItem).some((b) => children(b, T.Operation)[0]?.value === Enum.Operation.Get),
  );
  if (get === undefined) throw new Error(`${file}: no Get request`);
  const ids = children(children(children(get, T.BatchItem)[0], T.RequestPayload)[0], T.UniqueIdentifier);
  if (messageVersion(get) !== '1.4' || ids.length !== 1 || ids[0]!.value !== uid) {
    throw new Error(`${file}: the first Get request is not a KMIP 1.4 Get of one unique identifier`);
  }
  return get;
}

function getRsa4096Response(): TtlvItem {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 4096,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
  });
  const now = BigInt(Math.floor(Date.now() / 1000));
  return struct(T.ResponseMessage, [
    struct(T.ResponseHeader, [version(4), { tag: T.TimeStamp, type: 'DateTime', value: now }, int(T.BatchCount, 1)]),
    struct(T.BatchItem, [
      enm(T.Operation, 0x0a /* Get */),
      enm(T.ResultStatus, 0 /* Success */),
      struct(T.ResponsePayload, [
        enm(T.ObjectType, 0x04 /* PrivateKey */),
        text(T.UniqueIdentifier, uid),
        struct(T.PrivateKey, [
          struct(T.KeyBlock, [
            enm(T.KeyFormatType, 0x08 /* PKCS_8 */),
            struct(T.KeyValue, [
              { tag: T.KeyMaterial, type: 'ByteString', value: new Uint8Array(privateKey) },
              attribute('Cryptographic Algorithm', enm(0, 0x04 /* RSA */)),
              attribute('Cryptographic Length', int(0, 4096)),
              attribute('Cryptographic Usage Mask', int(0, 0x01 /* Sign */)),
              attribute('Name', struct(0, [text(T.NameValue, 'keyhold-bench-rsa4096'), enm(T.NameType, 1 /* UninterpretedTextString */)])),
              attribute('Object Group', text(0, 'bench')),
              attribute('State', enm(0, 0x02 /* Active */)),
              attribute('Initial Date', { tag: 0, type: 'DateTime', value: now }),
              attribute('x-origin', text(0, 'keyhold bench-codec')),
            ]),
            enm(T.CryptographicAlgorithm, 0x04 /* RSA */),
            int(T.CryptographicLength, 4096),
          ]),
        ]),
      ]),
    ]),
  ]);
}

function msgencVector(n: string): Uint8Array {
  const dir = reference('kmip-testcases', 'oasis-v1.0-profile-docs-extracted', 'kmip-addtl-msg-enc-v1.0-os', 'MSGENC-XML-M-1-12');
  return parseHex(readFileSync(join(dir, n), 'utf8'));
}

interface Case {
  name: string;
  bytes: Uint8Array;
  tree: TtlvItem;
}

function makeCase(name: string, tree: TtlvItem | Uint8Array): Case {
  const bytes = tree instanceof Uint8Array ? tree : encodeTtlv(tree);
  const decoded = decodeTtlv(bytes);
  const again = encodeTtlv(decoded);
  if (Buffer.compare(again, bytes) !== 0) throw new Error(`${name}: encode(decode(bytes)) differs from bytes`);
  return { name, bytes, tree: decoded };
}

/** Runs fn in batches until `seconds` have passed; returns operations per second. */
function measure(fn: () => unknown, seconds: number): number {
  let ops = 0;
  let batch = 64;
  const start = process.hrtime.bigint();
  const stop = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  let sink: unknown;
  while (now < stop) {
    for (let i = 0; i < batch; i++) sink = fn();
    ops += batch;
    now = process.hrtime.bigint();
    if (batch < 4096) batch *= 2;
  }
  if (sink === undefined) throw new Error('unreachable');
  return ops / (Number(now - start) / 1e9);
}

const cases: Case[] = [
  makeCase('get-request', getRequest()),
  makeCase('query-request', msgencVector('03-request.ttlv.hex')),
  makeCase('query-response', msgencVector('04-response.ttlv.hex')),
  makeCase('get-rsa4096', getRsa4096Response()),
];

// Warm up every case both ways first, so that the measured code is optimised
// for the mix of shapes it sees in service, not for the first case alone.
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
for (let round = 0; round < 4; round++) {
  for (const c of cases) {
    measure(() => decodeTtlv(c.bytes), WARMUP / 8 / cases.length);
    measure(() => encodeTtlv(c.tree), WARMUP / 8 / cases.length);
  }
}
console.log(`TTLV codec bench: node ${process.version}, one thread, ${WARMUP}s warm-up, then ${SECONDS}s per case and direction`);
const rows: string[][] = [['case', 'bytes', 'items', 'decode msg/s', 'decode MB/s', 'encode msg/s', 'encode MB/s']];
const countItems = (it: TtlvItem): number => (it.type === 'Structure' ? 1 + it.value.reduce((n, c) => n + countItems(c), 0) : 1);
let failed = false;
for (const c of cases) {
  const dec = () => decodeTtlv(c.bytes);
  const enc = () => encodeTtlv(c.tree);
  const d = measure(dec, SECONDS);
  const e = measure(enc, SECONDS);
  const mb = (r: number) => ((r * c.bytes.length) / 1e6).toFixed(1);
  rows.push([c.name, String(c.bytes.length), String(countItems(c.tree)), Math.round(d).toLocaleString('en'), mb(d), Math.round(e).toLocaleString('en'), mb(e)]);
  if (c.name === 'get-request' && (d < TARGET || e < TARGET)) failed = true;
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const r of rows) console.log(r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
if (failed) {
  console.log(`below target: get-request must reach ${TARGET.toLocaleString('en')} msg/s each way`);
  process.exitCode = 1;
} else {
  console.log(`target met: get-request ≥ ${TARGET.toLocaleString('en')} msg/s each way`);
}
