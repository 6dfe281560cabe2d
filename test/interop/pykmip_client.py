#!/usr/bin/python3
"""PyKMIP interop driver for Keyhold (issue 3, point 8).

Drives a running Keyhold server with PyKMIP's own client (Debian
python3-pykmip 0.10, run with /usr/bin/python3) at one KMIP version and
prints one JSON line per step:

    {"step": "...", "ok": true|false, "detail": ...}

Exit status 0 only when every step passed; 2 when PyKMIP cannot be imported;
1 otherwise.

TLS: PyKMIP wraps its socket with ssl.wrap_socket (Python 3.11 still has it)
and cert_reqs/ca_certs, without SNI and without host-name checking. The
protocol is PROTOCOL_TLS ("SSLv23": negotiates the highest version both sides
allow, so TLS 1.3 or 1.2 against Keyhold). PROTOCOL_TLS_CLIENT cannot be used:
it turns on check_hostname, which wrap_socket cannot satisfy (no
server_hostname). An empty config file is passed so that a pykmip.conf in
~/.pykmip or /etc/pykmip cannot change the settings.
"""
import argparse
import json
import os
import sys
import tempfile
import traceback
import warnings

warnings.simplefilter("ignore")  # ssl.wrap_socket / PROTOCOL_SSLv23 deprecation noise

try:
    from kmip import enums
    from kmip.core.factories.attributes import AttributeFactory
    from kmip.pie import objects
    from kmip.pie.client import ProxyKmipClient
except Exception as e:  # pragma: no cover - reported to the test
    print(json.dumps({"step": "import", "ok": False,
                      "detail": "cannot import PyKMIP (apt-get install python3-pykmip): %r" % (e,)}))
    sys.exit(2)

VERSIONS = {
    "1.2": enums.KMIPVersion.KMIP_1_2,
    "2.0": enums.KMIPVersion.KMIP_2_0,
}

results = []


def emit(step, ok, detail):
    results.append(ok)
    print(json.dumps({"step": step, "ok": bool(ok), "detail": detail}, default=str), flush=True)


def step(name, fn):
    """Runs fn(); fn returns (ok, detail) or raises. Returns fn's detail or None."""
    try:
        ok, detail = fn()
        emit(name, ok, detail)
        return detail if ok else None
    except Exception as e:
        emit(name, False, "%s: %s" % (type(e).__name__, e))
        return None


