// Request Messages the live-server tests send, as TTLV bytes: one batch item each.
import { buildRequestMessage, type ProtocolVersion } from '../../shared/kmip/message/index.js';
import { Enum, Tag } from '../../shared/kmip/registry/index.js';
import { encodeTtlv, item, struct, type TtlvItem } from '../../shared/kmip/ttlv/index.js';

export const V21: ProtocolVersion = { major: 2, minor: 1 };

export function request(operation: number, payload: TtlvItem[], version: ProtocolVersion = V21): Uint8Array {
  return encodeTtlv(buildRequestMessage({ header: { protocolVersion: version }, batchItems: [{ operation, requestPayload: struct(Tag.RequestPayload, payload) }] }));
}

/** Create of an AES-256 key with this Name. */
export const createAes = (name: string, version: ProtocolVersion = V21) =>
  request(Enum.Operation.Create, [
    item(Tag.ObjectType, 'Enumeration', Enum.ObjectType.SymmetricKey),
    struct(Tag.Attributes, [
      item(Tag.CryptographicAlgorithm, 'Enumeration', Enum.CryptographicAlgorithm.AES),
      item(Tag.CryptographicLength, 'Integer', 256),
      struct(Tag.Name, [item(Tag.NameValue, 'TextString', name), item(Tag.NameType, 'Enumeration', Enum.NameType.UninterpretedTextString)]),
    ]),
  ], version);

/** An operation whose payload is just a Unique Identifier (Get, Destroy, Activate…). */
export const byId = (operation: number, id: string, version: ProtocolVersion = V21) => request(operation, [item(Tag.UniqueIdentifier, 'TextString', id)], version);
