// Key wrapping over real mutual TLS (issue 8 point 5): an in-process
// server started on a free loopback port with one enrolled client. A Get
// wrapped with AES Key Wrap, unwrapped here with node:crypto, gives the
// bytes of a plain Get; the wrapped object registers back (Sensitive, so Get
// returns it wrapped only, under a key the server generated Sensitive, not one
// the client registered); changed wrapped bytes and a deactivated wrapping key fail with
// their Result Reasons. Then PyKMIP (test/interop/pykmip_wrap.py) gets a key
// wrapped with RFC 3394 and RFC 5649 at KMIP 1.2 and 2.0 and unwraps it with
// python3-cryptography to the same bytes as its plain Get.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type tls from 'node:tls';
import { promisify } from 'node:util';
import { parseResponseMessage, type ResponseBatchItem } from '../shared/kmip/message/index.js';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { decodeTtlv, item, struct, type StructureItem, type TtlvItem } from '../shared/kmip/ttlv/index.js';
import { parseGrants } from '../main/access/policy.js';
import { silentLogger } from '../main/admin/log.js';
import { startServer, type RunningServer } from '../main/server/serve.js';
import { call, connect, enrolHere, type Creds } from './support/kmip-tls.js';
import { request, V21 } from './support/kmip-requests.js';
import { PYTHON, pykmipProblem } from './support/pykmip.js';
import { REPO_ROOT } from './support/reference.js';

const OP = Enum.Operation;
const RR = Enum.ResultReason;
const UM = Enum.CryptographicUsageMask;
const DRIVER = join(REPO_ROOT, 'test', 'interop', 'pykmip_wrap.py');
const run = promisify(execFile);

const uid = (id: string): TtlvItem => item(Tag.UniqueIdentifier, 'TextString', id);
const KW = struct(Tag.CryptographicParameters, [item(Tag.BlockCipherMode, 'Enumeration', Enum.BlockCipherMode.NISTKeyWrap)]);
const spec = (kek: string, encoding?: number): TtlvItem =>
  struct(Tag.KeyWrappingSpecification, [
    item(Tag.WrappingMethod, 'Enumeration', Enum.WrappingMethod.Encrypt),
    struct(Tag.EncryptionKeyInformation, [uid(kek), KW]),
    ...(encoding === undefined ? [] : [item(Tag.EncodingOption, 'Enumeration', encoding)]),
  ]);
const field = (s: StructureItem, tag: number): TtlvItem | undefined => s.value.find((c) => c.tag === tag);
const blockOf = (p: StructureItem): StructureItem => field(field(p, Tag.SymmetricKey) as StructureItem, Tag.KeyBlock) as StructureItem;

function unwrapLocally(kek: Uint8Array, wrapped: Uint8Array): Buffer {
  const d = createDecipheriv(`id-aes${kek.length * 8}-wrap`, kek, Buffer.from('a6a6a6a6a6a6a6a6', 'hex'));
  return Buffer.concat([d.update(wrapped), d.final()]);
}

