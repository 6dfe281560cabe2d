// KMIP XML encoding (KMIP Additional Message Encodings v1.0 §6) ↔ TtlvItem.
export { parseKmipXml, parseKmipXmlElement, KMIP_XML_NAMESPACE, XML_WRAPPER_ELEMENTS, type XmlDecodeOptions } from './decode.js';
export { toKmipXml, toKmipXmlDocument, type XmlEncodeOptions, type XmlDocumentOptions } from './encode.js';
export { KmipTextError, type KmipTextErrorCode } from '../text/errors.js';
