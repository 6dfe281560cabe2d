// The key policy (main/policy/key-policy.ts): first the pure decisions case
// by case, then the rules through a live server over mutual TLS (startServer
// as the engine worker runs it), changed with `keyhold policy set` while it
// runs: a refused request answers the policy's Result Reason and message and
// stores nothing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateKeyPairSync } from 'node:crypto';
import type tls from 'node:tls';
import { buildRequestMessage, parseResponseMessage, type Attribute, type ResponseBatchItem } from '../shared/kmip/message/index.js';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { decodeTtlv, encodeTtlv, item, struct, type TtlvItem } from '../shared/kmip/ttlv/index.js';
import { applyDefaults, checkNewKey, DEFAULT_KEY_POLICY, isLegacy, keyToken, lifetimeDaysFor, parseKeyPolicy, policyChanges, type KeyPolicy, type NewObjectFacts } from '../main/policy/key-policy.js';
import { parseGrants } from '../main/access/policy.js';
import { startServer, type RunningServer } from '../main/server/serve.js';
import { silentLogger } from '../main/admin/log.js';
import type { AuditRecord } from '../main/audit/audit-log.js';
import { call, enrolAndConnect } from './support/kmip-tls.js';
import { policySet } from './support/cli.js';

const CA = Enum.CryptographicAlgorithm;
const OT = Enum.ObjectType;

