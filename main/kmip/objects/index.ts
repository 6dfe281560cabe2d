// The ObjectsPort a server passes to processRequest: the object types the key
// operations handle, over its KeyStore.
import { Enum } from '../../../shared/kmip/registry/index.js';
import type { KeyStore } from '../../store/index.js';
import type { ObjectsPort } from '../context.js';
import { StoreObjects } from './store-objects.js';

export { StoreObjects } from './store-objects.js';

/** Object Types that Create / Create Key Pair / Register / Get handle (Query Objects lists exactly these). */
export const MANAGED_OBJECT_TYPES: readonly number[] = [
  Enum.ObjectType.Certificate,
  Enum.ObjectType.SymmetricKey,
  Enum.ObjectType.PublicKey,
  Enum.ObjectType.PrivateKey,
  Enum.ObjectType.SecretData,
  Enum.ObjectType.OpaqueObject,
];

export function storeObjectsPort(store: KeyStore): ObjectsPort {
  return { objectTypes: MANAGED_OBJECT_TYPES, managed: new StoreObjects(store) };
}
