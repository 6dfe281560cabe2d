"""PyKMIP cases of Keyhold's access-control matrix (issue 4, test/access-matrix.test.ts).

Runs a plan of cases, each one operation by one client from one source
address, with PyKMIP's own client, and prints one JSON line per case:

    {"case": "P01", "ok": true|false, "id": ..., "reason": ..., "message": ..., "error": ...}

ok: the server answered Success (id: the Unique Identifier it returned).
reason/message: the Result Reason (PyKMIP's enum name, e.g.
"PERMISSION_DENIED") and Result Message of a failed operation. error: any
other failure (e.g. the server closed the connection), as "Type: text".
The driver judges nothing: the test compares each case with its expectation.

The plan is a JSON file:

    {"clients": {"NAME": {"cert": PATH, "key": PATH}},
     "cases": [{"case": "P01", "client": "NAME", "source": "127.0.0.1",
                "op": "create" | "get" | "destroy",
                "id": "UID" | {"from": "P01"}}]}

{"from": CASE} names the id an earlier case created. One connection per
client and source address is reused; after an error that is not a KMIP
failure it is dropped and the next case opens a new one. The source address
is bound before PyKMIP connects (PyKMIP itself has no option for it).

Exit status 0 when every case ran (whatever the answers), 2 when PyKMIP
cannot be imported. Run with /usr/bin/python3 (Debian python3-pykmip); see
pykmip_client.py for the TLS settings.
"""
import argparse
import json
import sys
import tempfile
import warnings

warnings.simplefilter("ignore")  # ssl.wrap_socket / PROTOCOL_SSLv23 deprecation noise

try:
    from kmip import enums
    from kmip.pie import exceptions as pie_exceptions
    from kmip.pie.client import ProxyKmipClient
except Exception as e:  # pragma: no cover - reported to the test
    print(json.dumps({"case": "import", "ok": False, "error": "cannot import PyKMIP: %r" % (e,)}))
    sys.exit(2)


def bind_source(client, source):
    """Binds the socket PyKMIP creates to `source` before it connects."""
    proxy = client.proxy
    create = proxy._create_socket

    def bound(sock):
        sock.bind((source, 0))
        create(sock)

    proxy._create_socket = bound


def open_client(args, creds, source, conf):
    c = ProxyKmipClient(
        hostname=args.host, port=args.port,
        cert=creds["cert"], key=creds["key"], ca=args.ca,
        ssl_version="PROTOCOL_TLS", config="client", config_file=conf,
        kmip_version=enums.KMIPVersion.KMIP_1_2,
    )
    c.proxy.timeout = 20
    bind_source(c, source)
    c.open()
    return c


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--plan", required=True)
    args = ap.parse_args()
    with open(args.plan) as f:
        plan = json.load(f)
    conf = tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False)
    conf.close()

    conns = {}
    created = {}
    for case in plan["cases"]:
        out = {"case": case["case"], "ok": False, "id": None, "reason": None, "message": None, "error": None}
        key = (case["client"], case["source"])
        try:
            target = case.get("id")
            if isinstance(target, dict):
                target = created[target["from"]]
            if key not in conns:
                conns[key] = open_client(args, plan["clients"][case["client"]], case["source"], conf.name)
            c = conns[key]
            op = case["op"]
            if op == "create":
                out["id"] = c.create(enums.CryptographicAlgorithm.AES, 256)
                created[case["case"]] = out["id"]
            elif op == "get":
                out["id"] = c.get(target).unique_identifier
            elif op == "destroy":
                c.destroy(target)
                out["id"] = target
            else:
                raise ValueError("unknown op %r" % (op,))
            out["ok"] = True
        except pie_exceptions.KmipOperationFailure as e:
            out["reason"] = e.reason.name if e.reason is not None else None
            out["message"] = e.message
        except Exception as e:
            out["error"] = "%s: %s" % (type(e).__name__, e)
            old = conns.pop(key, None)
            if old is not None:
                try:
                    old.close()
                except Exception:
                    pass
        print(json.dumps(out, default=str), flush=True)
    for c in conns.values():
        try:
            c.close()
        except Exception:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
