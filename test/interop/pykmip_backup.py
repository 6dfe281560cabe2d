#!/usr/bin/python3
"""PyKMIP driver for the backup tests (test/backup.test.ts).

    get --id ID     prints {"id", "key" (hex of the key bytes)}

{"error": ...} and exit 1 on failure. Connection as in pykmip_client.py (an
empty config file, PROTOCOL_TLS, KMIP 1.2): pykmip_common.py.
"""
import argparse
import binascii
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pykmip_common as common  # noqa: E402

kmip = common.load_pykmip(common.ONE_OBJECT)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("action", choices=["get"])
    common.connection_args(ap)
    ap.add_argument("--id", required=True)
    args = ap.parse_args()
    return common.run_once(kmip, args, lambda client: {"id": args.id, "key": binascii.hexlify(client.get(args.id).value).decode()})


if __name__ == "__main__":
    sys.exit(main())