describe('key wrapping over mutual TLS', { timeout: 180_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-wrap-tls-'));
  let server: RunningServer | undefined;
  let creds: Creds;
  let socket: tls.TLSSocket | undefined;
  // Clients that may read every key but not use it for wrapping, or use only their own keys.
  let reader: tls.TLSSocket | undefined;
  let ownUser: tls.TLSSocket | undefined;
  before(async () => {
    creds = await enrolHere(join(root, 'data'), join(root, 'client'), 'app', { grants: parseGrants('all') });
    const readerCreds = await enrolHere(join(root, 'data'), join(root, 'reader'), 'reader', { grants: parseGrants('query,get:all') });
    const ownCreds = await enrolHere(join(root, 'data'), join(root, 'own'), 'own', { grants: parseGrants('query,get:all,use:own') });
    server = await startServer({ dataDir: join(root, 'data'), host: '127.0.0.1', port: 0, log: silentLogger });
    socket = await connect(server.address.port, creds);
    reader = await connect(server.address.port, readerCreds);
    ownUser = await connect(server.address.port, ownCreds);
  });
  after(async () => {
    socket?.destroy();
    reader?.destroy();
    ownUser?.destroy();
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });
  const ask = async (op: number, payload: TtlvItem[], via = socket): Promise<ResponseBatchItem> => parseResponseMessage(decodeTtlv(await call(via!, request(op, payload, V21)))).batchItems[0]!;
  const ok = async (op: number, payload: TtlvItem[]): Promise<StructureItem> => {
    const r = await ask(op, payload);
    assert.equal(r.resultStatus, Enum.ResultStatus.Success, r.resultMessage);
    return r.responsePayload!;
  };
  const register = async (key: Uint8Array, mask: number, extra: TtlvItem[] = []): Promise<string> => {
    const block = struct(Tag.KeyBlock, [
      item(Tag.KeyFormatType, 'Enumeration', Enum.KeyFormatType.Raw),
      struct(Tag.KeyValue, [item(Tag.KeyMaterial, 'ByteString', key)]),
      item(Tag.CryptographicAlgorithm, 'Enumeration', Enum.CryptographicAlgorithm.AES),
      item(Tag.CryptographicLength, 'Integer', key.length * 8),
    ]);
    const p = await ok(OP.Register, [item(Tag.ObjectType, 'Enumeration', Enum.ObjectType.SymmetricKey), struct(Tag.Attributes, [item(Tag.CryptographicUsageMask, 'Integer', mask), ...extra]), struct(Tag.SymmetricKey, [block])]);
    return field(p, Tag.UniqueIdentifier)!.value as string;
  };

  const kekBytes = new Uint8Array(randomBytes(32));
  let kek = '';
  let dek = '';
  test('Get wrapped (NIST Key Wrap, No Encoding and TTLV) unwraps locally to the plain Get; the wrapped object registers back', async () => {
    kek = await register(kekBytes, UM.WrapKey | UM.UnwrapKey, [KW]);
    await ok(OP.Activate, [uid(kek)]);
    dek = await register(new Uint8Array(randomBytes(32)), UM.Encrypt | UM.Decrypt);
    const plain = Buffer.from(field(field(blockOf(await ok(OP.Get, [uid(dek)])), Tag.KeyValue) as StructureItem, Tag.KeyMaterial)!.value as Uint8Array);
    const raw = await ok(OP.Get, [uid(dek), spec(kek, Enum.EncodingOption.NoEncoding)]);
    const wrapped = field(blockOf(raw), Tag.KeyValue)!;
    assert.equal(wrapped.type, 'ByteString');
    assert.deepEqual(unwrapLocally(kekBytes, wrapped.value as Uint8Array), plain);
    const ttlv = await ok(OP.Get, [uid(dek), spec(kek)]);
    const kv = decodeTtlv(unwrapLocally(kekBytes, field(blockOf(ttlv), Tag.KeyValue)!.value as Uint8Array)) as StructureItem;
    assert.deepEqual(Buffer.from(field(kv, Tag.KeyMaterial)!.value as Uint8Array), plain);
    // Register the wrapped object as Get returned it: stored unwrapped but Sensitive (review 8 #1), so it is
    // served only wrapped, and only under a key whose value never left the server.
    const back = field(await ok(OP.Register, [item(Tag.ObjectType, 'Enumeration', Enum.ObjectType.SymmetricKey), struct(Tag.Attributes, [item(Tag.CryptographicUsageMask, 'Integer', UM.Encrypt)]), field(ttlv, Tag.SymmetricKey)!]), Tag.UniqueIdentifier)!.value as string;
    assert.equal((await ask(OP.Get, [uid(back)])).resultReason, RR.Sensitive);
    // A KEK this client registered, even with Sensitive True: it knows the bytes, so it could unwrap outside. Refused.
    const sensitiveKekBytes = new Uint8Array(randomBytes(32));
    const registeredKek = await register(sensitiveKekBytes, UM.WrapKey, [KW, item(Tag.Sensitive, 'Boolean', true)]);
    await ok(OP.Activate, [uid(registeredKek)]);
    const refused = await ask(OP.Get, [uid(back), spec(registeredKek, Enum.EncodingOption.NoEncoding)]);
    assert.equal(refused.resultReason, RR.Sensitive);
    assert.match(refused.resultMessage ?? '', /was registered by a client/);
    // A KEK the server generated with Sensitive True: accepted (only the server can unwrap it: 32 bytes wrap to 40).
    const made = field(await ok(OP.Create, [item(Tag.ObjectType, 'Enumeration', Enum.ObjectType.SymmetricKey), struct(Tag.Attributes, [
      item(Tag.CryptographicAlgorithm, 'Enumeration', Enum.CryptographicAlgorithm.AES), item(Tag.CryptographicLength, 'Integer', 256),
      item(Tag.CryptographicUsageMask, 'Integer', UM.WrapKey), KW, item(Tag.Sensitive, 'Boolean', true),
    ])]), Tag.UniqueIdentifier)!.value as string;
    await ok(OP.Activate, [uid(made)]);
    const again = await ok(OP.Get, [uid(back), spec(made, Enum.EncodingOption.NoEncoding)]);
    assert.equal((field(blockOf(again), Tag.KeyValue)!.value as Uint8Array).length, 40);
  });

  test('wrapping uses the key: it needs the client\'s use permission on the wrapping key, not only get', async () => {
    // reader may Get the data key (get:all) but has no use permission at all.
    assert.equal((await ask(OP.Get, [uid(dek)], reader)).resultStatus, Enum.ResultStatus.Success);
    const r = await ask(OP.Get, [uid(dek), spec(kek)], reader);
    assert.equal(r.resultReason, RR.PermissionDenied, r.resultMessage);
    assert.match(r.resultMessage ?? '', /has no use permission/);
    // own may use only its own keys: app's KEK is out of reach, answered like a missing key.
    const o = await ask(OP.Get, [uid(dek), spec(kek)], ownUser);
    const missing = await ask(OP.Get, [uid(dek), spec('no-such-kek')], ownUser);
    assert.equal(o.resultReason, RR.PermissionDenied, o.resultMessage);
    assert.equal(missing.resultReason, RR.PermissionDenied);
    assert.equal(o.resultMessage?.replace(kek, 'X'), missing.resultMessage?.replace('no-such-kek', 'X'), 'the same answer as for a missing key');
  });

  test('changed wrapped bytes: Cryptographic Failure; a deactivated wrapping key: Wrong Key Lifecycle State; the connection keeps serving', async () => {
    const ttlv = await ok(OP.Get, [uid(dek), spec(kek)]);
    const obj = field(ttlv, Tag.SymmetricKey) as StructureItem;
    const block = blockOf(ttlv);
    const bad = Buffer.from(field(block, Tag.KeyValue)!.value as Uint8Array);
    bad[0]! ^= 1;
    const changed = struct(Tag.SymmetricKey, [struct(Tag.KeyBlock, block.value.map((c) => (c.tag === Tag.KeyValue ? item(Tag.KeyValue, 'ByteString', new Uint8Array(bad)) : c)))]);
    assert.equal(obj.value.length, 1);
    const r = await ask(OP.Register, [item(Tag.ObjectType, 'Enumeration', Enum.ObjectType.SymmetricKey), struct(Tag.Attributes, []), changed]);
    assert.equal(r.resultReason, RR.CryptographicFailure, r.resultMessage);
    await ok(OP.Revoke, [uid(kek), struct(Tag.RevocationReason, [item(Tag.RevocationReasonCode, 'Enumeration', Enum.RevocationReasonCode.CessationOfOperation)])]);
    const d = await ask(OP.Get, [uid(dek), spec(kek)]);
    assert.equal(d.resultReason, RR.WrongKeyLifecycleState, d.resultMessage);
    assert.match(d.resultMessage ?? '', /Deactivated; key wrapping needs an Active key/);
    await ok(OP.Get, [uid(dek)]);
  });

  for (const version of ['1.2', '2.0']) {
    test(`PyKMIP ${version}: get(uid, key_wrapping_specification) with NIST Key Wrap and AES Key Wrap with Padding unwraps (python3-cryptography) to the plain Get`, async () => {
      const problem = pykmipProblem();
      assert.equal(problem, undefined, problem);
      const { stdout } = await run(PYTHON, [DRIVER, '--port', String(server!.address.port), '--ca', join(root, 'client', 'ca.crt'), '--cert', join(root, 'client', 'app.crt'), '--key', join(root, 'client', 'app.key'), '--kmip-version', version], { timeout: 60_000 }).catch((e: { stdout?: string; message: string }) => ({ stdout: e.stdout ?? e.message }));
      const out = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
      assert.equal(out['error'], undefined, String(out['error']));
      assert.equal((out['plain'] as string).length, 64);
      assert.equal(out['kw_unwrapped'], out['plain']);
      assert.equal(out['kwp_unwrapped'], out['plain']);
      assert.equal((out['kw'] as string).length, 80, '32 bytes wrap to 40');
      assert.notEqual(out['kw'], out['kwp']);
      assert.deepEqual(out['wrapping_data'], { wrapping_method: 'WrappingMethod.ENCRYPT', unique_identifier: out['kek'], block_cipher_mode: 'BlockCipherMode.NIST_KEY_WRAP', encoding_option: 'EncodingOption.NO_ENCODING' });
    });
  }
});
