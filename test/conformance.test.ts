// OASIS conformance over live TLS (the conformance requirement):
// every mandatory SKLC, AKLC, OMOS, TL, SASED and BL case for KMIP 1.4 and
// 2.1, from every source folder that has it, is replayed against a real
// `keyhold serve` by the runner in test/conformance/ and must pass; the
// failure message is the first mismatch. Then docs/conformance.md (written
// by `npm run conformance`) must be current: every case of index.tsv exactly
// once, summary counts equal to the rows, and the rows of the cases run here
// equal to what this run found. The whole index is not re-run here: with a
// server start per group that locates or names objects, `npm run
// conformance` takes about 5 minutes on 2 cores, well over the ~2 minutes a
// test may take; this file takes about 1 minute.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { buildResponseMessage, parseResponseMessage, type ResponseBatchItem } from '../shared/kmip/message/index.js';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import { item, struct, type TtlvItem } from '../shared/kmip/ttlv/index.js';
import { isRequired, readCases } from './conformance/cases.js';
import { bind, compareResponse, mismatch, newCaseState, queryMismatch } from './conformance/compare.js';
import { countsFromRows, DOC_PATH, parseDoc, renderDoc } from './conformance/report.js';
import { runCases, type CaseResult } from './conformance/runner.js';
import { REPO_ROOT } from './support/reference.js';

const all = readCases();
const required = all.filter(isRequired);

// ---------------------------------------------------------------------------
// The comparison rules (no server needed): each must catch what it should.