describe('key policy decisions', () => {
  const facts = (f: Partial<NewObjectFacts>): NewObjectFacts => ({ operation: 'Create', client: 'app', objectType: OT.SymmetricKey, attributes: [], ...f });
  const policy = (p: Partial<KeyPolicy>): KeyPolicy => ({ ...DEFAULT_KEY_POLICY, ...p });

  it('names keys by token', () => {
    assert.equal(keyToken({ algorithm: CA.AES, length: 192 }), 'AES-192');
    assert.equal(keyToken({ algorithm: CA.DES3, length: 168 }), '3DES');
    assert.equal(keyToken({ algorithm: CA.HMAC_SHA384, length: 384 }), 'HMAC-SHA384');
    assert.equal(keyToken({ algorithm: CA.RSA, length: 1024 }), 'RSA-1024');
    assert.equal(keyToken({ algorithm: CA.ECDSA, length: 384 }), 'EC-P384');
    assert.equal(keyToken({ algorithm: CA.EC, curve: Enum.RecommendedCurve.P_521 }), 'EC-P521');
    assert.equal(keyToken({ algorithm: CA.RC4, length: 128 }), 'RC4-128');
    assert.equal(keyToken({ algorithm: CA.HMAC_SHA3_256, length: 256 }), 'HMAC-SHA3-256');
    assert.deepEqual(['RC4-128', 'RSA-1024', 'DSA-2047', 'HMAC-SHA1', '3DES', 'RSA-2048', 'AES-128', 'EC-P256'].map(isLegacy), [true, true, true, true, true, false, false, false]);
  });

  it('allows the default algorithms and refuses others with Invalid Field naming the rule', () => {
    for (const key of [{ algorithm: CA.AES, length: 128 }, { algorithm: CA.AES, length: 256 }, { algorithm: CA.HMAC_SHA256, length: 256 }]) {
      assert.deepEqual(checkNewKey(DEFAULT_KEY_POLICY, facts({ key })), { ok: true }, keyToken(key));
    }
    for (const [key, objectType] of [[{ algorithm: CA.RSA, length: 3072 }, OT.PrivateKey], [{ algorithm: CA.EC, length: 256 }, OT.PublicKey]] as const) {
      assert.deepEqual(checkNewKey(DEFAULT_KEY_POLICY, facts({ operation: 'CreateKeyPair', objectType, key })), { ok: true });
    }
    const des = checkNewKey(DEFAULT_KEY_POLICY, facts({ key: { algorithm: CA.DES3, length: 168 } }));
    assert.deepEqual(des, { ok: false, reason: 'InvalidField', message: 'key policy: 3DES keys are not allowed: legacy algorithms are off (policy.json allowLegacy)' });
    const rsa = checkNewKey(DEFAULT_KEY_POLICY, facts({ operation: 'Register', objectType: OT.PublicKey, key: { algorithm: CA.RSA, length: 1024 } }));
    assert.equal(rsa.ok ? '' : rsa.reason, 'InvalidField');
    const aes = checkNewKey(policy({ algorithms: ['AES-256'] }), facts({ key: { algorithm: CA.AES, length: 128 } }));
    assert.equal(aes.ok ? '' : aes.message, 'key policy: AES-128 keys are not allowed: not in policy.json algorithms (AES-256)');
  });

  it('allows legacy keys only with allowLegacy, and never keys outside both lists', () => {
    const legacy = policy({ allowLegacy: true });
    assert.ok(checkNewKey(legacy, facts({ key: { algorithm: CA.DES3, length: 168 } })).ok);
    assert.ok(checkNewKey(legacy, facts({ objectType: OT.PrivateKey, key: { algorithm: CA.RSA, length: 1024 } })).ok);
    assert.equal(checkNewKey(legacy, facts({ key: { algorithm: CA.Camellia, length: 256 } })).ok, false);
    // `*`: every key that is not legacy; legacy ones still need allowLegacy.
    const any = policy({ algorithms: ['*'] });
    assert.ok(checkNewKey(any, facts({ key: { algorithm: CA.Camellia, length: 256 } })).ok);
    assert.equal(checkNewKey(any, facts({ key: { algorithm: CA.DES3, length: 168 } })).ok, false);
    assert.ok(checkNewKey(policy({ algorithms: ['*'], allowLegacy: true }), facts({ key: { algorithm: CA.DES3, length: 168 } })).ok);
  });

  it('applies no algorithm rule to objects that are not keys (Secret Data, certificates)', () => {
    assert.ok(checkNewKey(DEFAULT_KEY_POLICY, facts({ operation: 'Register', objectType: OT.SecretData, key: { algorithm: CA.DES3 } })).ok);
  });

  it('clientsMayCreate / clientsMayRegister: Permission Denied unless the client is an exception', () => {
    const closed = policy({ clientsMayCreate: false, clientsMayRegister: false, allowCreate: ['gen'], allowRegister: ['importer'] });
    const key = { algorithm: CA.AES, length: 256 };
    for (const operation of ['Create', 'CreateKeyPair', 'ReKey', 'ReKeyKeyPair'] as const) {
      assert.deepEqual(checkNewKey(closed, facts({ operation, key })), { ok: false, reason: 'PermissionDenied', message: 'key policy: clients may not generate keys (policy.json clientsMayCreate) (client "app")' }, operation);
      assert.ok(checkNewKey(closed, facts({ operation, client: 'gen', key })).ok, `${operation} by gen`);
    }
    const reg = checkNewKey(closed, facts({ operation: 'Register', key }));
    assert.equal(reg.ok ? '' : reg.message, 'key policy: clients may not register objects (policy.json clientsMayRegister) (client "app")');
    assert.ok(checkNewKey(closed, facts({ operation: 'Register', client: 'importer', key })).ok);
    // The exceptions are per switch: an importer may not generate, a generator may not register.
    assert.equal(checkNewKey(closed, facts({ client: 'importer', key })).ok, false);
    assert.equal(checkNewKey(closed, facts({ operation: 'Register', client: 'gen', key })).ok, false);
    // An in-process caller has no name and matches no exception.
    assert.equal(checkNewKey(closed, facts({ client: undefined, key })).ok, false);
  });

  it('required attributes: Missing Data naming the attribute', () => {
    const p = policy({ requiredAttributes: ['Name', 'ObjectGroup'] });
    assert.deepEqual(checkNewKey(p, facts({ attributes: ['ObjectGroup'] })), { ok: false, reason: 'MissingData', message: 'key policy: a new object needs a Name attribute (policy.json requiredAttributes)' });
    const group = checkNewKey(p, facts({ attributes: ['Name'] }));
    assert.equal(group.ok ? '' : group.message, 'key policy: a new object needs a Object Group attribute (policy.json requiredAttributes)');
    assert.ok(checkNewKey(p, facts({ attributes: ['Name', 'ObjectGroup'] })).ok);
  });

  it('applyDefaults fills the algorithm only where the server may choose it, and the length of the default algorithm', () => {
    const alg = (a: Attribute[]) => a.find((x) => x.name === 'CryptographicAlgorithm')?.value;
    const len = (a: Attribute[]) => a.find((x) => x.name === 'CryptographicLength')?.value;
    const v2 = applyDefaults(DEFAULT_KEY_POLICY, [], true);
    assert.deepEqual([alg(v2), len(v2)], [{ type: 'Enumeration', value: CA.AES }, { type: 'Integer', value: 256 }]);
    assert.deepEqual(applyDefaults(DEFAULT_KEY_POLICY, [], false), [], '1.x: the client must send the algorithm');
    const aes = applyDefaults(policy({ defaultSymmetric: 'AES-128' }), [{ name: 'CryptographicAlgorithm', value: { type: 'Enumeration', value: CA.AES } }], false);
    assert.deepEqual(len(aes), { type: 'Integer', value: 128 });
    const hmac = applyDefaults(DEFAULT_KEY_POLICY, [{ name: 'CryptographicAlgorithm', value: { type: 'Enumeration', value: CA.HMAC_SHA256 } }], true);
    assert.equal(len(hmac), undefined, 'another algorithm keeps its own rule');
    const given = applyDefaults(DEFAULT_KEY_POLICY, [{ name: 'CryptographicAlgorithm', value: { type: 'Enumeration', value: CA.AES } }, { name: 'CryptographicLength', value: { type: 'Integer', value: 192 } }], true);
    assert.deepEqual(len(given), { type: 'Integer', value: 192 });
  });

  it('parseKeyPolicy: absent fields are the defaults; each mistake is one line naming the file and field', () => {
    assert.deepEqual(parseKeyPolicy('{}', 'p.json'), DEFAULT_KEY_POLICY);
    assert.deepEqual(parseKeyPolicy('{"algorithms":["aes-256"],"defaultSymmetric":"aes-256"}', 'p.json').algorithms, ['AES-256']);
    const bad: [string, RegExp][] = [
      ['{', /p\.json: not valid JSON/],
      ['[]', /p\.json: expected an object/],
      ['{"allowLegacy":"yes"}', /p\.json: allowLegacy must be true or false$/],
      ['{"algorithm":[]}', /p\.json: unknown field "algorithm"/],
      ['{"algorithms":["3DES"]}', /p\.json: algorithms: 3DES is a legacy algorithm; allow legacy keys with allowLegacy instead$/],
      ['{"algorithms":["AES 256"]}', /p\.json: algorithms: "AES 256" is not a key name/],
      ['{"algorithms":["AES-128"]}', /p\.json: defaultSymmetric AES-256 is not an allowed algorithm/],
      ['{"defaultSymmetric":"RSA-2048"}', /p\.json: defaultSymmetric must be/],
      ['{"requiredAttributes":["Nmae"]}', /p\.json: requiredAttributes: unknown attribute "Nmae"/],
      ['{"allowCreate":"app"}', /p\.json: allowCreate must be a list of strings$/],
    ];
    for (const [text, message] of bad) assert.throws(() => parseKeyPolicy(text, 'p.json'), message, text);
  });

  it('lifetimeDaysFor: the client\'s own lifetime when listed (0 too: no expiry), else the default', () => {
    const p = policy({ defaultLifetimeDays: 365, lifetimeByClient: { esx: 90, backup: 0 } });
    assert.equal(lifetimeDaysFor(p, 'esx'), 90);
    assert.equal(lifetimeDaysFor(p, 'backup'), 0);
    assert.equal(lifetimeDaysFor(p, 'other'), 365);
    assert.equal(lifetimeDaysFor(p, undefined), 365, 'an in-process caller: the default');
    assert.equal(lifetimeDaysFor(policy({ defaultLifetimeDays: 0, lifetimeByClient: { esx: 30 } }), 'other'), 0, 'default off');
    assert.equal(lifetimeDaysFor(policy({ defaultLifetimeDays: 0, lifetimeByClient: { esx: 30 } }), 'esx'), 30, 'on for one client only');
    // Names are matched exactly, and only own keys count (not Object.prototype's).
    assert.equal(lifetimeDaysFor(p, 'ESX'), 365);
    assert.equal(lifetimeDaysFor(p, 'constructor'), 365);
    assert.equal(lifetimeDaysFor(p, '__proto__'), 365);
  });

  it('parseKeyPolicy: the lifecycle fields (days from 0 to 36500, lifetimes by client, switches)', () => {
    const p = parseKeyPolicy('{"defaultLifetimeDays":0,"lifetimeByClient":{"esx":90,"backup":0},"expiryWarningDays":7,"softDelete":false,"softDeleteRetentionDays":36500}', 'p.json');
    assert.deepEqual([p.defaultLifetimeDays, p.lifetimeByClient, p.expiryWarningDays, p.softDelete, p.softDeleteRetentionDays], [0, { esx: 90, backup: 0 }, 7, false, 36500]);
    const days = /must be a whole number of days from 0 to 36500$/;
    const bad: [string, RegExp][] = [
      ['{"defaultLifetimeDays":-1}', /p\.json: defaultLifetimeDays must be a whole number of days from 0 to 36500$/],
      ['{"defaultLifetimeDays":1.5}', days],
      ['{"defaultLifetimeDays":"365"}', days],
      ['{"defaultLifetimeDays":36501}', days],
      ['{"defaultLifetimeDays":null}', days],
      ['{"expiryWarningDays":-3}', /p\.json: expiryWarningDays must be a whole number/],
      ['{"softDeleteRetentionDays":1e9}', /p\.json: softDeleteRetentionDays must be a whole number/],
      ['{"softDelete":"on"}', /p\.json: softDelete must be true or false$/],
      ['{"lifetimeByClient":[]}', /p\.json: lifetimeByClient must map client names to days, like \{"esx-01": 90\}$/],
      ['{"lifetimeByClient":null}', /lifetimeByClient must map client names to days/],
      ['{"lifetimeByClient":{"esx":-1}}', /p\.json: lifetimeByClient: "esx" must be a whole number of days from 0 to 36500 \(0: no expiry\)$/],
      ['{"lifetimeByClient":{"esx":"90"}}', /lifetimeByClient: "esx" must be a whole number/],
      ['{"lifetimeByClient":{"esx":36501}}', /lifetimeByClient: "esx" must be a whole number/],
    ];
    for (const [text, message] of bad) assert.throws(() => parseKeyPolicy(text, 'p.json'), message, text);
  });

  it('policyChanges: one readable line per changed field', () => {
    const after = { ...DEFAULT_KEY_POLICY, allowLegacy: true, requiredAttributes: ['Name'] };
    assert.deepEqual(policyChanges(DEFAULT_KEY_POLICY, after), ['allowLegacy false → true', 'requiredAttributes none → Name']);
    assert.deepEqual(policyChanges(after, after), []);
  });
});

