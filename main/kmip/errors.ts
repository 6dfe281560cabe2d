// The one error type an operation handler throws to fail its batch item with
// a chosen Result Reason. Anything else a handler throws is an internal fault
// and becomes General Failure with a generic message (pipeline.ts), so that no
// stack trace, path or key material reaches a client.
import { Enum, enumeration, type KmipVersion } from '../../shared/kmip/registry/index.js';

export type ResultReasonName = keyof typeof Enum.ResultReason;

export class KmipOperationError extends Error {
  override readonly name = 'KmipOperationError';
  constructor(
    readonly resultReason: ResultReasonName,
    /** Readable Result Message sent to the client: say what is wrong, never echo secrets. */
    message: string,
  ) {
    super(message);
  }
}

/**
 * Where a reason does not exist in the response's version (most 2.x reasons in
 * a 1.x answer), the closest 1.x reason; General Failure otherwise.
 */
const FALLBACK: Partial<Record<ResultReasonName, ResultReasonName>> = {
  UnsupportedProtocolVersion: 'InvalidMessage',
  InvalidAttribute: 'InvalidField',
  InvalidAttributeValue: 'InvalidField',
  UnsupportedAttribute: 'InvalidField',
  UnknownEnumeration: 'InvalidField',
  UnknownTag: 'InvalidField',
  InvalidDataType: 'InvalidField',
  ObjectNotFound: 'ItemNotFound',
  NonUniqueNameAttribute: 'InvalidField',
  Sensitive: 'PermissionDenied',
  NotExtractable: 'PermissionDenied',
  ObjectDestroyed: 'ItemNotFound',
  AttributeNotFound: 'ItemNotFound',
  AttributeInstanceNotFound: 'ItemNotFound',
  NotAuthorised: 'PermissionDenied',
  UnknownMessageExtension: 'FeatureNotSupported',
  WrongKeyLifecycleState: 'IllegalOperation',
  AttributeReadOnly: 'PermissionDenied',
  ReadOnlyAttribute: 'PermissionDenied',
  // Cryptographic services: 1.4 §11.30–11.35 have "not able to be used for
  // encryption / signing …" → Permission Denied, "No outstanding operation with
  // the specified Correlation Value" → Item Not Found; parameter faults → Invalid Field.
  IncompatibleCryptographicUsageMask: 'PermissionDenied',
  InvalidObjectType: 'PermissionDenied',
  UsageLimitExceeded: 'PermissionDenied',
  InvalidCorrelationValue: 'ItemNotFound',
  BadCryptographicParameters: 'InvalidField',
  UnsupportedCryptographicParameters: 'InvalidField',
  MissingInitializationVector: 'InvalidMessage',
  // Key wrapping (1.4 §11.12: "Wrapping key does not exist" → Item Not Found; "Key Wrap Type is not supported" → Not Supported).
  KeyWrapTypeNotSupported: 'FeatureNotSupported',
  WrappingObjectNotFound: 'ItemNotFound',
  WrappingObjectArchived: 'ObjectArchived',
  WrappingObjectDestroyed: 'ItemNotFound',
};

/** The Result Reason enumeration value to send for `name` in `version`. */
export function resultReasonValue(name: ResultReasonName, version: KmipVersion): number {
  const def = enumeration('ResultReason');
  let n: ResultReasonName | undefined = name;
  for (let hops = 0; n !== undefined && hops < 4; hops++) {
    const v = def?.values.find((x) => x.name === n);
    if (v === undefined || v.versions.includes(version)) return Enum.ResultReason[n];
    n = FALLBACK[n];
  }
  // General Failure exists in every version.
  return Enum.ResultReason.GeneralFailure;
}
