#!/usr/bin/python3
"""PyKMIP driver for the key wrapping test (test/key-wrapping-tls.test.ts).

Creates an AES-256 key encryption key with the Wrap Key / Unwrap Key usage
mask and activates it, creates an AES-256 data key, and gets the data key
three ways with PyKMIP's ProxyKmipClient.get: plain, wrapped with NIST Key
Wrap (RFC 3394) and No Encoding, and wrapped with AES Key Wrap with Padding
(RFC 5649). The wrapped bytes are unwrapped here with python3-cryptography's
aes_key_unwrap / aes_key_unwrap_with_padding under the KEK (fetched with a
plain Get) and must equal the plain key. Prints one JSON object:
{"plain", "kw", "kwp" (hex), "kw_unwrapped", "kwp_unwrapped" (hex),
"wrapping_data" (the Key Wrapping Data as PyKMIP read it)}, or {"error"}.

PyKMIP 0.10's KeyValue decoder reads only a Key Value structure: its own
server puts the wrapped bytes into the Key Material, while KMIP 1.4 §2.1.3 /
2.1 §3.2 (and the OASIS AX-M-2 and TC-141 vectors) send a wrapped Key Value
as a Byte String. This driver teaches KeyValue.read that form (a Byte String
Key Value becomes Key Material holding the wrapped bytes) and changes
nothing else of PyKMIP.
"""
import argparse
import binascii
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pykmip_common as common  # noqa: E402

kmip = common.load_pykmip(common.ONE_OBJECT)
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap, aes_key_unwrap_with_padding  # noqa: E402
from kmip.core import enums as core_enums  # noqa: E402
from kmip.core import objects as core_objects  # noqa: E402
from kmip.core import primitives  # noqa: E402

VERSIONS = {"1.2": kmip.enums.KMIPVersion.KMIP_1_2, "2.0": kmip.enums.KMIPVersion.KMIP_2_0}
E = kmip.enums

_read = core_objects.KeyValue.read


def _read_key_value(self, istream, kmip_version=core_enums.KMIPVersion.KMIP_1_0):
    # The item type byte follows the 3-byte tag: 0x08 is Byte String.
    head = istream.peek(8)
    if len(head) >= 4 and head[3] == 0x08:
        raw = primitives.ByteString(tag=core_enums.Tags.KEY_VALUE)
        raw.read(istream, kmip_version=kmip_version)
        self.key_material = core_objects.KeyMaterial(raw.value)
        self.attributes = []
        return
    _read(self, istream, kmip_version=kmip_version)


core_objects.KeyValue.read = _read_key_value


def run(client, tag):
    kek = client.create(E.CryptographicAlgorithm.AES, 256, name="pykmip-wrap-kek-" + tag,
                        cryptographic_usage_mask=[E.CryptographicUsageMask.WRAP_KEY, E.CryptographicUsageMask.UNWRAP_KEY])
    client.activate(kek)
    dek = client.create(E.CryptographicAlgorithm.AES, 256, name="pykmip-wrap-dek-" + tag)
    plain = client.get(dek).value
    kek_bytes = client.get(kek).value

    def wrapped(mode):
        return client.get(dek, key_wrapping_specification={
            "wrapping_method": E.WrappingMethod.ENCRYPT,
            "encryption_key_information": {"unique_identifier": kek, "cryptographic_parameters": {"block_cipher_mode": mode}},
            "encoding_option": E.EncodingOption.NO_ENCODING,
        })

    kw = wrapped(E.BlockCipherMode.NIST_KEY_WRAP)
    kwp = wrapped(E.BlockCipherMode.AES_KEY_WRAP_PADDING)
    h = lambda b: binascii.hexlify(b).decode()  # noqa: E731
    return {
        "plain": h(plain),
        "kw": h(kw.value),
        "kwp": h(kwp.value),
        "kw_unwrapped": h(aes_key_unwrap(kek_bytes, kw.value)),
        "kwp_unwrapped": h(aes_key_unwrap_with_padding(kek_bytes, kwp.value)),
        "wrapping_data": {
            "wrapping_method": str(kw.key_wrapping_data.get("wrapping_method")),
            "unique_identifier": kw.key_wrapping_data["encryption_key_information"]["unique_identifier"],
            "block_cipher_mode": str(kw.key_wrapping_data["encryption_key_information"]["cryptographic_parameters"]["block_cipher_mode"]),
            "encoding_option": str(kw.key_wrapping_data.get("encoding_option")),
        },
        "kek": kek,
    }


def main():
    ap = argparse.ArgumentParser()
    common.connection_args(ap)
    ap.add_argument("--kmip-version", choices=sorted(VERSIONS), default="1.2")
    args = ap.parse_args()
    return common.run_once(kmip, args, lambda client: run(client, args.kmip_version), VERSIONS[args.kmip_version])


if __name__ == "__main__":
    sys.exit(main())
