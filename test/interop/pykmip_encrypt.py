"""PyKMIP against Keyhold's Encrypt and Decrypt (issue 8). The test
(test/pykmip-encrypt.test.ts) passes the keys and data; this driver registers
them, activates them, runs the operations and prints one JSON line per step:

    {"step": "...", "ok": true|false, "detail": ...}

with outputs as hex in "detail" (an Encrypt that returns an IV as
"<data hex>/<iv hex>"), for the test to compare with node:crypto.
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


def show(r):
    """An Encrypt's (data, IV) as "<data hex>/<iv hex>", anything else as common.as_hex does."""
    if isinstance(r, tuple):
        data, iv = r
        return data.hex() + "/" + (iv.hex() if iv else "")
    return common.as_hex(r)


def step(name, fn):
    """Runs fn; emits its result or the failure."""
    return common.run_step(kmip, name, fn, show)


def main():
    ap = argparse.ArgumentParser()
    common.connection_args(ap)
    ap.add_argument("--aes-key", required=True, help="256-bit AES key, hex")
    ap.add_argument("--rsa-private", required=True, help="PKCS#8 DER, hex")
    ap.add_argument("--rsa-public", required=True, help="X.509 SubjectPublicKeyInfo DER, hex")
    ap.add_argument("--data", required=True, help="hex")
    ap.add_argument("--iv", required=True, help="16 bytes, hex")
    ap.add_argument("--oaep-ciphertext", required=True, help="RSA-OAEP-SHA256 of --data under the key, made by node, hex")
    ap.add_argument("--kmip2", action="store_true")
    args = ap.parse_args()
    # Names are unique on the server: one set per run.
    tag = "encrypt-" + ("kmip2" if args.kmip2 else "kmip1")
    version = enums.KMIPVersion.KMIP_2_0 if args.kmip2 else None
    data = unhex(args.data)
    iv = unhex(args.iv)
    cbc = {"block_cipher_mode": enums.BlockCipherMode.CBC, "padding_method": enums.PaddingMethod.PKCS5,
           "cryptographic_algorithm": enums.CryptographicAlgorithm.AES}
    ctr = {"block_cipher_mode": enums.BlockCipherMode.CTR, "cryptographic_algorithm": enums.CryptographicAlgorithm.AES}
    oaep = {"padding_method": enums.PaddingMethod.OAEP, "hashing_algorithm": enums.HashingAlgorithm.SHA_256,
            "cryptographic_algorithm": enums.CryptographicAlgorithm.RSA}
    both = [enums.CryptographicUsageMask.ENCRYPT, enums.CryptographicUsageMask.DECRYPT]
    with common.connected(kmip, args, version) as c:
        aes = step("register aes key", lambda: c.register(objects.SymmetricKey(
            enums.CryptographicAlgorithm.AES, 256, unhex(args.aes_key), masks=both, name=tag + "-aes")))
        priv = step("register private key", lambda: c.register(objects.PrivateKey(
            enums.CryptographicAlgorithm.RSA, 2048, unhex(args.rsa_private), enums.KeyFormatType.PKCS_8,
            masks=[enums.CryptographicUsageMask.DECRYPT], name=tag + "-private")))
        pub = step("register public key", lambda: c.register(objects.PublicKey(
            enums.CryptographicAlgorithm.RSA, 2048, unhex(args.rsa_public), enums.KeyFormatType.X_509,
            masks=[enums.CryptographicUsageMask.ENCRYPT], name=tag + "-public")))
        for uid in (aes, priv, pub):
            if uid is not None:
                step("activate " + uid, lambda u=uid: c.activate(u))
        # CBC with the server's Random IV: the IV comes back and decrypts the data.
        r = step("encrypt cbc random iv", lambda: c.encrypt(data, uid=aes, cryptographic_parameters=dict(cbc, random_iv=True)))
        if r is not None:
            step("decrypt cbc", lambda: c.decrypt(r[0], uid=aes, cryptographic_parameters=cbc, iv_counter_nonce=r[1]))
        # CTR with the client's counter block: deterministic.
        step("encrypt ctr", lambda: c.encrypt(data, uid=aes, cryptographic_parameters=ctr, iv_counter_nonce=iv))
        # RSA-OAEP: PyKMIP encrypts through the server, node decrypts; node's cipher text decrypts through the server.
        step("encrypt oaep", lambda: c.encrypt(data, uid=pub, cryptographic_parameters=oaep))
        step("decrypt oaep", lambda: c.decrypt(unhex(args.oaep_ciphertext), uid=priv, cryptographic_parameters=oaep))
    return common.steps_status()


if __name__ == "__main__":
    sys.exit(main())
