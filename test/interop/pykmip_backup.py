#!/usr/bin/python3
"""PyKMIP driver for the backup tests (test/backup.test.ts).

    get --id ID     prints {"id", "key" (hex of the key bytes)}

{"error": ...} and exit 1 on failure. Connection as in pykmip_client.py (an
empty config file, PROTOCOL_TLS, KMIP 1.2).
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
    from kmip.pie.client import ProxyKmipClient
except Exception as e:  # pragma: no cover - reported to the test
    print(json.dumps({"error": "cannot import PyKMIP (apt-get install python3-pykmip): %r" % (e,)}))
    sys.exit(2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("action", choices=["get"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--id", required=True)
    args = ap.parse_args()
    conf = tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False)
    conf.close()
    client = ProxyKmipClient(hostname="127.0.0.1", port=args.port, cert=args.cert, key=args.key, ca=args.ca,
                             ssl_version="PROTOCOL_TLS", config="client", config_file=conf.name,
                             kmip_version=enums.KMIPVersion.KMIP_1_2)
    client.proxy.timeout = 20
    try:
        client.open()
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
