"""PyKMIP against Keyhold's key policy (issue 6): each phase runs the requests
the lead test set up a policy for, and checks the server's refusal the way a
PyKMIP user sees it (KmipOperationFailure: its Result Reason and message).
Prints one JSON line per step:

    {"step": "...", "ok": true|false, "detail": ...}

Phases (the test sets the policy before each):
  defaults    the default policy: legacy keys refused, AES-256 served
  restricted  algorithms AES-256,RSA-2048; registering off; a Name required
  closed      generating off (Create, Create Key Pair and Re-key refused)
Exit status 0 only when every step passed; 2 when PyKMIP cannot be imported.
Run with /usr/bin/python3 (Debian python3-pykmip).
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pykmip_common as common  # noqa: E402
from pykmip_common import emit, failure_text  # noqa: E402

kmip = common.load_pykmip(common.STEP_LINES)
ALG = kmip.enums.CryptographicAlgorithm
REASON = kmip.enums.ResultReason


def refused(step, reason, text, fn):
    """The request fails with this Result Reason and a message naming the policy rule."""
    try:
        got = fn()
        emit(step, False, "succeeded: %r" % (got,))
    except kmip.exceptions.KmipOperationFailure as e:
        ok = e.reason == reason and e.message.startswith("key policy:") and text in e.message
        emit(step, ok, failure_text(e))


def served(step, fn):
    try:
        got = fn()
        emit(step, True, got)
        return got
    except kmip.exceptions.KmipOperationFailure as e:
        emit(step, False, failure_text(e))
        return None


def main():
    ap = argparse.ArgumentParser()
    common.connection_args(ap)
    ap.add_argument("--phase", required=True, choices=["defaults", "restricted", "closed"])
    ap.add_argument("--rekey-id")
    args = ap.parse_args()
    with common.connected(kmip, args) as c:
        if args.phase == "defaults":
            refused("triple des create refused", REASON.INVALID_FIELD, "3DES keys are not allowed: legacy algorithms are off",
                    lambda: c.create(ALG.TRIPLE_DES, 168))
            refused("rsa-1024 key pair refused", REASON.INVALID_FIELD, "RSA-1024 keys are not allowed",
                    lambda: c.create_key_pair(ALG.RSA, 1024))
            served("aes-256 create served", lambda: c.create(ALG.AES, 256))
        elif args.phase == "restricted":
            refused("aes-128 create refused", REASON.INVALID_FIELD, "AES-128 keys are not allowed: not in policy.json algorithms (AES-256, RSA-2048)",
                    lambda: c.create(ALG.AES, 128, name="small"))
            key = kmip.objects.SymmetricKey(ALG.AES, 256, os.urandom(32), name="imported")
            refused("register refused", REASON.PERMISSION_DENIED, "clients may not register objects (policy.json clientsMayRegister)",
                    lambda: c.register(key))
            refused("create without a name refused", REASON.MISSING_DATA, "a new object needs a Name attribute",
                    lambda: c.create(ALG.AES, 256))
            uid = served("named aes-256 create served", lambda: c.create(ALG.AES, 256, name="named"))
            if uid is not None:
                print(json.dumps({"step": "created id", "ok": True, "detail": uid}), flush=True)
        else:
            refused("create refused", REASON.PERMISSION_DENIED, "clients may not generate keys (policy.json clientsMayCreate)",
                    lambda: c.create(ALG.AES, 256, name="closed"))
            refused("create key pair refused", REASON.PERMISSION_DENIED, "clients may not generate keys",
                    lambda: c.create_key_pair(ALG.RSA, 2048, public_name="pub", private_name="priv"))
            refused("rekey refused", REASON.PERMISSION_DENIED, "clients may not generate keys",
                    lambda: c.rekey(uid=args.rekey_id))
    return common.steps_status()


if __name__ == "__main__":
    sys.exit(main())
