export { StoreError, type StoreErrorCode } from './errors.js';
export { ObjectState, type AttributeFilter, type BatchTransaction, type DestroyOptions, type KeyStore, type ListRetainedOptions, type LocateFilter, type NewObject, type ObjectOrigin, type RetainedObject, type StoredObject } from './types.js';
export { openStore, DB_FILE, type OpenStoreOptions, type SqliteKeyStore } from './sqlite-store.js';
export { MASTER_KEY_FILE } from './master-key.js';
export { SCHEMA_VERSION } from './migrations/index.js';
