// KMIP request processing, independent of transport and storage.
export { processRequest, isClose, type ProcessResult, type CloseConnection, type ServerContext } from './pipeline.js';
export { Router, createRouter, OPERATION_MODULES } from './router.js';
export { KmipOperationError, resultReasonValue, type ResultReasonName } from './errors.js';
export type { Clock, ManagedObjects, ObjectsPort, OperationContext, OperationHandler, OperationModule, OperationResult, ServerInfo } from './context.js';
export { SUPPORTED_VERSIONS } from './versions.js';
export { uniqueIdentifierOrPlaceholder } from './operations/payload.js';
export { MANAGED_OBJECT_TYPES, StoreObjects, storeObjectsPort } from './objects/index.js';
