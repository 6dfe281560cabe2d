"""PyKMIP against Keyhold's key expiry (issue 6, point 2). Prints one JSON line
per step:

    {"step": "...", "ok": true|false, "detail": ...}

Phases (test/key-expiry.test.ts moves the server's clock in between):
  create  create an AES-256 key, read its Deactivation Date with
          get_attributes (reported as seconds since the epoch), activate it
  check   --id: get_attributes State is DEACTIVATED, and get still returns
          the key (a deactivated key stays available for decrypting)
Exit status 0 only when every step passed; 2 when PyKMIP cannot be imported.
Run with /usr/bin/python3 (Debian python3-pykmip).
"""
import argparse
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
    print(json.dumps({"step": "import", "ok": False, "detail": "cannot import PyKMIP: %r" % (e,)}))
    sys.exit(2)

results = []


def emit(step, ok, detail):
    results.append(bool(ok))
    print(json.dumps({"step": step, "ok": bool(ok), "detail": detail}, default=str), flush=True)


def attribute(c, uid, name):
    """The value of one attribute (None when absent), as get_attributes returns it."""
    _, attrs = c.get_attributes(uid, [name])
    for a in attrs:
        if a.attribute_name.value == name:
            return a.attribute_value.value
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--phase", required=True, choices=["create", "check"])
    ap.add_argument("--id")
    args = ap.parse_args()
    conf = tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False)
    conf.close()
    c = ProxyKmipClient(
        hostname=args.host, port=args.port, cert=args.cert, key=args.key, ca=args.ca,
        ssl_version="PROTOCOL_TLS", config="client", config_file=conf.name,
        kmip_version=enums.KMIPVersion.KMIP_1_2,
    )
    c.proxy.timeout = 20
    c.open()
    try:
        if args.phase == "create":
            uid = c.create(enums.CryptographicAlgorithm.AES, 256, name="pykmip-expiry")
            emit("create", True, uid)
            date = attribute(c, uid, "Deactivation Date")
            emit("deactivation date", isinstance(date, int) and date > 0, date)
            c.activate(uid)
            state = attribute(c, uid, "State")
            emit("activated", state == enums.State.ACTIVE, str(state))
        else:
            state = attribute(c, args.id, "State")
            emit("state", state == enums.State.DEACTIVATED, str(state))
            key = c.get(args.id)
            emit("get deactivated key", len(key.value) == 32, len(key.value))
    finally:
        c.close()
        os.unlink(conf.name)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