def enum_name(v):
    return getattr(v, "name", str(v))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--kmip-version", choices=sorted(VERSIONS), default="1.2")
    ap.add_argument("--timeout", type=int, default=20)
    args = ap.parse_args()

    version = VERSIONS[args.kmip_version]
    tag = "pykmip-%s-%d" % (args.kmip_version, os.getpid())
    conf = tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False)
    conf.close()

    client = ProxyKmipClient(
        hostname=args.host,
        port=args.port,
        cert=args.cert,
        key=args.key,
        ca=args.ca,
        ssl_version="PROTOCOL_TLS",
        config="client",
        config_file=conf.name,
        kmip_version=version,
    )
    client.proxy.timeout = args.timeout

    def open_():
        client.open()
        sock = client.proxy.socket
        return True, {"tls": sock.version(), "kmip": args.kmip_version}

    if step("connect", open_) is None:
        os.unlink(conf.name)
        return 1

    proxy = client.proxy

    # --- Discover Versions and Query through the lower-level KMIPProxy ---
    def discover():
        r = proxy.discover_versions()
        if r.result_status.value != enums.ResultStatus.SUCCESS:
            return False, {"status": enum_name(r.result_status.value), "message": str(r.result_message)}
        vs = ["%d.%d" % (v.major, v.minor) for v in (r.protocol_versions or [])]
        return args.kmip_version in vs, {"versions": vs}
    step("discover_versions", discover)

    def query():
        r = proxy.query(query_functions=[enums.QueryFunction.QUERY_OPERATIONS,
                                         enums.QueryFunction.QUERY_OBJECTS,
                                         enums.QueryFunction.QUERY_SERVER_INFORMATION])
        if r.result_status.value != enums.ResultStatus.SUCCESS:
            return False, {"status": enum_name(r.result_status.value), "message": str(r.result_message)}
        ops = [enum_name(getattr(o, "value", o)) if not hasattr(o, "name") else o.name for o in (r.operations or [])]
        objs = [enum_name(getattr(o, "value", o)) if not hasattr(o, "name") else o.name for o in (r.object_types or [])]
        need = {"CREATE", "GET", "LOCATE", "DESTROY"}
        return need.issubset(set(ops)), {"operations": ops, "object_types": objs,
                                          "vendor": str(r.vendor_identification) if r.vendor_identification else None}
    step("query", query)

    # --- Create AES-256 with a name ---
    name = tag + "-aes"
    uid = step("create", lambda: (True, client.create(enums.CryptographicAlgorithm.AES, 256, name=name,
                                                      cryptographic_usage_mask=[enums.CryptographicUsageMask.ENCRYPT,
                                                                                enums.CryptographicUsageMask.DECRYPT])))

    def get_aes():
        k = client.get(uid)
        ok = (isinstance(k, objects.SymmetricKey) and k.cryptographic_algorithm == enums.CryptographicAlgorithm.AES
              and k.cryptographic_length == 256 and len(k.value) == 32)
        return ok, {"type": type(k).__name__, "alg": enum_name(k.cryptographic_algorithm),
                    "len": k.cryptographic_length, "bytes": len(k.value)}
    if uid:
        step("get", get_aes)

    def get_attrs():
        got_uid, attrs = client.get_attributes(uid, ["Cryptographic Algorithm", "Cryptographic Length", "State", "Name"])
        names = {}
        for a in attrs:
            n = a.attribute_name.value
            v = a.attribute_value
            if n == "Name":
                v = v.name_value.value
            else:
                v = getattr(v, "value", v)
            names[n] = enum_name(v)
        ok = (got_uid == uid and names.get("Cryptographic Algorithm") == "AES"
              and names.get("Cryptographic Length") in (256, "256") and names.get("State") == "PRE_ACTIVE"
              and names.get("Name") == name)
        return ok, {"uid": got_uid, "attributes": names}
    if uid:
        step("get_attributes", get_attrs)

    def get_attr_list():
        names = client.get_attribute_list(uid)
        need = {"Cryptographic Algorithm", "Cryptographic Length", "State", "Unique Identifier"}
        return need.issubset(set(names)), {"names": names}
    if uid:
        step("get_attribute_list", get_attr_list)

    def activate():
        client.activate(uid)
        _, attrs = client.get_attributes(uid, ["State"])
        st = [enum_name(a.attribute_value.value) for a in attrs if a.attribute_name.value == "State"]
        return st == ["ACTIVE"], {"state": st}
    if uid:
        step("activate", activate)

    def locate():
        f = AttributeFactory()
        found = client.locate(attributes=[f.create_attribute(enums.AttributeType.NAME, name)])
        return found == [uid], {"found": found, "expected": [uid]}
    if uid:
        step("locate_by_name", locate)

    # --- Register a Symmetric Key and a Secret Data ---
    key_bytes = bytes(range(16))
    sk = objects.SymmetricKey(enums.CryptographicAlgorithm.AES, 128, key_bytes,
                              [enums.CryptographicUsageMask.ENCRYPT, enums.CryptographicUsageMask.DECRYPT],
                              tag + "-reg-aes")
    sk_uid = step("register_symmetric_key", lambda: (True, client.register(sk)))

    def get_sk():
        k = client.get(sk_uid)
        return (isinstance(k, objects.SymmetricKey) and k.value == key_bytes), {"type": type(k).__name__, "len": k.cryptographic_length}
    if sk_uid:
        step("get_registered_symmetric_key", get_sk)

    secret = b"correct horse battery staple"
    sd = objects.SecretData(secret, enums.SecretDataType.PASSWORD, [enums.CryptographicUsageMask.VERIFY], tag + "-secret")
    sd_uid = step("register_secret_data", lambda: (True, client.register(sd)))

    def get_sd():
        s = client.get(sd_uid)
        return (isinstance(s, objects.SecretData) and s.value == secret), {"type": type(s).__name__,
                                                                           "data_type": enum_name(getattr(s, "data_type", None))}
    if sd_uid:
        step("get_registered_secret_data", get_sd)

    opaque = b"\x00opaque blob\xff"
    oo = objects.OpaqueObject(opaque, enums.OpaqueDataType.NONE, tag + "-opaque")
    oo_uid = step("register_opaque_object", lambda: (True, client.register(oo)))

    def get_oo():
        o = client.get(oo_uid)
        return (isinstance(o, objects.OpaqueObject) and o.value == opaque), {"type": type(o).__name__}
    if oo_uid:
        step("get_registered_opaque_object", get_oo)

    # --- Revoke and Destroy ---
    def revoke():
        client.revoke(enums.RevocationReasonCode.CESSATION_OF_OPERATION, uid, "interop test")
        _, attrs = client.get_attributes(uid, ["State"])
        st = [enum_name(a.attribute_value.value) for a in attrs if a.attribute_name.value == "State"]
        return st == ["DEACTIVATED"], {"state": st}
    if uid:
        step("revoke", revoke)

    def destroy(u):
        def run():
            client.destroy(u)
            try:
                client.get(u)
            except Exception as e:
                return True, {"get_after_destroy": "%s: %s" % (type(e).__name__, e)}
            return False, {"get_after_destroy": "succeeded"}
        return run
    if uid:
        step("destroy", destroy(uid))
    if sk_uid:
        step("destroy_symmetric_key_pre_active", destroy(sk_uid))
    if sd_uid:
        step("destroy_secret_data_pre_active", destroy(sd_uid))
    if oo_uid:
        step("destroy_opaque_object_pre_active", destroy(oo_uid))

    try:
        client.close()
    except Exception:
        pass
    os.unlink(conf.name)
    expected = 20
    if len(results) != expected:
        emit("all_steps_ran", False, {"ran": len(results), "expected": expected})
    return 0 if all(results) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SystemExit:
        raise
    except BaseException:
        print(json.dumps({"step": "driver", "ok": False, "detail": traceback.format_exc()}), flush=True)
        sys.exit(1)
