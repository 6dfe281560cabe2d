"""What the PyKMIP drivers of the key policy, expiry, backup and soft delete
tests share (pykmip_policy.py, pykmip_expiry.py, pykmip_backup.py,
pykmip_softdelete.py). A driver imports it after putting its own directory
first on sys.path:

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import pykmip_common as common
    kmip = common.load_pykmip(common.STEP_LINES)

Two output styles:
  STEP_LINES  one JSON line per step, {"step", "ok", "detail"} (emit());
              exit status 0 only when every step passed (steps_status()).
  ONE_OBJECT  one JSON object for the whole run, or {"error": ...} and exit 1
              (run_once()).
Either way exit status 2, with one JSON line saying why, when PyKMIP cannot be
imported. Connection as in pykmip_client.py: an empty config file (a
pykmip.conf on the machine cannot change the settings), PROTOCOL_TLS, KMIP 1.2
unless told otherwise, a 20 s socket timeout.
"""
import contextlib
import json
import os
import sys
import tempfile
import types
import warnings

warnings.simplefilter("ignore")

STEP_LINES = "steps"
ONE_OBJECT = "object"


def load_pykmip(style):
    """PyKMIP's modules (enums, exceptions, objects, ProxyKmipClient); when
    they cannot be imported, prints the reason in the driver's style and exits 2."""
    try:
        from kmip import enums
        from kmip.pie import exceptions
        from kmip.pie import objects
        from kmip.pie.client import ProxyKmipClient
    except Exception as e:  # pragma: no cover - reported to the test
        if style == STEP_LINES:
            print(json.dumps({"step": "import", "ok": False, "detail": "cannot import PyKMIP: %r" % (e,)}))
        else:
            print(json.dumps({"error": "cannot import PyKMIP (apt-get install python3-pykmip): %r" % (e,)}))
        sys.exit(2)
    return types.SimpleNamespace(enums=enums, exceptions=exceptions, objects=objects, ProxyKmipClient=ProxyKmipClient)


def connection_args(ap):
    """The connection flags every driver takes: --host, --port, --ca, --cert, --key."""
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)


@contextlib.contextmanager
def connected(kmip, args, kmip_version=None):
    """An open ProxyKmipClient for the connection flags in args; closed (and
    its empty config file removed) on leaving."""
    conf = tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False)
    conf.close()
    try:
        client = kmip.ProxyKmipClient(
            hostname=args.host, port=args.port, cert=args.cert, key=args.key, ca=args.ca,
            ssl_version="PROTOCOL_TLS", config="client", config_file=conf.name,
            kmip_version=kmip_version or kmip.enums.KMIPVersion.KMIP_1_2,
        )
        client.proxy.timeout = 20
        try:
            client.open()
            yield client
        finally:
            try:
                client.close()
            except Exception:
                pass
    finally:
        os.unlink(conf.name)


def failure_text(e):
    """A KmipOperationFailure as a PyKMIP user sees it: "<Result Reason>: <message>"."""
    return "%s: %s" % (e.reason, e.message)


# STEP_LINES ------------------------------------------------------------------

_results = []


def emit(step, ok, detail):
    _results.append(bool(ok))
    print(json.dumps({"step": step, "ok": bool(ok), "detail": detail}, default=str), flush=True)


def steps_status():
    """0 when every emitted step passed, else 1."""
    return 0 if all(_results) else 1


def as_hex(r):
    """A step result for the test: bytes as hex, anything else as text."""
    return r.hex() if isinstance(r, (bytes, bytearray)) else str(r)


def run_step(kmip, name, fn, show=as_hex):
    """Runs fn(); emits show(result), or the failure (a KMIP failure's Result
    Reason and Message, else the exception), and returns the result or None."""
    try:
        r = fn()
        emit(name, True, show(r))
        return r
    except kmip.exceptions.KmipOperationFailure as e:
        emit(name, False, failure_text(e))
    except Exception as e:  # noqa: BLE001 - reported to the test
        emit(name, False, "%s: %s" % (type(e).__name__, e))
    return None


# ONE_OBJECT ------------------------------------------------------------------

def run_once(kmip, args, action, kmip_version=None):
    """Connects, prints the JSON object action(client) returns and gives 0; on
    any failure prints {"error": "<type>: <text>"} and gives 1."""
    try:
        with connected(kmip, args, kmip_version) as client:
            print(json.dumps(action(client)))
        return 0
    except Exception as e:
        print(json.dumps({"error": "%s: %s" % (type(e).__name__, e)}))
        return 1
