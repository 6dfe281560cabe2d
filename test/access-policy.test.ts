// The access model as data and pure decisions (main/access): the operation
// table covers every KMIP operation, grants parse and print both ways, bad
// permission strings are refused with a message, and each decision follows
// the scope rules (own / shared / all, Object Type restrictions, unowned
// objects only for scope all, server-wide operations only for scope all).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Enum, enumeration } from '../shared/kmip/registry/index.js';
import { OPERATION_GROUPS, operationGroup, PERMISSION_GROUPS } from '../main/access/operation-groups.js';
import { ALL_GRANTS, DEFAULT_GRANTS, formatGrants, mayCreate, mayRun, mayTouch, parseGrants, reachableOwners, type Principal } from '../main/access/policy.js';

const Op = Enum.Operation;
const T = Enum.ObjectType;
const who = (grants: string, sharesWith: string[] = []): Principal => ({ name: 'alice', grants: parseGrants(grants), sharesWith });

describe('operation groups', () => {
  it('name a group for every operation any KMIP version defines', () => {
    const ops = enumeration('Operation')!.values;
    assert.ok(ops.length >= 50, `${ops.length} operations`);
    for (const v of ops) {
      const g = operationGroup(v.value);
      assert.ok(g !== undefined, `operation ${v.name}`);
      assert.ok((PERMISSION_GROUPS as readonly string[]).includes(g.group), v.name);
    }
    assert.equal(Object.keys(OPERATION_GROUPS).length, new Set(ops.map((v) => v.value)).size);
  });

  it('follow the issue: create, get, use, modify, lifecycle, query', () => {
    const expect: [number, string][] = [
      [Op.Create, 'create'], [Op.CreateKeyPair, 'create'], [Op.Register, 'create'], [Op.ReKey, 'create'],
      [Op.Get, 'get'], [Op.GetAttributes, 'get'], [Op.GetAttributeList, 'get'], [Op.Locate, 'get'], [Op.Check, 'get'],
      [Op.Encrypt, 'use'], [Op.Decrypt, 'use'], [Op.Sign, 'use'], [Op.SignatureVerify, 'use'], [Op.MAC, 'use'],
      [Op.AddAttribute, 'modify'], [Op.ModifyAttribute, 'modify'], [Op.DeleteAttribute, 'modify'], [Op.SetAttribute, 'modify'],
      [Op.Activate, 'activate'], [Op.Revoke, 'revoke'], [Op.Destroy, 'destroy'],
      [Op.Query, 'query'], [Op.DiscoverVersions, 'query'],
    ];
    for (const [op, group] of expect) assert.equal(operationGroup(op)?.group, group, String(op));
  });
});

describe('grants as text', () => {
  it('round-trip through parseGrants and formatGrants', () => {
    for (const text of ['query:all,get:own,use:own', 'create:shared:SymmetricKey+SecretData,destroy:all', 'none']) {
      assert.equal(formatGrants(parseGrants(text)), text);
    }
    assert.equal(formatGrants(DEFAULT_GRANTS), 'query:all,get:own,use:own');
    assert.deepEqual(parseGrants('all'), ALL_GRANTS);
    // Scope defaults to own; query is always all (it touches no object).
    assert.deepEqual(parseGrants('get,query:own'), [{ group: 'get', scope: 'own' }, { group: 'query', scope: 'all' }]);
  });

  // Numbered bad inputs: each refused with a message naming what is wrong.
  const bad: [string, RegExp][] = [
    ['fetch', /unknown group "fetch"/],
    ['get:everything', /unknown scope "everything"/],
    ['get:own:Key', /unknown Object Type "Key"/],
    ['get:own:SymmetricKey:extra', /expected group\[:scope\]/],
    ['get,get:all', /given twice/],
    ['get,,use', /unknown group ""/],
    ['ALL', /unknown group "ALL"/],
  ];
  bad.forEach(([text, re], i) => {
    it(`P${String(i + 1).padStart(2, '0')} refuses "${text}"`, () => assert.throws(() => parseGrants(text), re));
  });
});

