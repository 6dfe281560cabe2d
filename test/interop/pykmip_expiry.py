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
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pykmip_common as common  # noqa: E402
from pykmip_common import emit  # noqa: E402

kmip = common.load_pykmip(common.STEP_LINES)
enums = kmip.enums


def attribute(c, uid, name):
    """The value of one attribute (None when absent), as get_attributes returns it."""
    _, attrs = c.get_attributes(uid, [name])
    for a in attrs:
        if a.attribute_name.value == name:
            return a.attribute_value.value
    return None


def main():
    ap = argparse.ArgumentParser()
    common.connection_args(ap)
    ap.add_argument("--phase", required=True, choices=["create", "check"])
    ap.add_argument("--id")
    args = ap.parse_args()
    with common.connected(kmip, args) as c:
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
    return common.steps_status()


if __name__ == "__main__":
    sys.exit(main())
