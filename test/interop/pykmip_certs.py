#!/usr/bin/python3
"""PyKMIP with the certificates Keyhold hands out (issue 5, point 9).

Drives a running Keyhold server with PyKMIP's ProxyKmipClient (Debian
python3-pykmip 0.10, run with /usr/bin/python3), using whatever client
certificate, key and CA it is given (a PKCS#12 bundle converted to PEM, a
certificate signed from the client's own CSR...), and prints one JSON line per
step:

    {"step": "...", "ok": true|false, "detail": ...}

Modes:
  roundtrip  connect, create an AES-256 key, get it, close.
  hold       connect, create an AES-256 key, print a "waiting" line, wait for
             a line "go" on standard input (the test rotates the server
             certificate meanwhile), then, on the SAME connection, get the
             key, check that the connection is the one opened at the start,
             and close.

ProxyKmipClient keeps a single socket: open() makes KMIPProxy wrap and
connect one ssl socket (KMIPProxy.socket), and every operation writes and
reads on it until close(); there is no reconnect per call. The "same
connection" step checks this: the ssl socket object, its local port and the
server certificate it saw are the ones from the connect step.

The connect step's detail carries the negotiated TLS version, the local port
and the SHA-256 fingerprint of the server certificate this connection saw,
so the test can tell the certificate in use before and after a rotation.

Exit status 0 only when every step passed; 1 at the first failing step (the
later ones are not run); 2 when PyKMIP cannot be imported. TLS settings are
those of pykmip_client.py (PROTOCOL_TLS, no SNI, no host-name check, the CA
given), with an empty config file so that a pykmip.conf on the machine
cannot change them.
"""
import argparse
import hashlib
import json
import os
import select
import sys
import tempfile
import warnings

warnings.simplefilter("ignore")  # ssl.wrap_socket / PROTOCOL_SSLv23 deprecation noise

try:
    from kmip import enums
    from kmip.pie import objects
    from kmip.pie.client import ProxyKmipClient
except Exception as e:  # pragma: no cover - reported to the test
    print(json.dumps({"step": "import", "ok": False,
                      "detail": "cannot import PyKMIP (apt-get install python3-pykmip): %r" % (e,)}), flush=True)
    sys.exit(2)


class StepFailed(Exception):
    pass


def emit(step, ok, detail):
    print(json.dumps({"step": step, "ok": bool(ok), "detail": detail}, default=str), flush=True)


def step(name, fn):
    """Runs fn() -> (ok, detail); emits the line; raises StepFailed unless ok."""
    try:
        ok, detail = fn()
    except Exception as e:
        emit(name, False, "%s: %s" % (type(e).__name__, e))
        raise StepFailed(name)
    emit(name, ok, detail)
    if not ok:
        raise StepFailed(name)
    return detail


def connection_facts(sock):
    peer = sock.getpeercert(binary_form=True)
    return {
        "tls": sock.version(),
        "local_port": sock.getsockname()[1],
        "server_cert_sha256": hashlib.sha256(peer).hexdigest() if peer else None,
    }


def wait_for_go(timeout):
    ready, _, _ = select.select([sys.stdin], [], [], timeout)
    if not ready:
        return False, "no line on standard input within %d s" % timeout
    line = sys.stdin.readline().strip()
    return line == "go", "read %r" % line


def run(args, client):
    facts = {}

    def connect():
        client.open()
        facts["socket"] = client.proxy.socket
        facts.update(connection_facts(client.proxy.socket))
        return True, {k: v for k, v in facts.items() if k != "socket"}

    step("connect", connect)

    key_id = step("create", lambda: (True, client.create(enums.CryptographicAlgorithm.AES, 256)))

    if args.mode == "hold":
        emit("waiting", True, {"key": key_id})
        step("go", lambda: wait_for_go(args.wait))

    def get():
        key = client.get(key_id)
        detail = {
            "type": type(key).__name__,
            "algorithm": str(getattr(key, "cryptographic_algorithm", None)),
            "length": getattr(key, "cryptographic_length", None),
            "bytes": len(getattr(key, "value", b"") or b""),
        }
        ok = (isinstance(key, objects.SymmetricKey)
              and key.cryptographic_algorithm == enums.CryptographicAlgorithm.AES
              and key.cryptographic_length == 256 and len(key.value) == 32)
        return ok, detail

    step("get", get)

    if args.mode == "hold":
        def same_connection():
            sock = client.proxy.socket
            now = connection_facts(sock)
            ok = (sock is facts["socket"] and now["local_port"] == facts["local_port"]
                  and now["server_cert_sha256"] == facts["server_cert_sha256"])
            return ok, now

        step("same_connection", same_connection)

    def close():
        client.close()
        return True, None

    step("close", close)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["roundtrip", "hold"])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--timeout", type=int, default=15, help="socket timeout, seconds")
    ap.add_argument("--wait", type=int, default=60, help="hold: how long to wait for \"go\", seconds")
    args = ap.parse_args()

    conf = tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False)
    conf.close()
    try:
        client = ProxyKmipClient(
            hostname=args.host, port=args.port,
            cert=args.cert, key=args.key, ca=args.ca,
            ssl_version="PROTOCOL_TLS", config="client", config_file=conf.name,
            kmip_version=enums.KMIPVersion.KMIP_1_2,
        )
        client.proxy.timeout = args.timeout
        try:
            run(args, client)
        except StepFailed:
            return 1
        finally:
            try:
                client.close()
            except Exception:
                pass
        return 0
    finally:
        os.unlink(conf.name)


if __name__ == "__main__":
    sys.exit(main())
