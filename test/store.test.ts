// The key store against a real SQLite file in a temp dir: migrations, the
// master key file, encryption at rest and tamper detection, attributes,
// Locate (results and query plans), Destroy, transactions, and crash safety
// with a SIGKILLed writer process.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Enum, Tag } from '../shared/kmip/registry/index.js';
import type { AttributeValue } from '../shared/kmip/message/attributes.js';
import { DB_FILE, MASTER_KEY_FILE, ObjectState, openStore, SCHEMA_VERSION, StoreError, type SqliteKeyStore } from '../main/store/index.js';
import { toStoreError } from '../main/store/errors.js';
import { explainLocate } from '../main/store/locate-query.js';
import { REPO_ROOT } from './support/reference.js';

const { SymmetricKey, SecretData } = Enum.ObjectType;
const { AES, DES3 } = Enum.CryptographicAlgorithm;

let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'keyhold-store-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
const freshDir = () => join(root, `d${n++}`);

const nameValue = (text: string): AttributeValue => ({
  type: 'Structure',
  value: [
    { tag: Tag.NameValue, type: 'TextString', value: text },
    { tag: Tag.NameType, type: 'Enumeration', value: Enum.NameType.UninterpretedTextString },
  ],
});
const asi = (ns: string, data: string): AttributeValue => ({
  type: 'Structure',
  value: [
    { tag: Tag.ApplicationNamespace, type: 'TextString', value: ns },
    { tag: Tag.ApplicationData, type: 'TextString', value: data },
  ],
});
const text = (value: string): AttributeValue => ({ type: 'TextString', value });
const int = (value: number): AttributeValue => ({ type: 'Integer', value });
const enm = (value: number): AttributeValue => ({ type: 'Enumeration', value });
const date = (seconds: number): AttributeValue => ({ type: 'DateTime', value: BigInt(seconds) });
const bool = (value: boolean): AttributeValue => ({ type: 'Boolean', value });
const x = (attributeName: string) => ({ vendorIdentification: 'x', attributeName });

