#!/usr/bin/python3
"""PyKMIP driver for the soft delete tests (test/soft-delete.test.ts).

    destroy  create an AES-256 key, get it, destroy it, get it again
    create   create an AES-256 key named --name
    get      get the key --id

Prints one JSON object: {"id", "key" (hex, Get before Destroy), "after"
(how Get of the destroyed key failed: result status, reason and message)}
for destroy; {"id", "key"} for get; {"error": ...} and exit 1 on failure.
Connection as in pykmip_client.py (an empty config file, PROTOCOL_TLS).
"""
import argparse
import binascii
import json
import os
import sys
import tempfile
import warnings

warnings.simplefilter("ignore")

try:
    from kmip import enums
    from kmip.pie import exceptions as pie_exceptions
    from kmip.pie.client import ProxyKmipClient
except Exception as e:  # pragma: no cover - reported to the test
    print(json.dumps({"error": "cannot import PyKMIP (apt-get install python3-pykmip): %r" % (e,)}))
    sys.exit(2)

VERSIONS = {"1.2": enums.KMIPVersion.KMIP_1_2, "2.0": enums.KMIPVersion.KMIP_2_0}


def failure(e):
    if isinstance(e, pie_exceptions.KmipOperationFailure):
        return {"status": str(e.status), "reason": str(e.reason), "message": e.message}
    return {"status": type(e).__name__, "reason": None, "message": str(e)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("action", choices=["destroy", "create", "get"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--id")
    ap.add_argument("--name", default="pykmip-soft-delete")
    ap.add_argument("--kmip-version", choices=sorted(VERSIONS), default="1.2")
    args = ap.parse_args()
    conf = tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False)
    conf.close()
    client = ProxyKmipClient(hostname="127.0.0.1", port=args.port, cert=args.cert, key=args.key, ca=args.ca,
                             ssl_version="PROTOCOL_TLS", config="client", config_file=conf.name,
                             kmip_version=VERSIONS[args.kmip_version])
    client.proxy.timeout = 20
    try:
        client.open()
        if args.action == "destroy":
            uid = client.create(enums.CryptographicAlgorithm.AES, 256, name=args.name)
            key = binascii.hexlify(client.get(uid).value).decode()
            client.destroy(uid)
            try:
                client.get(uid)
                after = {"status": "success"}
            except Exception as e:
                after = failure(e)
            print(json.dumps({"id": uid, "key": key, "after": after}))
        elif args.action == "create":
            print(json.dumps({"id": client.create(enums.CryptographicAlgorithm.AES, 256, name=args.name)}))
        else:
            print(json.dumps({"id": args.id, "key": binascii.hexlify(client.get(args.id).value).decode()}))
        return 0
    except Exception as e:
        print(json.dumps({"error": "%s: %s" % (type(e).__name__, e)}))
        return 1
    finally:
        try:
            client.close()
        except Exception:
            pass
        os.unlink(conf.name)


if __name__ == "__main__":
    sys.exit(main())