// ---------------------------------------------------------------------------

const V21 = { major: 2, minor: 1 };
const V14 = { major: 1, minor: 4 };

function request(operation: number, payload: TtlvItem[], version = V21): Uint8Array {
  return encodeTtlv(buildRequestMessage({ header: { protocolVersion: version }, batchItems: [{ operation, requestPayload: struct(Tag.RequestPayload, payload) }] }));
}
const name = (n: string) => struct(Tag.Name, [item(Tag.NameValue, 'TextString', n), item(Tag.NameType, 'Enumeration', Enum.NameType.UninterpretedTextString)]);
function create(algorithm: number | undefined, length: number | undefined, extra: TtlvItem[] = []): Uint8Array {
  return request(Enum.Operation.Create, [
    item(Tag.ObjectType, 'Enumeration', OT.SymmetricKey),
    struct(Tag.Attributes, [
      ...(algorithm === undefined ? [] : [item(Tag.CryptographicAlgorithm, 'Enumeration', algorithm)]),
      ...(length === undefined ? [] : [item(Tag.CryptographicLength, 'Integer', length)]),
      item(Tag.CryptographicUsageMask, 'Integer', Enum.CryptographicUsageMask.Encrypt | Enum.CryptographicUsageMask.Decrypt),
      ...extra,
    ]),
  ]);
}
const createRsaPair = (bits: number, n: string) =>
  request(Enum.Operation.CreateKeyPair, [
    struct(Tag.CommonAttributes, [item(Tag.CryptographicAlgorithm, 'Enumeration', CA.RSA), item(Tag.CryptographicLength, 'Integer', bits)]),
    struct(Tag.PrivateKeyAttributes, [name(`${n}-priv`), item(Tag.CryptographicUsageMask, 'Integer', Enum.CryptographicUsageMask.Sign)]),
    struct(Tag.PublicKeyAttributes, [name(`${n}-pub`), item(Tag.CryptographicUsageMask, 'Integer', Enum.CryptographicUsageMask.Verify)]),
  ]);
