// Get (1.4 §4.11, 2.1 §6.1.24): the object, in the requested Key Format Type
// when one is given (Raw ↔ Transparent Symmetric Key for symmetric keys; any
// other conversion is Key Format Type Not Supported), wrapped when the
// request has a Key Wrapping Specification (key-wrapping.ts: AES Key Wrap,
// AES Key Wrap with Padding, RSA-OAEP; MAC/sign). Key compression is not
// supported. Key Wrap Type Not Wrapped is the stored (plain) key, which a
// Key Wrapping Specification then wraps (as the TC-WRAP-3 vectors do); As
// Registered is Key Wrap Type Not Supported: Keyhold unwraps wrapped keys at
// Register and keeps no wrapped form. Serving the material sets Fresh to false
// (2.1 §4.24: "as soon as the object has been served via the Get operation"),
// only once the answer is built, so a failed Get leaves it true.
import { Enum, Tag } from '../../../shared/kmip/registry/index.js';
import { item, type StructureItem } from '../../../shared/kmip/ttlv/index.js';
import type { StoredObject } from '../../store/types.js';
import type { OperationContext, OperationResult } from '../context.js';
import { KmipOperationError } from '../errors.js';
import { inFormat, openMaterial } from '../objects/material.js';
import { assertNotArchived } from './archive.js';
import { hidesKey, parseWrapping, wrapObject, type WrappingRequest } from './key-wrapping.js';
import { booleanAttribute, enumField, managedObjects, onlyKnown } from './managed.js';
import { uniqueIdentifierOrPlaceholder } from './payload.js';

export const operation = Enum.Operation.Get;

const GET_CHECKS = ['ArchiveDate', 'Sensitive', 'Extractable', 'Fresh'] as const;

const flag = (obj: StoredObject, name: string): boolean | undefined => booleanAttribute(obj.attributes, name);

export function handler(payload: StructureItem, ctx: OperationContext): OperationResult {
  onlyKnown(payload, [Tag.UniqueIdentifier, Tag.KeyFormatType, Tag.KeyWrapType, Tag.KeyCompressionType, Tag.KeyWrappingSpecification], 'Get');
  if (payload.value.some((c) => c.tag === Tag.KeyCompressionType)) throw new KmipOperationError('KeyCompressionTypeNotSupported', 'key compression is not supported');
  const specItem = payload.value.find((c) => c.tag === Tag.KeyWrappingSpecification);
  const wrapping: WrappingRequest | undefined = specItem === undefined ? undefined : parseWrapping(specItem, ctx, 'spec');
  const wrapType = enumField(payload, Tag.KeyWrapType);
  if (wrapType === Enum.KeyWrapType.AsRegistered) {
    throw new KmipOperationError('KeyWrapTypeNotSupported', 'Key Wrap Type As Registered is not supported: Keyhold unwraps keys when they are registered and keeps no wrapped form; leave Key Wrap Type out (or Not Wrapped), or give a Key Wrapping Specification');
  }
  if (wrapType !== undefined && wrapType !== Enum.KeyWrapType.NotWrapped) throw new KmipOperationError('InvalidField', `Key Wrap Type 0x${wrapType.toString(16)} is not defined`);
  const objects = managedObjects(ctx);
  const id = uniqueIdentifierOrPlaceholder(payload, ctx);
  // Reads need no transaction (one connection, one thread, no await in between);
  // only the Fresh flip writes, after the answer has been built.
  // Only the attributes Get decides on: reading and decoding all of them was most of a Get's time.
  const obj = objects.get(id, GET_CHECKS);
  assertNotArchived(obj, 'Get');
  // A Sensitive object's value leaves only encrypted by another key (2.1 §4.55); a non-Extractable one never (§4.23).
  if (flag(obj, 'Sensitive') === true && (wrapping === undefined || !hidesKey(wrapping))) {
    throw new KmipOperationError('Sensitive', `object '${id}' is Sensitive; its value is served only wrapped (a Key Wrapping Specification whose Wrapping Method encrypts)`);
  }
  if (flag(obj, 'Extractable') === false) throw new KmipOperationError('NotExtractable', `object '${id}' is not Extractable; its value is not served`);
  // GKLM-style backup rule: material no verified backup holds yet is not served (Permission Denied: the
  // server's policy refuses this request now; it is served after the next backup). Destroyed objects
  // answer as destroyed below whatever their backup state.
  if (obj.hasMaterial && ctx.notBackedUp?.(obj) === true) {
    throw new KmipOperationError('PermissionDenied', `object '${id}' is not yet in a verified backup; it is served after the next backup`);
  }
  const bytes = objects.material(id);
  if (bytes === null) {
    throw new KmipOperationError('ObjectDestroyed', `object '${id}' has no key material (destroyed)`);
  }
  const stored = openMaterial(bytes);
  const format = enumField(payload, Tag.KeyFormatType);
  const hasBlock = stored.value.some((c) => c.tag === Tag.KeyBlock);
  if (!hasBlock && format !== undefined) throw new KmipOperationError('KeyFormatTypeNotSupported', 'this object has no Key Block to convert');
  const plain = hasBlock ? inFormat(stored, format) : stored;
  const out = wrapping === undefined ? plain : wrapObject(ctx, plain, obj, wrapping);
  // Only a Fresh true is flipped: an object stored before Fresh was set everywhere gets no new attribute from a Get.
  if (flag(obj, 'Fresh') === true) objects.set(id, 'Fresh', { type: 'Boolean', value: false });
  return { payload: [item(Tag.ObjectType, 'Enumeration', obj.objectType), item(Tag.UniqueIdentifier, 'TextString', id), out] };
}
