#!/usr/bin/python3
"""PyKMIP driver for the soft delete tests (test/soft-delete.test.ts).

    destroy  create an AES-256 key, get it, destroy it, get it again
    create   create an AES-256 key named --name
    get      get the key --id

Prints one JSON object: {"id", "key" (hex, Get before Destroy), "after"
(how Get of the destroyed key failed: result status, reason and message)}
for destroy; {"id", "key"} for get; {"error": ...} and exit 1 on failure.
Connection as in pykmip_client.py (an empty config file, PROTOCOL_TLS):
pykmip_common.py.
"""
import argparse
import binascii
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pykmip_common as common  # noqa: E402

kmip = common.load_pykmip(common.ONE_OBJECT)
AES = kmip.enums.CryptographicAlgorithm.AES
VERSIONS = {"1.2": kmip.enums.KMIPVersion.KMIP_1_2, "2.0": kmip.enums.KMIPVersion.KMIP_2_0}


def failure(e):
    if isinstance(e, kmip.exceptions.KmipOperationFailure):
        return {"status": str(e.status), "reason": str(e.reason), "message": e.message}
    return {"status": type(e).__name__, "reason": None, "message": str(e)}


def run(args, client):
    if args.action == "destroy":
        uid = client.create(AES, 256, name=args.name)
        key = binascii.hexlify(client.get(uid).value).decode()
        client.destroy(uid)
        try:
            client.get(uid)
            after = {"status": "success"}
        except Exception as e:
            after = failure(e)
        return {"id": uid, "key": key, "after": after}
    if args.action == "create":
        return {"id": client.create(AES, 256, name=args.name)}
    return {"id": args.id, "key": binascii.hexlify(client.get(args.id).value).decode()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("action", choices=["destroy", "create", "get"])
    common.connection_args(ap)
    ap.add_argument("--id")
    ap.add_argument("--name", default="pykmip-soft-delete")
    ap.add_argument("--kmip-version", choices=sorted(VERSIONS), default="1.2")
    args = ap.parse_args()
    return common.run_once(kmip, args, lambda client: run(args, client), VERSIONS[args.kmip_version])


if __name__ == "__main__":
    sys.exit(main())
