// `keyhold ttlv decode|encode` end to end: the real bin script in a child
// process, real OASIS captures, exact byte round trips, one-line errors.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeTtlv, item, parseHex, struct, toHex } from '../shared/kmip/ttlv/index.js';
import { REPO_ROOT, reference } from './support/reference.js';

function keyhold(args: string[], input: string | Uint8Array): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'keyhold.mjs'), ...args], { input, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

/** Every TTLV hex message of the Additional Message Encodings profile documents, in test order. */
function msgencCaptures(): { name: string; hex: string }[] {
  const root = reference('kmip-testcases', 'oasis-v1.0-profile-docs-extracted', 'kmip-addtl-msg-enc-v1.0-os');
  const out: { name: string; hex: string }[] = [];
  for (const dir of readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    for (const f of readdirSync(join(root, dir)).sort()) {
      if (f.endsWith('.ttlv.hex')) out.push({ name: `${dir}/${f}`, hex: toHex(parseHex(readFileSync(join(root, dir, f), 'utf8'))) });
    }
  }
  return out;
}

test('the issue example prints the decoded item', () => {
  const r = keyhold(['ttlv', 'decode'], '42 00 20 | 02 | 00 00 00 04 | 00 00 00 08 00 00 00 00\n');
  assert.equal(r.stderr, '');
  assert.equal(r.status, 0);
  assert.match(r.stdout, /type="Integer" value="8"/);
  const j = keyhold(['ttlv', 'decode', '--json'], '42 00 20 | 02 | 00 00 00 04 | 00 00 00 08 00 00 00 00\n');
  assert.equal(j.status, 0);
  const doc = JSON.parse(j.stdout);
  assert.equal(doc.type, 'Integer');
  assert.equal(doc.value, 8);
});

test('a whole captured session, as hex and as raw bytes, decodes and encodes back byte for byte (XML and JSON)', () => {
  const captures = msgencCaptures();
  assert.ok(captures.length >= 30, `only ${captures.length} captures found`);
  const session = captures.map((c) => c.hex).join('\n');
  const raw = parseHex(session);
  for (const format of [[], ['--json']]) {
    for (const input of [session, raw]) {
      const dec = keyhold(['ttlv', 'decode', ...format], input);
      assert.equal(dec.status, 0, dec.stderr);
      const enc = keyhold(['ttlv', 'encode'], dec.stdout);
      assert.equal(enc.status, 0, enc.stderr);
      assert.deepEqual(enc.stdout.trim().split('\n'), captures.map((c) => c.hex), `format ${format.join('') || 'xml'}`);
    }
  }
  console.log(`cli round trip: ${captures.length} messages, XML and JSON, hex and raw input`);
});

test('a 3 MiB Byte String (over 4 MiB as text) decodes and encodes back exactly', () => {
  const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 7919) & 0xff);
  const hex = toHex(encodeTtlv(struct(0x420078, [item(0x420043, 'ByteString', big)])));
  for (const format of [[], ['--json']]) {
    const dec = keyhold(['ttlv', 'decode', ...format], hex);
    assert.equal(dec.status, 0, dec.stderr);
    assert.ok(dec.stdout.length > 4 * 1024 * 1024, 'the text form is over the 4 MiB message default');
    const enc = keyhold(['ttlv', 'encode'], dec.stdout);
    assert.equal(enc.status, 0, enc.stderr);
    assert.equal(enc.stdout.trim(), hex);
  }
});