const registerAes = (n: string) =>
  request(Enum.Operation.Register, [
    item(Tag.ObjectType, 'Enumeration', OT.SymmetricKey),
    struct(Tag.Attributes, [item(Tag.CryptographicUsageMask, 'Integer', Enum.CryptographicUsageMask.Encrypt), name(n)]),
    struct(Tag.SymmetricKey, [
      struct(Tag.KeyBlock, [
        item(Tag.KeyFormatType, 'Enumeration', Enum.KeyFormatType.Raw),
        struct(Tag.KeyValue, [item(Tag.KeyMaterial, 'ByteString', new Uint8Array(32).fill(7))]),
        item(Tag.CryptographicAlgorithm, 'Enumeration', CA.AES),
        item(Tag.CryptographicLength, 'Integer', 256),
      ]),
    ]),
  ]);
/** An RSA-1024 public key in PKCS#1 (legacy: refused unless allowLegacy). */
const registerRsa1024 = () => {
  const der = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'pkcs1', format: 'der' });
  return request(Enum.Operation.Register, [
    item(Tag.ObjectType, 'Enumeration', OT.PublicKey),
    struct(Tag.Attributes, [item(Tag.CryptographicUsageMask, 'Integer', Enum.CryptographicUsageMask.Verify), name('rsa1024')]),
    struct(Tag.PublicKey, [
      struct(Tag.KeyBlock, [
        item(Tag.KeyFormatType, 'Enumeration', Enum.KeyFormatType.PKCS_1),
        struct(Tag.KeyValue, [item(Tag.KeyMaterial, 'ByteString', new Uint8Array(der))]),
        item(Tag.CryptographicAlgorithm, 'Enumeration', CA.RSA),
        item(Tag.CryptographicLength, 'Integer', 1024),
      ]),
    ]),
  ]);
};

