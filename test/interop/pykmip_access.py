"""PyKMIP against Keyhold's access control (issue 4): an owner client with
every permission creates a key; a second client with the least-privilege
defaults then probes with PyKMIP's own client. Prints one JSON line per step:

    {"step": "...", "ok": true|false, "detail": ...}

A step is ok when the server answered as the access rules require: Permission
Denied for the reader's Create, for the owner's key and for a missing key
(with the same message apart from the identifier), and an empty Locate. With
--pw-*, a client that must also send a Username and Password credential
(PyKMIP's username/password settings) is refused without it or with a wrong
password (Authentication Not Successful) and served with it.
Exit status 0 only when every step passed; 2 when PyKMIP cannot be imported.
Run with /usr/bin/python3 (Debian python3-pykmip); see pykmip_client.py for
the TLS settings.
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
    from kmip.pie import exceptions as pie_exceptions
    from kmip.pie.client import ProxyKmipClient
except Exception as e:  # pragma: no cover - reported to the test
    print(json.dumps({"step": "import", "ok": False, "detail": "cannot import PyKMIP: %r" % (e,)}))
    sys.exit(2)

MISSING = "00000000-0000-4000-8000-00000000beef"
results = []


def emit(step, ok, detail):
    results.append(bool(ok))
    print(json.dumps({"step": step, "ok": bool(ok), "detail": detail}, default=str), flush=True)


def client_for(args, prefix, conf, username=None, password=None):
    c = ProxyKmipClient(
        hostname=args.host, port=args.port,
        cert=getattr(args, prefix + "_cert"), key=getattr(args, prefix + "_key"), ca=args.ca,
        ssl_version="PROTOCOL_TLS", config="client", config_file=conf,
        kmip_version=enums.KMIPVersion.KMIP_1_2,
        username=username, password=password,
    )
    c.proxy.timeout = 20
    return c


def denial(fn):
    """(denied, message): whether fn failed with Permission Denied, and the server's message."""
    try:
        fn()
        return False, "succeeded"
    except pie_exceptions.KmipOperationFailure as e:
        return e.reason == enums.ResultReason.PERMISSION_DENIED, "%s: %s" % (e.reason, e.message)


def refused_auth(fn):
    """(refused, message): whether fn failed with Authentication Not Successful."""
    try:
        fn()
        return False, "succeeded"
    except pie_exceptions.KmipOperationFailure as e:
        return e.reason == enums.ResultReason.AUTHENTICATION_NOT_SUCCESSFUL, "%s: %s" % (e.reason, e.message)


def password_steps(args, conf):
    for step, username, password in (
        ("password client without credential refused", None, None),
        ("password client with a wrong password refused", args.pw_username, args.pw_password + "x"),
    ):
        c = client_for(args, "pw", conf, username, password)
        c.open()
        refused, msg = refused_auth(lambda: c.locate())
        emit(step, refused, msg)
        c.close()
    c = client_for(args, "pw", conf, args.pw_username, args.pw_password)
    c.open()
    found = c.locate()
    emit("password client with its password served", found == [], found)
    c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--owner-cert", required=True)
    ap.add_argument("--owner-key", required=True)
    ap.add_argument("--reader-cert", required=True)
    ap.add_argument("--reader-key", required=True)
    ap.add_argument("--pw-cert")
    ap.add_argument("--pw-key")
    ap.add_argument("--pw-username")
    ap.add_argument("--pw-password")
    args = ap.parse_args()
    conf = tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False)
    conf.close()

    owner = client_for(args, "owner", conf.name)
    owner.open()
    key_id = owner.create(enums.CryptographicAlgorithm.AES, 256)
    emit("owner create", True, key_id)
    owner.close()

    reader = client_for(args, "reader", conf.name)
    reader.open()
    denied, msg = denial(lambda: reader.create(enums.CryptographicAlgorithm.AES, 256))
    emit("reader create denied", denied, msg)
    denied_other, msg_other = denial(lambda: reader.get(key_id))
    emit("reader get of the owner's key denied", denied_other, msg_other)
    denied_missing, msg_missing = denial(lambda: reader.get(MISSING))
    emit("reader get of a missing key denied", denied_missing, msg_missing)
    same = msg_other.replace(key_id, "ID") == msg_missing.replace(MISSING, "ID")
    emit("both denials read the same", same, [msg_other, msg_missing])
    found = reader.locate()
    emit("reader locate finds nothing", found == [], found)
    reader.close()
    if args.pw_cert:
        password_steps(args, conf.name)
    os.unlink(conf.name)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