describe('comparison rules', () => {
  const uid = (s: string): TtlvItem => item(Tag.UniqueIdentifier, 'TextString', s);
  const km = (hex: string): TtlvItem => struct(Tag.KeyValue, [item(Tag.KeyMaterial, 'ByteString', Buffer.from(hex, 'hex'))]);
  const response = (op: number, payload: TtlvItem[], extra: Partial<ResponseBatchItem> = {}) =>
    buildResponseMessage({ header: { protocolVersion: { major: 2, minor: 1 }, timeStamp: 1n }, batchItems: [{ operation: op, resultStatus: Enum.ResultStatus.Success, responsePayload: struct(Tag.ResponsePayload, payload), ...extra }] });

  test('Date-Time values are compared by type only; any other value exactly', () => {
    const st = newCaseState([]);
    assert.equal(mismatch(item(Tag.InitialDate, 'DateTime', 1n), item(Tag.InitialDate, 'DateTime', 99n), st, 'p'), undefined);
    assert.match(mismatch(item(Tag.InitialDate, 'DateTime', 1n), item(Tag.InitialDate, 'Integer', 1), st, 'p') ?? '', /expected InitialDate \(DateTime\)/);
    assert.match(mismatch(item(Tag.CryptographicLength, 'Integer', 128), item(Tag.CryptographicLength, 'Integer', 256), st, 'p') ?? '', /expected 128, got 256/);
  });

  test('Key Material the case supplied must come back identical; generated material may differ', () => {
    const supplied = newCaseState([struct(Tag.RequestMessage, [km('0011')])]);
    assert.equal(mismatch(km('0011'), km('0011'), supplied, 'p'), undefined);
    assert.match(mismatch(km('0011'), km('ffff'), supplied, 'p') ?? '', /KeyMaterial\[0\]: expected 0011, got ffff/);
    assert.equal(mismatch(km('2222'), km('ffff'), supplied, 'p'), undefined);
  });

  test('$UNIQUE_IDENTIFIER_n binds at its first response, must repeat, and is sent back in requests', () => {
    const st = newCaseState([]);
    assert.throws(() => bind(uid('$UNIQUE_IDENTIFIER_0'), st.ids), /used before it was bound/);
    assert.equal(mismatch(uid('$UNIQUE_IDENTIFIER_0'), uid('abc'), st, 'p'), undefined);
    assert.deepEqual(bind(struct(Tag.RequestPayload, [uid('$UNIQUE_IDENTIFIER_0')]), st.ids), struct(Tag.RequestPayload, [uid('abc')]));
    assert.match(mismatch(uid('$UNIQUE_IDENTIFIER_0'), uid('xyz'), st, 'p') ?? '', /bound earlier/);
  });

  test('Query: well-formed, only served operations, the required ones present where Operations were asked', () => {
    const st = newCaseState([], { served: [Enum.Operation.Query, Enum.Operation.Get], required: [Enum.Operation.Get] });
    const op = (v: number): TtlvItem => item(Tag.Operation, 'Enumeration', v);
    const exp = struct(Tag.ResponsePayload, [op(Enum.Operation.Create)]);
    const ours = (...c: TtlvItem[]) => struct(Tag.ResponsePayload, c);
    assert.equal(queryMismatch(exp, ours(op(Enum.Operation.Query), op(Enum.Operation.Get), item(Tag.VendorIdentification, 'TextString', 'K')), '2.1', st, 'q'), undefined);
    assert.match(queryMismatch(exp, ours(op(Enum.Operation.Encrypt)), '2.1', st, 'q') ?? '', /does not serve: Encrypt/);
    assert.match(queryMismatch(exp, ours(op(Enum.Operation.Query)), '2.1', st, 'q') ?? '', /requires: Get/);
    assert.equal(queryMismatch(struct(Tag.ResponsePayload, []), ours(), '2.1', st, 'q'), undefined, 'Operations not asked for');
    assert.match(queryMismatch(exp, ours(uid('x')), '2.1', st, 'q') ?? '', /not a Query response field/);
    assert.match(queryMismatch(exp, ours(item(Tag.VendorIdentification, 'TextString', 'a'), item(Tag.VendorIdentification, 'TextString', 'b')), '2.1', st, 'q') ?? '', /more than one/);
  });

  test('Get Attribute List compares the names as a set; result status and reason exactly', () => {
    const names = (...n: string[]) => n.map((x) => item(Tag.AttributeName, 'TextString', x));
    const exp = response(Enum.Operation.GetAttributeList, [uid('u'), ...names('State', 'Name')]);
    const st = () => newCaseState([]);
    assert.equal(compareResponse(exp, parseResponseMessage(response(Enum.Operation.GetAttributeList, [uid('u'), ...names('Name', 'State')])), st(), '#0'), undefined);
    assert.match(compareResponse(exp, parseResponseMessage(response(Enum.Operation.GetAttributeList, [uid('u'), ...names('Name')])), st(), '#0') ?? '', /missing State/);
    const failed = parseResponseMessage(response(Enum.Operation.GetAttributeList, [], { resultStatus: Enum.ResultStatus.OperationFailed, resultReason: Enum.ResultReason.ItemNotFound, resultMessage: 'no such object' }));
    assert.match(compareResponse(exp, failed, st(), '#0') ?? '', /^#0\.0 GetAttributeList: OperationFailed\/ItemNotFound \("no such object"\), expected Success$/);
  });

  test('Get Attributes compares the attributes as a multiset; extra standard ones only when all were asked for', () => {
    const st = () => newCaseState([]);
    const attrs = (...c: TtlvItem[]) => struct(Tag.Attributes, c);
    const name = item(Tag.ContactInformation, 'TextString', 'ops');
    const len = item(Tag.CryptographicLength, 'Integer', 256);
    const sens = item(Tag.Sensitive, 'Boolean', false);
    const vendor = struct(Tag.Attribute, [item(Tag.VendorIdentification, 'TextString', 'x'), item(Tag.AttributeName, 'TextString', 'Tier'), item(Tag.AttributeValue, 'TextString', 'gold')]);
    const exp = response(Enum.Operation.GetAttributes, [uid('u'), attrs(name, len)]);
    const got = (...c: TtlvItem[]) => parseResponseMessage(response(Enum.Operation.GetAttributes, [uid('u'), attrs(...c)]));
    const request = (...names: TtlvItem[]) => struct(Tag.RequestMessage, [struct(Tag.BatchItem, [item(Tag.Operation, 'Enumeration', Enum.Operation.GetAttributes), struct(Tag.RequestPayload, [uid('u'), ...names])])]);
    const all = request();
    const named = request(item(Tag.AttributeReference, 'Enumeration', Tag.ContactInformation), item(Tag.AttributeReference, 'Enumeration', Tag.CryptographicLength));
    assert.equal(compareResponse(exp, got(len, name), st(), '#0', named), undefined, 'order is free');
    assert.match(compareResponse(exp, got(name, item(Tag.CryptographicLength, 'Integer', 128)), st(), '#0', named) ?? '', /no attribute matches the expected CryptographicLength/);
    assert.match(compareResponse(exp, got(name, len, sens), st(), '#0', named) ?? '', /3 attributes returned, expected 2/);
    assert.equal(compareResponse(exp, got(sens, name, len), st(), '#0', all), undefined, 'all requested: an extra standard attribute is fine');
    assert.match(compareResponse(exp, got(name, len, vendor), st(), '#0', all) ?? '', /3 attributes returned, expected 2/, 'but not an extra vendor attribute');
  });
});

describe('OASIS mandatory cases over live TLS', { timeout: 300_000 }, () => {
  const results = new Map<string, CaseResult>();
  before(async () => {
    for (const r of await runCases(required, all)) results.set(r.case.path, r);
  });

  test('the required set is the issue\'s: 6 families, 1.4 and 2.1, both sources', () => {
    const families = new Set(required.map((c) => `${c.family} ${c.version}`));
    for (const f of ['SKLC', 'AKLC', 'OMOS', 'TL', 'SASED']) for (const v of ['1.4', '2.1']) assert.ok(families.has(`${f} ${v}`), `${f} ${v}`);
    assert.ok(families.has('BL 2.1'));
    // Cryptographic services (issue 8): CS-BC (incl. GCM, ChaCha20) and CS-AC's OAEP cases, both versions.
    for (const v of ['1.4', '2.1']) {
      assert.ok(required.some((c) => c.family === 'CS-BC' && c.version === v && /GCM/.test(c.path)), `CS-BC GCM ${v}`);
      assert.ok(required.some((c) => c.family === 'CS-AC' && c.version === v && /OAEP/.test(c.path)), `CS-AC OAEP ${v}`);
    }
    assert.ok(required.some((c) => /CHACHA20POLY1305/.test(c.path)));
    assert.ok(required.some((c) => c.family === 'AX' && c.version === '1.4') && required.some((c) => c.family === 'AX' && c.version === '2.1'), 'AX 1.4 and 2.1');
    // Sign / Signature Verify / MAC / MAC Verify / Hash and RNG Retrieve, both versions; SUITEB (1.4 only: no 2.1 cases exist).
    for (const v of ['1.4', '2.1']) {
      assert.ok(required.some((c) => c.family === 'CS-AC' && c.version === v && /CS-AC-M-[0-9]+-/.test(c.path)), `CS-AC sign/verify/MAC ${v}`);
      assert.ok(required.some((c) => c.family === 'CS-RNG' && c.version === v), `CS-RNG ${v}`);
    }
    assert.ok(required.some((c) => c.family === 'SUITEB-128' && c.version === '1.4') && required.some((c) => c.family === 'SUITEB-192' && c.version === '1.4'));
    assert.ok(required.some((c) => c.path.startsWith('ovh-kmip-go/')) && required.some((c) => c.path.startsWith('cosmian-kmip/')));
  });

  for (const c of required) {
    test(c.path, () => {
      const r = results.get(c.path);
      assert.ok(r, 'not run');
      assert.equal(r.status, 'pass', `${c.path}: ${r.reason}`);
    });
  }

  describe(`${DOC_PATH} is current`, () => {
    const text = (): string => readFileSync(join(REPO_ROOT, DOC_PATH), 'utf8');

    test('lists every case of index.tsv exactly once, with its family, class and version', () => {
      const doc = parseDoc(text());
      const seen = new Map<string, number>();
      for (const r of doc.rows) seen.set(r.path, (seen.get(r.path) ?? 0) + 1);
      assert.deepEqual([...seen].filter(([, n]) => n > 1), [], 'listed more than once');
      assert.deepEqual(all.map((c) => c.path).filter((p) => !seen.has(p)), [], 'cases missing from the doc');
      assert.deepEqual(doc.rows.map((r) => r.path).filter((p) => !all.some((c) => c.path === p)), [], 'rows that are not in index.tsv');
      for (const r of doc.rows) {
        const c = all.find((x) => x.path === r.path)!;
        assert.deepEqual([r.family, r.mo, r.version], [c.family, c.mo, c.version || '?'], r.path);
        assert.ok(['pass', 'fail', 'not run'].includes(r.status), `${r.path}: status ${r.status}`);
      }
    });

    test('summary counts match the rows', () => {
      const doc = parseDoc(text());
      const fromRows = countsFromRows(doc.rows);
      assert.deepEqual(new Map([...doc.summary].sort()), new Map([...fromRows].sort()));
      const total = [...fromRows.values()].reduce((t, row) => t.map((n, i) => n + row[i]!), doc.total.map(() => 0));
      assert.deepEqual(doc.total, total);
      assert.equal(total.reduce((a, b) => a + b, 0), all.length);
    });

    test('the rows of the cases run above say what this run found', () => {
      // Render this run's rows the way the script does and compare them line by line.
      const live = renderDoc([...results.values()]).split('\n').filter((l) => l.startsWith('| ') && required.some((c) => l.startsWith(`| ${c.path} |`)));
      const committed = new Set(text().split('\n'));
      const stale = live.filter((l) => !committed.has(l));
      assert.deepEqual(stale, [], 'docs/conformance.md is out of date: run `npm run conformance`');
    });

    test('is deterministic: the generator\'s output for the same results is the same text', () => {
      const rs = [...results.values()];
      assert.equal(renderDoc(rs), renderDoc([...rs].reverse()));
      assert.doesNotMatch(text(), /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i, 'no server-generated ids');
    });
  });
});