describe('decisions', () => {
  it('deny by default: the default grants run Query and Discover Versions, Get, not Create or Destroy', () => {
    const p: Principal = { name: 'new', grants: DEFAULT_GRANTS, sharesWith: [] };
    assert.equal(mayRun(p, Op.Query).allow, true);
    assert.equal(mayRun(p, Op.DiscoverVersions).allow, true);
    assert.equal(mayRun(p, Op.Get).allow, true);
    const c = mayRun(p, Op.Create);
    assert.equal(c.allow, false);
    assert.match(!c.allow ? c.message : '', /client "new" has no create permission \(needed for Create\)/);
    assert.equal(mayRun({ ...p, grants: [] }, Op.Query).allow, false);
    // Protocol negotiation needs no grant.
    assert.equal(mayRun({ ...p, grants: [] }, Op.DiscoverVersions).allow, true);
    assert.equal(mayRun(p, Op.Destroy).allow, false);
    assert.equal(mayRun(p, 0x7fff_0000).allow, false);
  });

  it('server-wide operations need scope all', () => {
    assert.equal(mayRun(who('modify:own'), Op.SetDefaults).allow, false);
    assert.equal(mayRun(who('modify:all'), Op.SetDefaults).allow, true);
    assert.equal(mayRun(who('modify:own'), Op.AddAttribute).allow, true);
  });

  it('own, shared and all reach the right owners; unowned objects only with all', () => {
    const key = (owner: string | null, objectType: number = T.SymmetricKey) => ({ owner, objectType });
    const own = who('get:own');
    const shared = who('get:shared', ['alice', 'bob']);
    const all = who('get:all');
    const g = (p: Principal) => p.grants[0]!;
    assert.equal(mayTouch(own, g(own), key('alice')), true);
    assert.equal(mayTouch(own, g(own), key('bob')), false);
    assert.equal(mayTouch(own, g(own), key(null)), false);
    assert.equal(mayTouch(shared, g(shared), key('bob')), true);
    assert.equal(mayTouch(shared, g(shared), key('carol')), false);
    assert.equal(mayTouch(all, g(all), key('carol')), true);
    assert.equal(mayTouch(all, g(all), key(null)), true);
    assert.deepEqual(reachableOwners(own, g(own)), ['alice']);
    assert.deepEqual(reachableOwners(shared, g(shared)), ['alice', 'bob']);
    assert.equal(reachableOwners(all, g(all)), undefined);
  });

  it('objects the operator shared reach a shared grant through the client or one of its groups, never an own grant', () => {
    const shared = { ...who('get:shared'), groups: ['ops'] };
    const own = { ...who('get:own'), groups: ['ops'] };
    const obj = (sharedWith: string[]) => ({ owner: 'zed', objectType: T.SymmetricKey, sharedWith });
    assert.equal(mayTouch(shared, shared.grants[0]!, obj([])), false);
    assert.equal(mayTouch(shared, shared.grants[0]!, obj(['client:alice'])), true);
    assert.equal(mayTouch(shared, shared.grants[0]!, obj(['group:ops'])), true);
    assert.equal(mayTouch(shared, shared.grants[0]!, obj(['group:dev', 'client:bob'])), false);
    assert.equal(mayTouch(own, own.grants[0]!, obj(['client:alice', 'group:ops'])), false);
  });

  it('Object Type restrictions apply to reaching and creating', () => {
    const p = who('create:own:SymmetricKey,get:all:SecretData');
    const [create, get] = p.grants;
    assert.equal(mayCreate(create!, T.SymmetricKey), true);
    assert.equal(mayCreate(create!, T.PrivateKey), false);
    assert.equal(mayTouch(p, get!, { owner: 'x', objectType: T.SecretData }), true);
    assert.equal(mayTouch(p, get!, { owner: 'x', objectType: T.SymmetricKey }), false);
  });
});