test('bad input: exit 1 and one line naming message, offset, tag and the fault', () => {
  const good = '42 00 20 | 02 | 00000004 | 00000008 00000000\n';
  const badLength = '42 00 0D | 02 | 00000005 | 00000008 00000000\n';
  const r = keyhold(['ttlv', 'decode'], good + badLength);
  assert.equal(r.status, 1);
  // What came before the fault is still printed: message 1, then the error line.
  assert.equal(r.stdout, '<CompromiseDate type="Integer" value="8"/>\n');
  assert.equal(r.stderr, 'keyhold: message 2, offset 20, tag 0x42000D (BatchCount): length 5 for a 4-byte type [BAD_LENGTH]\n');

  const truncated = keyhold(['ttlv', 'decode'], good + '42 00 78 | 01 | 00000020 | 42 00 77');
  assert.equal(truncated.status, 1);
  assert.match(truncated.stderr, /^keyhold: message 2, offset 16, .*\[TRUNCATED\]\n$/);

  const notHex = keyhold(['ttlv', 'decode', '--hex'], '42 00 2x');
  assert.equal(notHex.status, 1);
  assert.equal(notHex.stderr, 'keyhold: hex input, line 1, column 8: character "x" is not a hex digit\n');
  // Printable text is taken as hex even when it is not quite hex: the stray
  // character is named, instead of the text being read as raw bytes.
  const dump = keyhold(['ttlv', 'decode'], '42 00 20 02\n00000000: 42 00');
  assert.equal(dump.stderr, 'keyhold: hex input, line 2, column 9: character ":" is not a hex digit\n');

  // XML 1.0 has no way to write U+0001; JSON does, and says so.
  const control = keyhold(['ttlv', 'decode'], good + '42 00 94 | 07 | 00000001 | 01 00000000000000\n');
  assert.equal(control.status, 1);
  assert.match(control.stderr, /^keyhold: message 2: UniqueIdentifier: U\+0001 cannot be written in XML 1\.0 \(use the TTLV or JSON encoding\)\n$/);
  const controlJson = keyhold(['ttlv', 'decode', '--json'], good + '42 00 94 | 07 | 00000001 | 01 00000000000000\n');
  assert.equal(controlJson.status, 0, controlJson.stderr);
  assert.equal(JSON.parse(controlJson.stdout.split('\n')[1]!).value, '\u0001');

  const secondBad = keyhold(['ttlv', 'encode'], '[{"tag":"BatchCount","type":"Integer","value":1},{"tag":"BatchCount","type":"Integer","value":"x"}]');
  assert.equal(secondBad.status, 1);
  assert.match(secondBad.stderr, /^keyhold: message 2 \(array element 1\): BatchCount/);
  const notUtf8 = keyhold(['ttlv', 'encode'], Buffer.from('<TTLV tag="0x420094" type="TextString" value="\xff"/>', 'latin1'));
  assert.equal(notUtf8.stderr, 'keyhold: input is not valid UTF-8\n');

  for (const [args, input] of [
    [['ttlv', 'encode'], '<RequestMessage><Bogus'],
    [['ttlv', 'encode'], '{"tag":"BatchCount","type":"Integer","value":"twelve"}'],
    [['ttlv', 'encode'], '<BatchCount type="Integer" value="99999999999"/>'],
    [['ttlv', 'decode'], ''],
  ] as const) {
    const e = keyhold([...args], input);
    assert.equal(e.status, 1, `${args.join(' ')} ${input}`);
    assert.equal(e.stdout, '');
    assert.match(e.stderr, /^keyhold: [^\n]+\n$/, 'exactly one line');
    assert.doesNotMatch(e.stderr, /\bat .*\.ts:\d+/, 'no stack trace');
  }
});

test('output closed early (| head) ends quietly; a full disk is one line', () => {
  const bin = join(REPO_ROOT, 'bin', 'keyhold.mjs');
  const session = msgencCaptures().map((c) => c.hex).join('\n');
  // head exits after 10 bytes; keyhold's next write then fails with EPIPE.
  const head = spawnSync('sh', ['-c', `"${process.execPath}" "${bin}" ttlv decode | head -c 10 >/dev/null`], { input: session, timeout: 60_000 });
  assert.equal(head.status, 0);
  assert.equal(head.stderr.toString(), '', 'no stack trace on EPIPE');
  const disk = spawnSync('sh', ['-c', `"${process.execPath}" "${bin}" ttlv decode > /dev/full`], { input: session, timeout: 60_000 });
  assert.equal(disk.status, 1);
  assert.match(disk.stderr.toString(), /^keyhold: cannot write output: ENOSPC[^\n]*\n$/);
});

test('usage errors exit 2; help exits 0', () => {
  assert.equal(keyhold(['ttlv', 'decode', '--frobnicate'], '').status, 2);
  assert.equal(keyhold(['nonsense'], '').status, 2);
  const h = keyhold(['help'], '');
  assert.equal(h.status, 0);
  assert.match(h.stdout, /keyhold ttlv decode/);
  assert.match(h.stdout, /keyhold ttlv encode/);
});
