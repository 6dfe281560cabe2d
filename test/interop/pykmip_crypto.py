"""PyKMIP against Keyhold's cryptographic services (issue 8): sign,
signature_verify, mac and derive_key. The test (test/pykmip-crypto.test.ts)
passes the keys and data; this driver registers them, activates them, runs
the operations and prints one JSON line per step:

    {"step": "...", "ok": true|false, "detail": ...}

with the outputs as hex in "detail", for the test to compare with node:crypto.
Exit status 0 only when every step ran; 2 when PyKMIP cannot be imported.
Run with /usr/bin/python3 (Debian python3-pykmip). KMIP 1.2 (PyKMIP's default)
unless --kmip2.
"""
import argparse
import binascii
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pykmip_common as common  # noqa: E402

kmip = common.load_pykmip(common.STEP_LINES)
enums = kmip.enums
objects = kmip.objects


unhex = binascii.unhexlify


def step(name, fn):
    """Runs fn; emits its result (hex for bytes) or the failure."""
    return common.run_step(kmip, name, fn)


def main():
    ap = argparse.ArgumentParser()
    common.connection_args(ap)
    ap.add_argument("--rsa-private", required=True, help="PKCS#8 DER, hex")
    ap.add_argument("--rsa-public", required=True, help="X.509 SubjectPublicKeyInfo DER, hex")
    ap.add_argument("--signature", required=True, help="a PKCS#1 v1.5 SHA-256 signature of --data by the key, hex")
    ap.add_argument("--hmac-key", required=True, help="hex")
    ap.add_argument("--password", required=True, help="hex")
    ap.add_argument("--salt", required=True, help="hex")
    ap.add_argument("--data", required=True, help="hex")
    ap.add_argument("--kmip2", action="store_true")
    ap.add_argument("--tag", default="", help="appended to the object names (Names are unique on the server)")
    args = ap.parse_args()
    version = enums.KMIPVersion.KMIP_2_0 if args.kmip2 else None
    data = unhex(args.data)
    pkcs1_sha256 = {
        "padding_method": enums.PaddingMethod.PKCS1v15,
        "hashing_algorithm": enums.HashingAlgorithm.SHA_256,
        "cryptographic_algorithm": enums.CryptographicAlgorithm.RSA,
    }
    with common.connected(kmip, args, version) as c:
        priv = step("register private key", lambda: c.register(objects.PrivateKey(
            enums.CryptographicAlgorithm.RSA, 2048, unhex(args.rsa_private), enums.KeyFormatType.PKCS_8,
            masks=[enums.CryptographicUsageMask.SIGN], name="py-sign" + args.tag)))
        pub = step("register public key", lambda: c.register(objects.PublicKey(
            enums.CryptographicAlgorithm.RSA, 2048, unhex(args.rsa_public), enums.KeyFormatType.X_509,
            masks=[enums.CryptographicUsageMask.VERIFY], name="py-verify" + args.tag)))
        hk = step("register hmac key", lambda: c.register(objects.SymmetricKey(
            enums.CryptographicAlgorithm.HMAC_SHA256, len(unhex(args.hmac_key)) * 8, unhex(args.hmac_key),
            masks=[enums.CryptographicUsageMask.MAC_GENERATE, enums.CryptographicUsageMask.MAC_VERIFY], name="py-hmac" + args.tag)))
        pw = step("register password", lambda: c.register(objects.SecretData(
            unhex(args.password), enums.SecretDataType.PASSWORD, masks=[enums.CryptographicUsageMask.DERIVE_KEY], name="py-password" + args.tag)))
        for uid in (priv, pub, hk, pw):
            if uid is not None:
                step("activate " + uid, lambda u=uid: c.activate(u))
        step("sign", lambda: c.sign(data, uid=priv, cryptographic_parameters=pkcs1_sha256))
        step("verify good", lambda: c.signature_verify(data, unhex(args.signature), uid=pub, cryptographic_parameters=pkcs1_sha256))
        step("verify other data", lambda: c.signature_verify(data + b"!", unhex(args.signature), uid=pub, cryptographic_parameters=pkcs1_sha256))
        step("mac", lambda: c.mac(data, uid=hk, algorithm=enums.CryptographicAlgorithm.HMAC_SHA256)[1])
        derived = step("derive_key", lambda: c.derive_key(
            enums.ObjectType.SYMMETRIC_KEY, [pw], enums.DerivationMethod.PBKDF2,
            {"cryptographic_parameters": {"hashing_algorithm": enums.HashingAlgorithm.SHA_256},
             "salt": unhex(args.salt), "iteration_count": 1000},
            cryptographic_algorithm=enums.CryptographicAlgorithm.AES, cryptographic_length=256))
        if derived is not None:
            step("activate derived", lambda: c.activate(derived))
            step("get derived", lambda: c.get(derived).value)
    return common.steps_status()


if __name__ == "__main__":
    sys.exit(main())