function storeError(code: StoreError['code'], pattern?: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof StoreError, `expected StoreError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return true;
  };
}

/**
 * Raw SQL on a store's file, as an attacker with the file would have. Through
 * the store's own connection: it holds the database in EXCLUSIVE locking
 * mode, so a second connection cannot open it meanwhile (tested below).
 */
function raw(store: SqliteKeyStore): { prepare: Database.Database['prepare']; close(): void } {
  const db = store.connection;
  return { prepare: db.prepare.bind(db) as Database.Database['prepare'], close: () => undefined };
}

describe('open and migrations', () => {
  it('creates the schema on an empty dir, and reopening applies nothing twice', () => {
    const dir = freshDir();
    const s = openStore(dir);
    const id = s.createObject({ objectType: SymmetricKey, state: ObjectState.PreActive, material: Buffer.from('k') });
    const db = s.connection;
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('synchronous', { simple: true }), 2); // FULL
    assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
    assert.ok((db.pragma('busy_timeout', { simple: true }) as number) > 0);
    // One owner: the WAL index lives in the process (no -shm file), and a
    // second connection cannot read the file while the store is open.
    assert.equal(db.pragma('locking_mode', { simple: true }), 'exclusive');
    assert.equal(existsSync(join(dir, `${DB_FILE}-shm`)), false);
    const other = new Database(join(dir, DB_FILE), { timeout: 50 });
    assert.throws(() => other.prepare('SELECT count(*) FROM objects').get(), /database is locked/);
    other.close();
    s.close();
    const s2 = openStore(dir);
    const versions = s2.connection.prepare('SELECT version FROM schema_version ORDER BY version').pluck().all();
    assert.deepEqual(versions, Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
    assert.equal(s2.getObject(id).state, ObjectState.PreActive);
    s2.close();
    assert.ok(existsSync(join(dir, DB_FILE)));
  });

  it('migrations 2 and 3 bring a version-1 database up to date: key indexes rebuilt, objects findable, shares table added', () => {
    const dir = freshDir();
    const s = openStore(dir);
    const id = s.createObject({ objectType: SymmetricKey, state: ObjectState.Active, attributes: [{ name: 'Name', value: nameValue('old') }, { name: 'Fresh', value: { type: 'Boolean', value: true } }], material: randomBytes(16) });
    // Back to version 1: its indexes (every name), no shares table, and no rows for migrations 2 and 3.
    s.connection.exec(`
      DROP INDEX attributes_text; DROP INDEX attributes_int; DROP INDEX attributes_date;
      CREATE INDEX attributes_text ON attributes (name, text_value, object_seq) WHERE text_value IS NOT NULL;
      CREATE INDEX attributes_int  ON attributes (name, int_value, object_seq)  WHERE int_value IS NOT NULL;
      CREATE INDEX attributes_date ON attributes (name, date_value, object_seq) WHERE date_value IS NOT NULL;
      DROP TABLE object_shares;
      DROP TABLE retained_material;
      ALTER TABLE objects DROP COLUMN origin;
      DELETE FROM schema_version WHERE version >= 2;
    `);
    s.close();
    const s2 = openStore(dir);
    const sql = s2.connection.prepare("SELECT sql FROM sqlite_master WHERE name = 'attributes_int'").pluck().get() as string;
    assert.match(sql, /name NOT IN \('AlwaysSensitive'/);
    assert.deepEqual(s2.locate({ attributes: [{ name: 'Name', text: 'old' }] }), [id]);
    assert.deepEqual(s2.locate({ attributes: [{ name: 'Fresh', int: 1 }] }), [id]);
    assert.deepEqual(s2.getObject(id).sharedWith, []);
    assert.equal(s2.share([id], ['group:ops']), 1);
    assert.deepEqual(s2.getObject(id).sharedWith, ['group:ops']);
    // Migration 5: an object from before it has no recorded origin; new ones do.
    assert.equal(s2.getObject(id).origin, null);
    assert.equal(s2.getObject(s2.createObject({ objectType: SymmetricKey, state: ObjectState.Active, origin: 'imported' })).origin, 'imported');
    assert.equal(s2.connection.pragma('integrity_check', { simple: true }), 'ok');
    s2.close();
  });

  it('accepts a database file path; the key file sits beside it', () => {
    const dir = freshDir();
    const s = openStore(join(dir, 'custom.db'));
    s.close();
    assert.ok(existsSync(join(dir, 'custom.db')));
    assert.ok(existsSync(join(dir, MASTER_KEY_FILE)));
  });

  it('refuses a database newer than the code', () => {
    const dir = freshDir();
    openStore(dir).close();
    const db = new Database(join(dir, DB_FILE));
    db.prepare('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)').run(SCHEMA_VERSION + 1, 'future', 0);
    db.close();
    assert.throws(() => openStore(dir), storeError('INCOMPATIBLE', /newer than this Keyhold supports/));
  });
});

describe('master key file', () => {
  it('is created with mode 0600 and 32 bytes', () => {
    const dir = freshDir();
    openStore(dir).close();
    const st = statSync(join(dir, MASTER_KEY_FILE));
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal(st.size, 32);
    assert.equal(statSync(join(dir, DB_FILE)).mode & 0o777, 0o600);
  });

  it('refuses wider permissions', () => {
    const dir = freshDir();
    openStore(dir).close();
    for (const mode of [0o644, 0o640, 0o604, 0o660]) {
      chmodSync(join(dir, MASTER_KEY_FILE), mode);
      assert.throws(() => openStore(dir), storeError('MASTER_KEY', /must be 0600/));
    }
    chmodSync(join(dir, MASTER_KEY_FILE), 0o400); // narrower is fine
    openStore(dir).close();
  });

  it('refuses the wrong length, a different key, and a missing key once data exists', () => {
    const dir = freshDir();
    openStore(dir).close();
    const path = join(dir, MASTER_KEY_FILE);
    const good = readFileSync(path);
    rmSync(path);
    writeFileSync(path, good.subarray(0, 31), { mode: 0o600 });
    assert.throws(() => openStore(dir), storeError('MASTER_KEY', /exactly 32 bytes/));
    rmSync(path);
    writeFileSync(path, Buffer.concat([good, Buffer.from([0])]), { mode: 0o600 });
    assert.throws(() => openStore(dir), storeError('MASTER_KEY', /exactly 32 bytes/));
    rmSync(path);
    writeFileSync(path, randomBytes(32), { mode: 0o600 });
    assert.throws(() => openStore(dir), storeError('MASTER_KEY', /does not belong/));
    rmSync(path);
    assert.throws(() => openStore(dir), storeError('MASTER_KEY', /missing/));
    assert.ok(!existsSync(path), 'no new key was made for an initialised database');
    writeFileSync(path, good, { mode: 0o600 });
    openStore(dir).close();
  });

  it('error messages never contain key bytes', () => {
    const dir = freshDir();
    openStore(dir).close();
    const key = readFileSync(join(dir, MASTER_KEY_FILE));
    chmodSync(join(dir, MASTER_KEY_FILE), 0o644);
    try {
      openStore(dir);
      assert.fail('opened');
    } catch (e) {
      const msg = String((e as Error).message);
      assert.ok(!msg.includes(key.toString('hex')) && !msg.includes(key.toString('base64')));
    }
  });
});

describe('key material at rest', () => {
  let store: SqliteKeyStore;
  before(() => {
    store = openStore(freshDir());
  });
  after(() => store.close());

  it('round trips, and is absent from the database files', () => {
    const plain = Buffer.from('PLAINTEXT-KEY-MATERIAL-0123456789abcdef-' + randomBytes(8).toString('hex'));
    const id = store.createObject({ objectType: SymmetricKey, state: ObjectState.Active, material: plain });
    assert.deepEqual(Buffer.from(store.getMaterial(id)!), plain);
    assert.equal(store.getObject(id).hasMaterial, true);
    assert.ok(!('material' in store.getObject(id)), 'getObject does not decrypt');
    const files = [store.file, `${store.file}-wal`].filter(existsSync);
    assert.ok(files.length > 0);
    for (const f of files) {
      const bytes = readFileSync(f);
      assert.equal(bytes.indexOf(plain), -1, `plaintext found in ${f}`);
      assert.equal(bytes.indexOf(plain.subarray(0, 16)), -1, `plaintext prefix found in ${f}`);
    }
    // A rewrite uses a fresh nonce.
    const before = raw(store).prepare('SELECT nonce FROM object_material m JOIN objects o ON o.seq = m.object_seq WHERE o.uid = ?').pluck().get(id) as Buffer;
    store.setMaterial(id, plain);
    const after = raw(store).prepare('SELECT nonce FROM object_material m JOIN objects o ON o.seq = m.object_seq WHERE o.uid = ?').pluck().get(id) as Buffer;
    assert.equal(before.length, 12);
    assert.notDeepEqual(before, after);
    assert.deepEqual(Buffer.from(store.getMaterial(id)!), plain);
  });

  it('a flipped ciphertext, nonce or key version byte is CORRUPT', () => {
    const plain = randomBytes(32);
    for (const column of ['ciphertext', 'nonce', 'key_version'] as const) {
      const id = store.createObject({ objectType: SymmetricKey, state: ObjectState.Active, material: plain });
      const db = raw(store);
      const seq = db.prepare('SELECT seq FROM objects WHERE uid = ?').pluck().get(id);
      if (column === 'key_version') {
        db.prepare('UPDATE object_material SET key_version = 2 WHERE object_seq = ?').run(seq);
      } else {
        const v = db.prepare(`SELECT ${column} FROM object_material WHERE object_seq = ?`).pluck().get(seq) as Buffer;
        v[3]! ^= 0x01;
        db.prepare(`UPDATE object_material SET ${column} = ? WHERE object_seq = ?`).run(v, seq);
      }
      db.close();
      assert.throws(() => store.getMaterial(id), (e: unknown) => {
        assert.ok(e instanceof StoreError && e.code === 'CORRUPT', String(e));
        assert.ok(e.message.includes(id));
        assert.ok(!e.message.includes(plain.toString('hex')));
        return true;
      });
    }
  });

  it('ciphertext moved to another object is CORRUPT', () => {
    const a = store.createObject({ objectType: SymmetricKey, state: ObjectState.Active, material: randomBytes(32) });
    const b = store.createObject({ objectType: SymmetricKey, state: ObjectState.Active, material: randomBytes(32) });
    const db = raw(store);
    db.prepare(
      `UPDATE object_material SET (nonce, ciphertext, key_version) =
         (SELECT nonce, ciphertext, key_version FROM object_material WHERE object_seq = (SELECT seq FROM objects WHERE uid = ?))
       WHERE object_seq = (SELECT seq FROM objects WHERE uid = ?)`,
    ).run(a, b);
    db.close();
    assert.ok(store.getMaterial(a));
    assert.throws(() => store.getMaterial(b), storeError('CORRUPT'));
  });
});

describe('objects and attributes', () => {
  let store: SqliteKeyStore;
  before(() => {
    store = openStore(freshDir());
  });
  after(() => store.close());

  it('keeps every value type exactly, vendor names included', () => {
    const values: AttributeValue[] = [
      { type: 'LongInteger', value: -(2n ** 63n) },
      { type: 'BigInteger', value: new Uint8Array([0xff, 0, 0, 0, 0, 0, 0, 1]) },
      { type: 'ByteString', value: new Uint8Array([1, 2, 3]) },
      { type: 'Boolean', value: true },
      { type: 'Interval', value: 4294967295 },
      { type: 'DateTimeExtended', value: 1_700_000_000_123_456n },
      { type: 'Structure', value: [{ tag: 0x540001, type: 'Structure', value: [{ tag: 0x540002, type: 'TextString', value: 'deep' }] }] },
    ];
    const id = store.createObject({
      objectType: SecretData,
      state: ObjectState.PreActive,
      attributes: values.map((value, i) => ({ name: x(`T${i}`), value })),
    });
    const got = store.getObject(id);
    assert.equal(got.hasMaterial, false);
    assert.equal(store.getMaterial(id), null);
    assert.deepEqual(
      got.attributes.map((a) => a.value),
      values,
    );
    assert.deepEqual(got.attributes[0]!.name, x('T0'));
  });

  it('add / modify / delete / set / list names', () => {
    const id = store.createObject({ objectType: SymmetricKey, state: ObjectState.PreActive, attributes: [{ name: 'Name', value: nameValue('one') }] });
    assert.equal(store.addAttribute(id, 'Name', nameValue('two')), 1);
    assert.equal(store.addAttribute(id, 'Name', nameValue('five'), 5), 5);
    assert.throws(() => store.addAttribute(id, 'Name', nameValue('dup'), 5), storeError('CONFLICT', /index 5/));
    store.addAttribute(id, x('Vendor'), text('ACME'));
    assert.deepEqual(store.listAttributeNames(id), ['Name', x('Vendor')]);
    store.modifyAttribute(id, 'Name', nameValue('uno'));
    store.modifyAttribute(id, x('Vendor'), text('ACME 2'), 0);
    assert.throws(() => store.modifyAttribute(id, 'Name', nameValue('z'), 3), storeError('NOT_FOUND'));
    assert.deepEqual(
      store.getAttributes(id, ['Name']).map((a) => [a.index, (a.value.value as { value: unknown }[])[0]!.value]),
      [[0, 'uno'], [1, 'two'], [5, 'five']],
    );
    assert.equal(store.deleteAttribute(id, 'Name', 1), 1);
    assert.throws(() => store.deleteAttribute(id, 'Name', 1), storeError('NOT_FOUND'));
    store.setAttribute(id, 'Name', nameValue('only'));
    assert.deepEqual(store.getAttributes(id, ['Name']).map((a) => a.index), [0]);
    assert.equal(store.deleteAttribute(id, x('Vendor')), 1);
    assert.deepEqual(store.listAttributeNames(id), ['Name']);
    assert.throws(() => store.addAttribute(id, 'State', enm(2)), storeError('INVALID'));
    for (const op of [() => store.getObject('nope'), () => store.getMaterial('nope'), () => store.setState('nope', 2), () => store.destroy('nope'), () => store.addAttribute('nope', 'Name', nameValue('a'))]) {
      assert.throws(op, storeError('NOT_FOUND'));
    }
  });

  it('identifiers are UUIDs and unique; modified time moves', () => {
    let t = 1000;
    const s = openStore(freshDir(), { now: () => t });
    const id = s.createObject({ objectType: SymmetricKey, state: 1 });
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.throws(() => s.createObject({ id, objectType: SymmetricKey, state: 1 }), storeError('CONFLICT'));
    t = 2000;
    s.setState(id, ObjectState.Active);
    const o = s.getObject(id);
    assert.deepEqual([o.createdAt, o.modifiedAt, o.state], [1000, 2000, ObjectState.Active]);
    s.close();
    assert.throws(() => s.getObject(id), storeError('CLOSED'));
  });

  it('destroy wipes the material and keeps the object', () => {
    const id = store.createObject({ objectType: SymmetricKey, state: ObjectState.Deactivated, attributes: [{ name: 'Name', value: nameValue('gone') }], material: randomBytes(32) });
    store.destroy(id);
    const o = store.getObject(id);
    assert.equal(o.state, ObjectState.Destroyed);
    assert.equal(o.hasMaterial, false);
    assert.equal(store.getMaterial(id), null);
    assert.equal(o.attributes.length, 1);
    const db = raw(store);
    assert.equal(db.prepare('SELECT count(*) FROM object_material m JOIN objects o ON o.seq = m.object_seq WHERE o.uid = ?').pluck().get(id), 0);
    db.close();
    const c = store.createObject({ objectType: SymmetricKey, state: ObjectState.Compromised, material: randomBytes(16) });
    const ct = raw(store).prepare('SELECT ciphertext FROM object_material m JOIN objects o ON o.seq = m.object_seq WHERE o.uid = ?').pluck().get(c) as Buffer;
    assert.ok(readFileSync(store.file).indexOf(ct) >= 0 || readFileSync(`${store.file}-wal`).indexOf(ct) >= 0);
    store.destroy(c);
    assert.equal(store.getObject(c).state, ObjectState.DestroyedCompromised);
    // Once checkpointed, the destroyed ciphertext is gone from the file (secure_delete zeroed it).
    store.connection.pragma('wal_checkpoint(TRUNCATE)');
    assert.equal(readFileSync(store.file).indexOf(ct), -1);
  });

  it('transactions roll back as a whole', () => {
    const marker = `rollback-${randomBytes(4).toString('hex')}`;
    assert.throws(() =>
      store.transaction(() => {
        const id = store.createObject({ objectType: SymmetricKey, state: 1, attributes: [{ name: 'Name', value: nameValue(marker) }], material: randomBytes(16) });
        store.addAttribute(id, 'ObjectGroup', text(marker));
        store.setState(id, 2);
        throw new Error('boom');
      }),
    /boom/);
    assert.deepEqual(store.locate({ attributes: [{ name: 'Name', text: marker }] }), []);
    assert.deepEqual(store.locate({ attributes: [{ name: 'ObjectGroup', text: marker }] }), []);
    // A failing step inside one call undoes its earlier steps too.
    assert.throws(
      () => store.createObject({ objectType: SymmetricKey, state: 1, attributes: [{ name: 'Name', value: nameValue(marker), index: 0 }, { name: 'Name', value: nameValue(marker), index: 0 }] }),
      storeError('CONFLICT'),
    );
    assert.deepEqual(store.locate({ attributes: [{ name: 'Name', text: marker }] }), []);
    // Nested: the inner failure is caught, the outer work commits.
    const id = store.transaction(() => {
      const id = store.createObject({ objectType: SymmetricKey, state: 1 });
      assert.throws(() => store.transaction(() => {
        store.setState(id, 3);
        throw new Error('inner');
      }));
      return id;
    });
    assert.equal(store.getObject(id).state, 1);
  });

  it('never leaks SQL in errors', () => {
    const e = toStoreError(new Database.SqliteError('near "SELECT secret FROM objects": syntax error', 'SQLITE_ERROR'));
    assert.ok(e instanceof StoreError);
    assert.equal(e.code, 'INTERNAL');
    assert.ok(!e.message.includes('SELECT'));
  });
});

describe('ownership and shares (operator actions)', () => {
  let store: SqliteKeyStore;
  before(() => {
    store = openStore(freshDir());
  });
  after(() => store.close());
  const make = (owner: string | null) => store.createObject({ objectType: SymmetricKey, state: ObjectState.Active, owner });

  it('setOwner is all or none; reassignOwner moves every object of one owner, unowned ones included', () => {
    const a = make('alice');
    const b = make('alice');
    const u = make(null);
    assert.throws(() => store.setOwner([a, 'no-such-id'], 'bob'), (e: unknown) => e instanceof StoreError && e.code === 'NOT_FOUND');
    assert.equal(store.getObject(a).owner, 'alice');
    assert.equal(store.setOwner([a], 'bob'), 1);
    assert.equal(store.getObject(a).owner, 'bob');
    assert.equal(store.reassignOwner('alice', 'carol'), 1);
    assert.equal(store.getObject(b).owner, 'carol');
    assert.equal(store.reassignOwner(null, 'carol'), 1);
    assert.equal(store.getObject(u).owner, 'carol');
    assert.deepEqual(store.ownerCounts(), [{ owner: 'bob', count: 1 }, { owner: 'carol', count: 2 }]);
  });

  it('share / unshare count what changed; Locate by owners also finds objects shared with a grantee', () => {
    const mine = make('dave');
    const theirs = make('erin');
    const other = make('erin');
    assert.equal(store.share([theirs], ['client:dave', 'group:ops']), 2);
    assert.equal(store.share([theirs], ['client:dave']), 0);
    assert.deepEqual(store.getObject(theirs).sharedWith, ['client:dave', 'group:ops']);
    assert.throws(() => store.share([theirs], ['dave']), /client:NAME" or "group:NAME/);
    assert.deepEqual(store.locate({ owners: ['dave'] }), [mine]);
    assert.deepEqual(store.locate({ owners: ['dave'], sharedWith: ['client:dave'] }), [mine, theirs]);
    assert.deepEqual(store.locate({ owners: ['nobody'], sharedWith: ['group:ops'] }), [theirs]);
    assert.equal(store.unshare([theirs], ['client:dave', 'client:never']), 1);
    assert.deepEqual(store.locate({ owners: ['dave'], sharedWith: ['client:dave'] }), [mine]);
    assert.deepEqual(store.getObject(other).sharedWith, []);
  });
});

describe('locate', () => {
  let store: SqliteKeyStore;
  const ids: Record<string, string> = {};
  before(() => {
    store = openStore(freshDir());
    const add = (key: string, objectType: number, state: number, attrs: [Parameters<SqliteKeyStore['addAttribute']>[1], AttributeValue][]) => {
      ids[key] = store.createObject({ objectType, state, attributes: attrs.map(([name, value]) => ({ name, value })), material: randomBytes(16) });
    };
    add('a', SymmetricKey, ObjectState.Active, [
      ['Name', nameValue('alpha')],
      ['CryptographicAlgorithm', enm(AES)],
      ['CryptographicLength', int(256)],
      ['ObjectGroup', text('g1')],
      ['ApplicationSpecificInformation', asi('ssl', 'www.example.com')],
      [x('Product'), text('vSAN')],
      ['ActivationDate', date(1_000)],
      ['Sensitive', bool(true)],
      ['Fresh', bool(false)],
    ]);
    add('b', SymmetricKey, ObjectState.PreActive, [
      ['Name', nameValue('beta')],
      ['CryptographicAlgorithm', enm(AES)],
      ['CryptographicLength', int(128)],
      ['ObjectGroup', text('g1')],
      [{ vendorIdentification: 'y', attributeName: 'Tier' }, int(7)],
      ['ActivationDate', date(2_000)],
      ['Sensitive', bool(false)],
      ['Fresh', bool(true)],
    ]);
    add('c', SymmetricKey, ObjectState.Active, [
      ['Name', nameValue('gamma')],
      ['Name', nameValue('alias-of-gamma')],
      ['CryptographicAlgorithm', enm(DES3)],
      ['CryptographicLength', int(168)],
      ['ObjectGroup', text('g2')],
      ['ActivationDate', date(3_000)],
    ]);
    add('d', SecretData, ObjectState.Active, [['Name', nameValue('delta')], [x('Product'), text('MongoDB')]]);
  });
  after(() => store.close());

  const names = (found: string[]) => found.map((id) => Object.keys(ids).find((k) => ids[k] === id));

  it('by each kind of filter', () => {
    assert.deepEqual(names(store.locate({ attributes: [{ name: 'Name', text: 'beta' }] })), ['b']);
    assert.deepEqual(names(store.locate({ attributes: [{ name: 'Name', text: 'alias-of-gamma' }] })), ['c']);
    assert.deepEqual(names(store.locate({ attributes: [{ name: 'Name', equals: nameValue('alpha') }] })), ['a']);
    assert.deepEqual(names(store.locate({ attributes: [{ name: 'Name', equals: { type: 'Structure', value: [{ tag: Tag.NameValue, type: 'TextString', value: 'alpha' }, { tag: Tag.NameType, type: 'Enumeration', value: 2 }] } }] })), []);
    assert.deepEqual(names(store.locate({ objectType: SymmetricKey })), ['a', 'b', 'c']);
    assert.deepEqual(names(store.locate({ objectType: SecretData })), ['d']);
    assert.deepEqual(names(store.locate({ state: ObjectState.PreActive })), ['b']);
    assert.deepEqual(names(store.locate({ state: [ObjectState.PreActive, ObjectState.Active], objectType: SymmetricKey })), ['a', 'b', 'c']);
    assert.deepEqual(names(store.locate({ attributes: [{ name: 'CryptographicAlgorithm', int: AES }] })), ['a', 'b']);
    assert.deepEqual(names(store.locate({ attributes: [{ name: 'CryptographicAlgorithm', equals: enm(AES) }, { name: 'CryptographicLength', equals: int(256) }] })), ['a']);
    assert.deepEqual(names(store.locate({ attributes: [{ name: 'ObjectGroup', text: 'g1' }] })), ['a', 'b']);
    assert.deepEqual(names(store.locate({ attributes: [{ name: 'ApplicationSpecificInformation', equals: asi('ssl', 'www.example.com') }] })), ['a']);
    assert.deepEqual(names(store.locate({ attributes: [{ name: 'ApplicationSpecificInformation', text: 'ssl' }] })), ['a']);
    assert.deepEqual(names(store.locate({ attributes: [{ name: x('Product'), text: 'vSAN' }] })), ['a']);
    assert.deepEqual(names(store.locate({ attributes: [{ name: x('Product'), equals: text('MongoDB') }] })), ['d']);
    assert.deepEqual(names(store.locate({ attributes: [{ name: { vendorIdentification: 'y', attributeName: 'Tier' }, int: 7 }] })), ['b']);
    assert.deepEqual(names(store.locate({ attributes: [{ name: 'ActivationDate', from: 1_500, to: 3_000 }] })), ['b', 'c']);
    assert.deepEqual(names(store.locate({ attributes: [{ name: 'ActivationDate', from: 2_000n }] })), ['b', 'c']);
    assert.deepEqual(names(store.locate({ attributes: [{ name: 'ActivationDate', to: 1_999 }] })), ['a']);
    assert.deepEqual(names(store.locate({ attributes: [{ name: 'ActivationDate' }] })), ['a', 'b', 'c']);
    assert.deepEqual(names(store.locate({ objectType: SymmetricKey, state: ObjectState.Active, attributes: [{ name: 'ObjectGroup', text: 'g1' }] })), ['a']);
    assert.deepEqual(store.locate({ attributes: [{ name: 'Name', text: 'nobody' }] }), []);
    // Flags are not in the key indexes (migration 2) and are found all the same, alone or with an indexed criterion.
    assert.deepEqual(names(store.locate({ attributes: [{ name: 'Sensitive', equals: bool(true) }] })), ['a']);
    assert.deepEqual(names(store.locate({ attributes: [{ name: 'Fresh', int: 1 }] })), ['b']);
    assert.deepEqual(names(store.locate({ attributes: [{ name: 'ObjectGroup', text: 'g1' }, { name: 'Sensitive', int: 0 }] })), ['b']);
    assert.deepEqual(names(store.locate({ attributes: [{ name: 'ObjectGroup', text: 'g2' }, { name: 'Fresh', int: 1 }] })), []);
  });

  it('max items and offset page in a stable order', () => {
    const all = store.locate({});
    assert.deepEqual(names(all), ['a', 'b', 'c', 'd']);
    assert.deepEqual(store.locate({ maxItems: 2 }), all.slice(0, 2));
    assert.deepEqual(store.locate({ maxItems: 2, offset: 2 }), all.slice(2, 4));
    assert.deepEqual(store.locate({ offset: 3 }), all.slice(3));
    assert.deepEqual(store.locate({ maxItems: 0 }), []);
    assert.deepEqual(names(store.locate({ objectType: SymmetricKey, maxItems: 1, offset: 1 })), ['b']);
    assert.throws(() => store.locate({ maxItems: -1 }), storeError('INVALID'));
  });

  it('uses indexes and never reads key material', () => {
    const filters = [
      { attributes: [{ name: 'Name', text: 'alpha' }] },
      { objectType: SymmetricKey, state: ObjectState.Active, attributes: [{ name: 'Name', text: 'alpha' }], maxItems: 10 },
      { attributes: [{ name: 'Name', equals: nameValue('alpha') }] },
      { attributes: [{ name: 'CryptographicLength', int: 256 }] },
      { attributes: [{ name: 'ActivationDate', from: 1, to: 2 }] },
      { attributes: [{ name: x('Product'), text: 'vSAN' }] },
    ] as const;
    for (const f of filters) {
      const plan = explainLocate(store.connection, f);
      const text = plan.join('\n');
      assert.doesNotMatch(text, /\bSCAN (a|attributes)\b/, text);
      assert.doesNotMatch(text, /\bSCAN o\b/, text);
      assert.doesNotMatch(text, /object_material/, text);
      assert.match(text, /USING (COVERING )?INDEX attributes_(text|int|date)/, text);
    }
    // A flag criterion with an indexed one: the index finds the candidates, the primary key checks the flag.
    const plan = explainLocate(store.connection, { attributes: [{ name: 'Name', text: 'alpha' }, { name: 'Fresh', int: 1 }] }).join('\n');
    assert.match(plan, /USING COVERING INDEX attributes_text/, plan);
    assert.match(plan, /SEARCH a USING PRIMARY KEY \(object_seq=\? AND name=\?\)/, plan);
    assert.doesNotMatch(plan, /\bSCAN (a|attributes|o)\b/, plan);
  });

  it('keeps flag attributes out of the key indexes', () => {
    const db = store.connection;
    const seqA = db.prepare('SELECT seq FROM objects WHERE uid = ?').pluck().get(ids.a);
    // The rows keep their key columns; only the indexes leave them out.
    assert.equal(db.prepare("SELECT int_value FROM attributes WHERE object_seq = ? AND name = 'Sensitive'").pluck().get(seqA), 1);
    for (const index of ['attributes_int', 'attributes_text', 'attributes_date']) {
      const sql = db.prepare('SELECT sql FROM sqlite_master WHERE name = ?').pluck().get(index) as string;
      assert.match(sql, /WHERE \w+_value IS NOT NULL AND name NOT IN \(/, sql);
      for (const flag of ['Sensitive', 'Fresh', 'Extractable', 'LeaseTime', 'KeyFormatType']) assert.ok(sql.includes(`'${flag}'`), sql);
    }
  });
});

describe('crash safety', () => {
  it('a SIGKILLed writer loses no reported commit and leaves an intact database', { timeout: 120_000 }, async () => {
    const dir = freshDir();
    const child = join(REPO_ROOT, 'test', 'support', 'store-crash-child.ts');
    const committed = new Map<string, string>();
    for (let round = 0; round < 3; round++) {
      const lines = await new Promise<string[]>((resolve, reject) => {
        const p = spawn(process.execPath, ['--import', 'tsx', child, dir], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        let timer: NodeJS.Timeout | undefined;
        p.stdout.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          if (timer === undefined && out.includes('ready\n')) {
            timer = setTimeout(() => p.kill('SIGKILL'), 50 + Math.floor(Math.random() * 400));
          }
        });
        p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
        const guard = setTimeout(() => p.kill('SIGKILL'), 30_000);
        p.on('error', reject);
        p.on('close', (_code, signal) => {
          clearTimeout(guard);
          if (signal !== 'SIGKILL') return reject(new Error(`child ended without being killed: ${err}`));
          if (timer === undefined) return reject(new Error(`child never got ready: ${err}`));
          // Only complete lines: the last may have been cut by the kill.
          resolve(out.split('\n').slice(0, -1).filter((l) => l !== 'ready'));
        });
      });
      assert.ok(lines.length > 0, 'the child committed something');
      if (process.env.STORE_TEST_VERBOSE) console.log(`round ${round}: ${lines.length} commits reported`);
      for (const l of lines) {
        const [id, hex] = l.split(' ');
        committed.set(id!, hex!);
      }
      const store = openStore(dir);
      try {
        assert.equal(store.connection.pragma('integrity_check', { simple: true }), 'ok');
        assert.equal((store.connection.pragma('foreign_key_check') as unknown[]).length, 0);
        for (const [id, hex] of committed) {
          assert.equal(Buffer.from(store.getMaterial(id)!).toString('hex'), hex);
          const o = store.getObject(id);
          assert.equal(o.state, ObjectState.Active, 'the whole transaction committed');
          assert.equal(o.attributes.length, 2);
        }
        // Anything committed but not yet reported is complete too.
        for (const id of store.locate({})) {
          assert.ok(store.getMaterial(id));
          assert.equal(store.getObject(id).state, ObjectState.Active);
        }
      } finally {
        store.close();
      }
    }
  });
});
