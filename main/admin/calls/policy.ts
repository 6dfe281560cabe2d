// The Policy area: DIR/policy.json through the function `keyhold policy set`
// uses (key-policy-file.ts changeKeyPolicy).
import type { KeyPolicyData, policyCalls } from '../../../shared/ipc/calls/policy.js';
import type { KeyPolicy } from '../../policy/key-policy.js';
import { changeKeyPolicy, readKeyPolicy } from '../../server/key-policy-file.js';
import type { AdminDeps, AreaHandlers } from './types.js';
import { dataDirOf, oneLine } from './util.js';

/** A KeyPolicy as plain data (fresh arrays and objects). */
export function policyData(p: KeyPolicy): KeyPolicyData {
  return {
    algorithms: [...p.algorithms],
    allowLegacy: p.allowLegacy,
    defaultSymmetric: p.defaultSymmetric,
    clientsMayCreate: p.clientsMayCreate,
    clientsMayRegister: p.clientsMayRegister,
    allowCreate: [...p.allowCreate],
    allowRegister: [...p.allowRegister],
    requiredAttributes: [...p.requiredAttributes],
    defaultLifetimeDays: p.defaultLifetimeDays,
    lifetimeByClient: Object.fromEntries(Object.entries(p.lifetimeByClient)),
    expiryWarningDays: p.expiryWarningDays,
    softDelete: p.softDelete,
    softDeleteRetentionDays: p.softDeleteRetentionDays,
  };
}
// Fails to compile when KeyPolicy gains a field the contract lacks (or the other way round).
const sameFields: Exclude<keyof KeyPolicy, keyof KeyPolicyData> | Exclude<keyof KeyPolicyData, keyof KeyPolicy> extends never ? true : never = true;
void sameFields;

export function policyHandlers(deps: AdminDeps): AreaHandlers<typeof policyCalls> {
  return {
    'policy.get': async () => policyData(await oneLine(() => readKeyPolicy(dataDirOf(deps)), 'internal')),
    'policy.set': async (patch) => {
      const r = await oneLine(() => changeKeyPolicy(dataDirOf(deps), patch));
      return { policy: policyData(r.policy), changes: r.changes, unknownNames: r.unknownNames };
    },
  };
}
