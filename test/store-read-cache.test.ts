// The store's read cache (main/store/read-cache.ts): reads outside a
// transaction are answered from it until any row changes, and what it
// answers is always what the database holds. Every write path the KMIP
// operations use is tried, inside and outside transactions, committed and
// rolled back.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { ObjectState, openStore, type SqliteKeyStore } from '../main/store/index.js';
import { ReadCache } from '../main/store/read-cache.js';
import type { StoredObject } from '../main/store/types.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function fresh(): SqliteKeyStore {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-read-cache-'));
  dirs.push(dir);
  return openStore(dir);
}

const READ = ['CryptographicUsageMask', 'Name'] as const;
const mask = (o: StoredObject) => o.attributes.find((a) => a.name === 'CryptographicUsageMask')?.value.value;

describe('store read cache', () => {
  let store: SqliteKeyStore;
  let id: string;
  let material: Buffer;
  beforeEach(() => {
    store = fresh();
    material = randomBytes(48);
    id = store.createObject({
      objectType: 2,
      state: ObjectState.Active,
      attributes: [{ name: 'CryptographicUsageMask', value: { type: 'Integer', value: 12 } }],
      material,
    });
  });

  it('answers a second read of an object and its material from the cache, with equal values', () => {
    const first = store.getObject(id, READ);
    const m1 = store.getMaterial(id)!;
    const before = store.readCacheStats;
    const second = store.getObject(id, READ);
    const m2 = store.getMaterial(id)!;
    const stats = store.readCacheStats;
    assert.equal(stats.hits - before.hits, 2, 'both reads were hits');
    assert.deepEqual(second, first);
    assert.deepEqual(Buffer.from(m2), material);
    assert.deepEqual(Buffer.from(m1), material);
  });

  it('hands out copies: wiping returned material or editing a returned object changes nothing kept', () => {
    store.getMaterial(id)!.fill(0);
    const again = store.getMaterial(id)!;
    assert.deepEqual(Buffer.from(again), material);
    again.fill(0);
    assert.deepEqual(Buffer.from(store.getMaterial(id)!), material);

    const o = store.getObject(id, READ);
    o.attributes.push({ name: 'Name', index: 0, value: { type: 'TextString', value: 'x' } });
    o.state = ObjectState.Destroyed;
    const o2 = store.getObject(id, READ);
    assert.equal(o2.attributes.length, 1);
    assert.equal(o2.state, ObjectState.Active);
    // Attribute values are shared and frozen: an edit fails loudly instead of changing the cache.
    assert.throws(() => {
      (o2.attributes[0]!.value as { value: unknown }).value = 0;
    }, TypeError);
  });

  it('sees every change made outside a transaction at once', () => {
    store.getObject(id, READ);
    store.getMaterial(id);
    store.setAttribute(id, 'CryptographicUsageMask', { type: 'Integer', value: 4 });
    assert.equal(mask(store.getObject(id, READ)), 4);
    store.modifyAttribute(id, 'CryptographicUsageMask', { type: 'Integer', value: 8 }, 0);
    assert.equal(mask(store.getObject(id, READ)), 8);
    store.addAttribute(id, 'Name', { type: 'Structure', value: [] } as never);
    assert.equal(store.getObject(id, READ).attributes.length, 2);
    store.deleteAttribute(id, 'Name');
    assert.equal(store.getObject(id, READ).attributes.length, 1);
    store.setState(id, ObjectState.Deactivated);
    assert.equal(store.getObject(id, READ).state, ObjectState.Deactivated);
    const replaced = randomBytes(48);
    store.setMaterial(id, replaced);
    assert.deepEqual(Buffer.from(store.getMaterial(id)!), replaced);
    store.destroy(id);
    assert.equal(store.getMaterial(id), null);
    assert.equal(store.getObject(id, READ).hasMaterial, false);
  });

  it('drops cached material at the commit that destroys it, without waiting for the next read; keeps no material over 16 KiB', () => {
    store.getMaterial(id);
    assert.equal(store.readCacheStats.material, 1);
    store.destroy(id);
    assert.equal(store.readCacheStats.material, 0);
    const big = store.createObject({ objectType: 7, state: ObjectState.Active, material: randomBytes(20 * 1024) });
    store.getMaterial(big);
    store.getMaterial(big);
    assert.equal(store.readCacheStats.material, 0);
  });

  it('sees a change made through the raw connection (counted by total_changes())', () => {
    assert.equal(store.getObject(id, READ).state, ObjectState.Active);
    store.connection.prepare('UPDATE objects SET state = ? WHERE uid = ?').run(ObjectState.Compromised, id);
    assert.equal(store.getObject(id, READ).state, ObjectState.Compromised);
  });

  it('inside a transaction reads its own uncommitted writes, and after a rollback the committed state', () => {
    store.getObject(id, READ);
    store.transaction(() => {
      store.setState(id, ObjectState.Deactivated);
      assert.equal(store.getObject(id, READ).state, ObjectState.Deactivated);
    });
    assert.equal(store.getObject(id, READ).state, ObjectState.Deactivated);

    assert.throws(() =>
      store.transaction(() => {
        store.setState(id, ObjectState.Compromised);
        assert.equal(store.getObject(id, READ).state, ObjectState.Compromised);
        throw new Error('roll back');
      }),
    );
    assert.equal(store.getObject(id, READ).state, ObjectState.Deactivated);
  });

  it('an Undo batch: uncommitted rows are read inside it, never cached, and gone after its rollback', () => {
    assert.equal(mask(store.getObject(id, READ)), 12);
    const batch = store.beginBatch();
    store.setAttribute(id, 'CryptographicUsageMask', { type: 'Integer', value: 1 });
    assert.equal(mask(store.getObject(id, READ)), 1);
    store.destroy(id);
    assert.equal(store.getMaterial(id), null);
    batch.rollback();
    assert.equal(mask(store.getObject(id, READ)), 12);
    assert.deepEqual(Buffer.from(store.getMaterial(id)!), material);
  });

  it('keeps the material across a master key rotation (the plaintext is the same, the sealed rows are new)', async () => {
    store.getMaterial(id);
    const { createSecretKey } = await import('node:crypto');
    store.rotateMaterial(createSecretKey(randomBytes(32)));
    assert.deepEqual(Buffer.from(store.getMaterial(id)!), material);
  });

  it('keeps distinct attribute sets apart, and nothing after close', () => {
    const narrow = store.getObject(id, ['Name']);
    const all = store.getObject(id);
    assert.equal(narrow.attributes.length, 0);
    assert.equal(all.attributes.length, 1);
    store.close();
    assert.deepEqual({ objects: store.readCacheStats.objects, material: store.readCacheStats.material }, { objects: 0, material: 0 });
  });
});

