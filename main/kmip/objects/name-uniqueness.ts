// Names SHALL be unique within a key management server (1.4 §3.2, 2.1 §4.35):
// no two live objects share a Name Value, and one object does not carry the
// same Name twice. A clash answers Non Unique Name Attribute (2.x; 1.x, which
// has no such reason, gets Invalid Field through errors.ts).
//
// The check runs when the outermost transaction of an operation ends, not at
// each write: Re-key creates the replacement key with the old key's Names
// and only then removes them from the old key, which is fine as long as the
// end state is unique.
import type { Attribute, AttributeValue } from '../../../shared/kmip/message/index.js';
import { Tag } from '../../../shared/kmip/registry/index.js';
import { ObjectState, type KeyStore } from '../../store/index.js';
import { KmipOperationError } from '../errors.js';

/** Objects whose names count: everything not destroyed (a destroyed object's Name may be reused). */
const LIVE = [ObjectState.PreActive, ObjectState.Active, ObjectState.Deactivated, ObjectState.Compromised];

/** The Name Value of a Name attribute value, undefined for anything else. */
export function nameValue(name: Attribute['name'], value: AttributeValue): string | undefined {
  if (name !== 'Name' || value.type !== 'Structure') return undefined;
  const v = value.value.find((c) => c.tag === Tag.NameValue);
  return v?.type === 'TextString' ? v.value : undefined;
}

/** Fails when `name` is carried by more than one live object, or twice by one. */
export function assertUniqueName(store: KeyStore, name: string): void {
  const holders = store.locate({ state: LIVE, attributes: [{ name: 'Name', text: name }], maxItems: 2 });
  const clash = holders.length > 1 || (holders.length === 1 && store.getAttributes(holders[0]!, ['Name']).filter((a) => nameValue('Name', a.value) === name).length > 1);
  if (clash) throw new KmipOperationError('NonUniqueNameAttribute', `the Name '${name}' is already in use; Names must be unique on this server`);
}
