// The typed KMIP message model (KMIP 1.0–2.1, spec 1.4 §6–7, 2.1 §8–9).
//
// Headers and batch items are fully typed; operation payloads and vendor
// extensions stay raw Structure items (operation-specific payloads are parsed
// elsewhere). Enumerations are numbers (the registry names them), Date-Time
// values are bigint seconds, Byte Strings Uint8Array, exactly as in TtlvItem,
// so that parse → build gives back the input tree.
import type { StructureItem, TtlvItem } from '../ttlv/types.js';

export interface ProtocolVersion {
  major: number;
  minor: number;
}

export interface Nonce {
  nonceId: Uint8Array;
  nonceValue: Uint8Array;
}

export interface Ticket {
  /** Ticket Type enumeration. */
  ticketType: number;
  ticketValue: Uint8Array;
}

/** A Credential (1.4 §2.1.2, 2.1 §9.11). `type` is the Credential Type's normalized name. */
export type Credential =
  | { type: 'UsernameAndPassword'; username: string; password?: string }
  | {
      type: 'Device';
      deviceSerialNumber?: string;
      password?: string;
      deviceIdentifier?: string;
      networkIdentifier?: string;
      machineIdentifier?: string;
      mediaIdentifier?: string;
    }
  | {
      type: 'Attestation';
      nonce: Nonce;
      /** Attestation Type enumeration. */
      attestationType: number;
      attestationMeasurement?: Uint8Array;
      attestationAssertion?: Uint8Array;
    }
  /** KMIP 2.0+. */
  | { type: 'OneTimePassword'; username: string; password?: string; oneTimePassword: string }
  /** KMIP 2.0+. `timestamp` is a Date Time Extended (microseconds). */
  | { type: 'HashedPassword'; username: string; timestamp: bigint; hashingAlgorithm?: number; hashedPassword: Uint8Array }
  /** KMIP 2.0+. */
  | { type: 'Ticket'; ticket: Ticket }
  /** Any other Credential Type (extensions, or a type this layer does not model): kept raw. */
  | { type: 'Other'; credentialType: number; credentialValue: TtlvItem };

export type CredentialTypeName = Credential['type'];

export interface Authentication {
  /** One or more. */
  credentials: Credential[];
}

export interface MessageExtension {
  vendorIdentification: string;
  criticalityIndicator: boolean;
  /** Raw Vendor Extension structure. */
  vendorExtension: StructureItem;
}

export interface RequestHeader {
  protocolVersion: ProtocolVersion;
  maximumResponseSize?: number;
  /** KMIP 1.4+. */
  clientCorrelationValue?: string;
  /** KMIP 1.4+. */
  serverCorrelationValue?: string;
  /**
   * KMIP 1.x: Boolean. KMIP 2.x: Asynchronous Indicator enumeration
   * (Mandatory / Optional / Prohibited) as a number.
   */
  asynchronousIndicator?: boolean | number;
  /** KMIP 1.2+. */
  attestationCapableIndicator?: boolean;
  /** KMIP 1.2+. Attestation Type enumerations; omitted when none. */
  attestationTypes?: number[];
  authentication?: Authentication;
  /** Batch Error Continuation Option enumeration. */
  batchErrorContinuationOption?: number;
  batchOrderOption?: boolean;
  /** Date-Time, seconds since the epoch. */
  timeStamp?: bigint;
  /** As read from the message (always equal to the batch item count after parsing). Ignored when building. */
  batchCount: number;
}

export interface ResponseHeader {
  protocolVersion: ProtocolVersion;
  /** Date-Time, seconds since the epoch. Required. */
  timeStamp: bigint;
  /** KMIP 1.2+. */
  nonce?: Nonce;
  /** KMIP 2.0+ (spec 2.1 Table 398). */
  serverHashedPassword?: Uint8Array;
  /** KMIP 1.2+. */
  attestationTypes?: number[];
  /** KMIP 1.4+. */
  clientCorrelationValue?: string;
  /** KMIP 1.4+. */
  serverCorrelationValue?: string;
  /** As read from the message. Ignored when building. */
  batchCount: number;
}

export interface RequestBatchItem {
  /** Operation enumeration. */
  operation: number;
  /** KMIP 2.0+. */
  ephemeral?: boolean;
  uniqueBatchItemId?: Uint8Array;
  /** Raw Request Payload structure (its tag is forced to Request Payload when building). */
  requestPayload: StructureItem;
  /** At most one in KMIP 1.x; may be repeated in 2.x requests. */
  messageExtensions?: MessageExtension[];
}

export interface ResponseBatchItem {
  /** Operation enumeration; REQUIRED if it was in the request. */
  operation?: number;
  uniqueBatchItemId?: Uint8Array;
  /** Result Status enumeration. */
  resultStatus: number;
  /** Result Reason enumeration. */
  resultReason?: number;
  resultMessage?: string;
  asynchronousCorrelationValue?: Uint8Array;
  /** Raw Response Payload structure (its tag is forced to Response Payload when building). */
  responsePayload?: StructureItem;
  /** At most one. */
  messageExtensions?: MessageExtension[];
}

export interface RequestMessage {
  header: RequestHeader;
  batchItems: RequestBatchItem[];
}

export interface ResponseMessage {
  header: ResponseHeader;
  batchItems: ResponseBatchItem[];
}

/** What build* accepts: the batch count is always computed from the batch items. */
export type RequestHeaderInput = Omit<RequestHeader, 'batchCount'> & { batchCount?: number };
export type ResponseHeaderInput = Omit<ResponseHeader, 'batchCount'> & { batchCount?: number };
export interface RequestMessageInput {
  header: RequestHeaderInput;
  batchItems: RequestBatchItem[];
}
export interface ResponseMessageInput {
  header: ResponseHeaderInput;
  batchItems: ResponseBatchItem[];
}