describe('ReadCache', () => {
  const obj = (state: number): StoredObject => ({ id: 'x', objectType: 2, state, owner: null, createdAt: 0, modifiedAt: 0, attributes: [], hasMaterial: true, sharedWith: [] });

  it('drops everything when the stamp moves', () => {
    const c = new ReadCache(8);
    c.sync(1);
    c.putObject('a', obj(1));
    c.putMaterial('a', Uint8Array.of(1, 2, 3));
    c.sync(1);
    assert.equal(c.object('a')?.state, 1);
    assert.deepEqual(c.material('a'), Uint8Array.of(1, 2, 3));
    c.sync(2);
    assert.equal(c.object('a'), undefined);
    assert.equal(c.material('a'), undefined);
  });

  it('caches "no material" as null, apart from "not cached"', () => {
    const c = new ReadCache(8);
    c.putMaterial('gone', null);
    assert.equal(c.material('gone'), null);
    assert.equal(c.material('other'), undefined);
  });

  it('holds at most its limit, dropping the least recently used first', () => {
    const c = new ReadCache(2);
    c.putMaterial('a', Uint8Array.of(1));
    c.putMaterial('b', Uint8Array.of(2));
    c.material('a'); // a is now the most recently used
    c.putMaterial('c', Uint8Array.of(3));
    assert.equal(c.material('b'), undefined);
    assert.deepEqual(c.material('a'), Uint8Array.of(1));
    assert.deepEqual(c.material('c'), Uint8Array.of(3));
    for (let i = 0; i < 10; i++) c.putObject(`o${i}`, obj(i));
    assert.equal(c.stats.objects, 2);
    assert.equal(c.object('o9')?.state, 9);
    assert.equal(c.object('o0'), undefined);
  });

  it('keeps its own copy of what it is given', () => {
    const c = new ReadCache(8);
    const m = Uint8Array.of(7, 7, 7);
    c.putMaterial('k', m);
    m.fill(0);
    assert.deepEqual(c.material('k'), Uint8Array.of(7, 7, 7));
  });
});