describe('key policy on a live server', { timeout: 120_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-policy-'));
  const dir = join(root, 'data');
  let server: RunningServer;
  const conns = new Map<string, tls.TLSSocket>();
  const audit: AuditRecord[] = [];

  async function enrol(who: string): Promise<void> {
    conns.set(who, await enrolAndConnect(server.address.port, dir, join(root, who), who, { grants: parseGrants('all') }));
  }
  async function ask(who: string, bytes: Uint8Array): Promise<ResponseBatchItem> {
    return parseResponseMessage(decodeTtlv(await call(conns.get(who)!, bytes))).batchItems[0]!;
  }
  const ok = (r: ResponseBatchItem, what: string) => assert.equal(r.resultStatus, Enum.ResultStatus.Success, `${what}: ${r.resultMessage}`);
  function refused(r: ResponseBatchItem, reason: number, message: RegExp, what: string): void {
    assert.equal(r.resultStatus, Enum.ResultStatus.OperationFailed, `${what}: succeeded`);
    assert.equal(r.resultReason, reason, `${what}: ${r.resultMessage}`);
    assert.match(r.resultMessage ?? '', message, what);
  }
  const count = async () => {
    const r = await ask('admin', request(Enum.Operation.Locate, []));
    ok(r, 'Locate');
    return (r.responsePayload as { value: TtlvItem[] }).value.filter((c) => c.tag === Tag.UniqueIdentifier).length;
  };
  /** Repeats `bytes` until the answer is a success or a second has passed: the server applies policy changes within a second. */
  async function withinASecond(who: string, bytes: () => Uint8Array, done: (r: ResponseBatchItem) => boolean): Promise<ResponseBatchItem> {
    const until = Date.now() + 1000;
    for (;;) {
      const r = await ask(who, bytes());
      if (done(r) || Date.now() > until) return r;
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  before(async () => {
    server = await startServer({ dataDir: dir, host: '127.0.0.1', port: 0, log: silentLogger, onAuditRecord: (r) => audit.push(r) });
    await enrol('admin');
    await enrol('importer');
  });

  after(async () => {
    for (const s of conns.values()) s.destroy();
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('P01 a Triple DES Create is refused with Invalid Field naming the rule, and nothing is created', async () => {
    const before = await count();
    refused(await ask('admin', create(CA.DES3, 168, [name('des')])), Enum.ResultReason.InvalidField, /^key policy: 3DES keys are not allowed: legacy algorithms are off \(policy\.json allowLegacy\)$/, '3DES Create');
    assert.equal(await count(), before);
    // The same request with AES is made: the refusal is the policy's, not the request's.
    ok(await ask('admin', create(CA.AES, 256, [name('aes')])), 'AES Create');
    assert.equal(await count(), before + 1);
  });

  it('P02 an RSA-1024 key pair is refused before it is generated; a registered RSA-1024 key too', async () => {
    const before = await count();
    refused(await ask('admin', createRsaPair(1024, 'small')), Enum.ResultReason.InvalidField, /^key policy: RSA-1024 keys are not allowed: legacy/, 'RSA-1024 Create Key Pair');
    refused(await ask('admin', registerRsa1024()), Enum.ResultReason.InvalidField, /^key policy: RSA-1024 keys are not allowed/, 'RSA-1024 Register');
    assert.equal(await count(), before);
    ok(await ask('admin', createRsaPair(2048, 'fine')), 'RSA-2048 Create Key Pair');
    assert.equal(await count(), before + 2);
  });

  it('P03 a 2.1 Create without algorithm or length gets the default symmetric key (AES-256); 1.4 must name the algorithm', async () => {
    const r = await ask('admin', create(undefined, undefined, [name('default')]));
    ok(r, 'Create without algorithm');
    const id = (r.responsePayload as { value: TtlvItem[] }).value.find((c) => c.tag === Tag.UniqueIdentifier)!.value as string;
    const attrs = await ask('admin', request(Enum.Operation.GetAttributes, [item(Tag.UniqueIdentifier, 'TextString', id)]));
    ok(attrs, 'Get Attributes');
    const list = (attrs.responsePayload as { value: TtlvItem[] }).value.find((c) => c.tag === Tag.Attributes) as { value: TtlvItem[] };
    assert.equal(list.value.find((c) => c.tag === Tag.CryptographicAlgorithm)?.value, CA.AES);
    assert.equal(list.value.find((c) => c.tag === Tag.CryptographicLength)?.value, 256);
    const v14 = await ask('admin', request(Enum.Operation.Create, [item(Tag.ObjectType, 'Enumeration', OT.SymmetricKey), struct(Tag.TemplateAttribute, [])], V14));
    assert.equal(v14.resultReason, Enum.ResultReason.MissingData, v14.resultMessage);
  });

  it('P04 clients may not register: Permission Denied naming the rule, except the listed client', async () => {
    assert.match(await policySet(dir, '--clients-register', 'off', '--allow-register', 'importer'), /clientsMayRegister true → false; allowRegister none → importer/);
    const before = await count();
    const r = await withinASecond('admin', () => registerAes('reg-admin'), (x) => x.resultStatus !== Enum.ResultStatus.Success);
    refused(r, Enum.ResultReason.PermissionDenied, /^key policy: clients may not register objects \(policy\.json clientsMayRegister\) \(client "admin"\)$/, 'admin Register');
    assert.equal(await count(), before);
    ok(await ask('importer', registerAes('reg-importer')), 'importer Register');
    assert.equal(await count(), before + 1);
    // Generating is a separate switch: still allowed.
    ok(await ask('admin', create(CA.AES, 128, [name('still')])), 'admin Create');
    await policySet(dir, '--clients-register', 'on', '--allow-register', 'none');
    ok(await withinASecond('admin', () => registerAes('reg-admin2'), (x) => x.resultStatus === Enum.ResultStatus.Success), 'admin Register after on');
  });

  it('P05 a required Name: a key without one is refused with Missing Data and not stored; Create Key Pair needs it on both keys', async () => {
    await policySet(dir, '--require-name', 'on');
    const before = await count();
    const r = await withinASecond('admin', () => create(CA.AES, 256), (x) => x.resultStatus !== Enum.ResultStatus.Success);
    refused(r, Enum.ResultReason.MissingData, /^key policy: a new object needs a Name attribute \(policy\.json requiredAttributes\)$/, 'Create without Name');
    const pair = request(Enum.Operation.CreateKeyPair, [
      struct(Tag.CommonAttributes, [item(Tag.CryptographicAlgorithm, 'Enumeration', CA.EC), item(Tag.CryptographicLength, 'Integer', 256)]),
      struct(Tag.PrivateKeyAttributes, [name('only-private'), item(Tag.CryptographicUsageMask, 'Integer', Enum.CryptographicUsageMask.Sign)]),
      struct(Tag.PublicKeyAttributes, [item(Tag.CryptographicUsageMask, 'Integer', Enum.CryptographicUsageMask.Verify)]),
    ]);
    refused(await ask('admin', pair), Enum.ResultReason.MissingData, /needs a Name attribute/, 'Create Key Pair, public key without Name');
    assert.equal(await count(), before);
    ok(await ask('admin', create(CA.AES, 256, [name('named')])), 'Create with a Name');
    await policySet(dir, '--require-name', 'off');
  });

  it('P06 a change with `keyhold policy set` applies within a second and is audited with its difference', async () => {
    const t0 = Date.now();
    assert.match(await policySet(dir, '--legacy', 'on'), /^key policy changed: allowLegacy false → true\n$/);
    const r = await withinASecond('admin', () => create(CA.DES3, 168, [name(`des-${Date.now()}`)]), (x) => x.resultStatus === Enum.ResultStatus.Success);
    ok(r, '3DES Create after --legacy on');
    assert.ok(Date.now() - t0 < 1500, `applied after ${Date.now() - t0} ms`);
    const records = audit.filter((a) => a.operation === 'policy changed');
    assert.ok(records.some((a) => a.kind === 'admin' && a.message === 'allowLegacy false → true'), JSON.stringify(records));
    assert.ok(records.some((a) => a.message === 'requiredAttributes Name → none'), 'every change is recorded');
  });

  it('P07 a broken policy.json keeps the last good policy', async () => {
    writeFileSync(join(dir, 'policy.json'), '{"allowLegacy": maybe}');
    await new Promise((r) => setTimeout(r, 600));
    ok(await ask('admin', create(CA.DES3, 168, [name('des-still')])), 'legacy still on');
  });
});
