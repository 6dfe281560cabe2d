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
    from kmip.core import exceptions as core_exceptions
    from kmip.core import objects as cobjects
    from kmip.core.factories.attributes import AttributeFactory
    from kmip.pie import exceptions as pie_exceptions
    from kmip.pie import objects
    from kmip.pie.client import ProxyKmipClient
except Exception as e:  # pragma: no cover - reported to the test
    print(json.dumps({"step": "import", "ok": False,
                      "detail": "cannot import PyKMIP (apt-get install python3-pykmip): %r" % (e,)}))
    sys.exit(2)

try:
    # PyKMIP depends on python3-cryptography: used here to check that the key
    # material the server returns is a real key, and to make keys to register.
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import NameOID
except Exception as e:  # pragma: no cover - reported to the test
    print(json.dumps({"step": "import", "ok": False,
                      "detail": "cannot import cryptography (apt-get install python3-cryptography): %r" % (e,)}))
    sys.exit(2)

VERSIONS = {
    "1.2": enums.KMIPVersion.KMIP_1_2,
    "2.0": enums.KMIPVersion.KMIP_2_0,
}

results = []
emitted = []


def emit(step, ok, detail):
    results.append(ok)
    emitted.append(step)
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


def planned_steps(kmip_version):
    """Every step main() reports at this version, in order (the test holds the same lists)."""
    set_step = "set_attribute_refused_by_pykmip" if kmip_version == "1.2" else "set_attribute"
    return [
        "connect", "discover_versions", "query", "create", "get", "get_attributes", "get_attribute_list",
        "activate", "locate_by_name", "check",
        "register_symmetric_key", "get_registered_symmetric_key", "register_secret_data",
        "get_registered_secret_data", "register_opaque_object", "get_registered_opaque_object",
        "create_key_pair_rsa", "get_rsa_public_key", "get_rsa_private_key", "rsa_key_pair_matches",
        "create_key_pair_ec", "get_ec_public_key", "get_ec_private_key", "ec_key_pair_matches",
        "register_public_key", "get_registered_public_key", "register_private_key", "get_registered_private_key",
        "register_certificate", "get_registered_certificate",
        "create_in_object_group", "locate_by_object_group", "locate_by_object_type",
        "locate_by_cryptographic_algorithm", "locate_maximum_items",
        set_step, "modify_attribute", "delete_attribute",
        "rekey", "revoke", "destroy",
        "destroy_symmetric_key_pre_active", "destroy_secret_data_pre_active", "destroy_opaque_object_pre_active",
    ]


def attribute_values(client, uid, name):
    """The values of one attribute (text / integer / enumeration names)."""
    _, attrs = client.get_attributes(uid, [name])
    return [enum_name(getattr(a.attribute_value, "value", a.attribute_value))
            for a in attrs if a.attribute_name.value == name]


# --- raw TTLV, for what PyKMIP cannot decode --------------------------------
# PyKMIP 0.10 raises NotImplementedError when it meets a Link attribute in a
# response (kmip/core/factories/attribute_values.py), so the Re-key step sends
# Get Attributes through PyKMIP's own encoder and socket and reads the Link out
# of the response bytes with this small walker.
TAG_LINK = 0x42004A
TAG_LINK_TYPE = 0x42004B
TAG_LINKED_OBJECT_IDENTIFIER = 0x42004C
TAG_RESULT_STATUS = 0x42007F
TAG_ATTRIBUTE = 0x420008
TAG_ATTRIBUTE_NAME = 0x42000A
TAG_ATTRIBUTE_VALUE = 0x42000B
TYPE_STRUCTURE = 0x01


def ttlv_items(buf):
    off = 0
    while off + 8 <= len(buf):
        tag = int.from_bytes(buf[off:off + 3], "big")
        typ = buf[off + 3]
        length = int.from_bytes(buf[off + 4:off + 8], "big")
        yield tag, typ, buf[off + 8:off + 8 + length]
        off += 8 + length + (-length % 8)


def ttlv_find(buf, want):
    """Every item with tag `want`, at any depth, as (type, value bytes)."""
    out = []
    for tag, typ, val in ttlv_items(buf):
        if tag == want:
            out.append((typ, val))
        if typ == TYPE_STRUCTURE:
            out.extend(ttlv_find(val, want))
    return out


def raw_links(proxy, uid):
    """[(Link Type value, Linked Object Identifier)] of uid, and the Result Status values seen."""
    from kmip.core.enums import Operation as OperationEnum  # noqa: F401 (same enum as enums.Operation)
    item = proxy._build_get_attributes_batch_item(uid, ["Link"])
    proxy._send_message(proxy._build_request_message(None, [item]))
    buf = bytes(proxy._receive_message().buffer)
    statuses = [int.from_bytes(v[:4], "big") for _, v in ttlv_find(buf, TAG_RESULT_STATUS)]
    # 2.x: a Link structure; 1.x: an Attribute named "Link" whose Attribute Value holds the same fields.
    structures = [val for _, val in ttlv_find(buf, TAG_LINK)]
    for _, attr in ttlv_find(buf, TAG_ATTRIBUTE):
        fields = {tag: v for tag, _, v in ttlv_items(attr)}
        if fields.get(TAG_ATTRIBUTE_NAME, b"").rstrip(b"\0") == b"Link" and TAG_ATTRIBUTE_VALUE in fields:
            structures.append(fields[TAG_ATTRIBUTE_VALUE])
    links = []
    for val in structures:
        fields = {tag: v for tag, _, v in ttlv_items(val)}
        lt = fields.get(TAG_LINK_TYPE)
        lid = fields.get(TAG_LINKED_OBJECT_IDENTIFIER)
        if lt is not None and lid is not None:
            links.append((int.from_bytes(lt[:4], "big"), lid.decode("utf-8")))
    return links, statuses


def failure_reason(e):
    """(reason name, message) of a KMIP failure raised by the pie client or the proxy."""
    return enum_name(getattr(e, "reason", None)), str(getattr(e, "message", "") or "")


def rsa_pair_matches(private_der, public_der):
    """Both DER blobs load as RSA keys and the public key is the private key's."""
    priv = serialization.load_der_private_key(private_der, password=None)
    pub = serialization.load_der_public_key(public_der)
    return (isinstance(priv, rsa.RSAPrivateKey) and isinstance(pub, rsa.RSAPublicKey)
            and priv.public_key().public_numbers() == pub.public_numbers()), priv.key_size


def ec_pair_matches(private_der, public_der):
    priv = serialization.load_der_private_key(private_der, password=None)
    pub = serialization.load_der_public_key(public_der)
    return (isinstance(priv, ec.EllipticCurvePrivateKey) and isinstance(pub, ec.EllipticCurvePublicKey)
            and priv.curve.name == pub.curve.name == "secp256r1"
            and priv.public_key().public_numbers() == pub.public_numbers()), priv.curve.name


def self_signed_certificate(key, common_name):
    import datetime
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256())
            .public_bytes(serialization.Encoding.DER))


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

    # --- Check (1.4 §4.10): the key allows what it was created for ---
    def check():
        try:
            got = client.check(uid, cryptographic_usage_mask=[enums.CryptographicUsageMask.ENCRYPT,
                                                              enums.CryptographicUsageMask.DECRYPT])
        except AttributeError as e:
            # PyKMIP 0.10's proxy.check reads the response payload before the
            # Result Status, so a failed Check surfaces as this AttributeError.
            return False, "the server answered Check with a failure (no response payload; PyKMIP: %s)" % e
        return got == uid, {"uid": got}
    if uid:
        step("check", check)

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

    # --- Create Key Pair, and Get of both halves (the material must be real keys) ---
    def create_pair(alg, length, label):
        def run():
            pub, priv = client.create_key_pair(
                alg, length,
                public_name="%s-%s-pub" % (tag, label), public_usage_mask=[enums.CryptographicUsageMask.VERIFY],
                private_name="%s-%s-priv" % (tag, label), private_usage_mask=[enums.CryptographicUsageMask.SIGN])
            return (bool(pub) and bool(priv) and pub != priv), {"public": pub, "private": priv}
        return run

    def get_pair_half(uid_, cls, alg, length, fmt):
        def run():
            k = client.get(uid_)
            ok = (isinstance(k, cls) and k.cryptographic_algorithm == alg and k.cryptographic_length == length
                  and k.key_format_type == fmt)
            return ok, {"type": type(k).__name__, "alg": enum_name(k.cryptographic_algorithm),
                        "len": k.cryptographic_length, "format": enum_name(k.key_format_type), "bytes": len(k.value)}, k
        return run

    def pair_steps(label, alg, length, pub_fmt, priv_fmt, matches):
        pair = step("create_key_pair_" + label, create_pair(alg, length, label))
        if not pair:
            return None
        got = {}

        def half(kind, uid_, cls, fmt):
            def run():
                ok, detail, k = get_pair_half(uid_, cls, alg, length, fmt)()
                got[kind] = k.value
                return ok, detail
            return run
        step("get_%s_public_key" % label, half("public", pair["public"], objects.PublicKey, pub_fmt))
        step("get_%s_private_key" % label, half("private", pair["private"], objects.PrivateKey, priv_fmt))

        def match():
            ok, what = matches(got["private"], got["public"])
            return ok, {"loaded_with": "python3-cryptography", "key": what}
        if "public" in got and "private" in got:
            step("%s_key_pair_matches" % label, match)
        return pair

    # Keyhold keeps RSA keys in PKCS#1 and EC keys in PKCS#8 / X.509 (SubjectPublicKeyInfo).
    rsa_pair = pair_steps("rsa", enums.CryptographicAlgorithm.RSA, 2048,
                          enums.KeyFormatType.PKCS_1, enums.KeyFormatType.PKCS_1, rsa_pair_matches)
    ec_pair = pair_steps("ec", enums.CryptographicAlgorithm.EC, 256,
                         enums.KeyFormatType.X_509, enums.KeyFormatType.PKCS_8, ec_pair_matches)

    # --- Register a Public Key, a Private Key and an X.509 Certificate; Get them back byte-equal ---
    local_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    priv_der = local_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                                       serialization.NoEncryption())
    pub_der = local_key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    cert_der = self_signed_certificate(local_key, tag + "-cert")
    registered = {}

    def register_and_get(label, obj, cls, value):
        def reg():
            u = client.register(obj)
            registered[label] = u
            return bool(u), u

        def get_back():
            o = client.get(registered[label])
            return (isinstance(o, cls) and o.value == value), {"type": type(o).__name__, "bytes": len(o.value),
                                                               "equal": o.value == value}
        if step("register_" + label, reg):
            step("get_registered_" + label, get_back)

    register_and_get("public_key", objects.PublicKey(enums.CryptographicAlgorithm.RSA, 2048, pub_der,
                                                     enums.KeyFormatType.PKCS_1,
                                                     [enums.CryptographicUsageMask.VERIFY], tag + "-reg-pub"),
                     objects.PublicKey, pub_der)
    register_and_get("private_key", objects.PrivateKey(enums.CryptographicAlgorithm.RSA, 2048, priv_der,
                                                       enums.KeyFormatType.PKCS_1,
                                                       [enums.CryptographicUsageMask.SIGN], tag + "-reg-priv"),
                     objects.PrivateKey, priv_der)
    register_and_get("certificate", objects.X509Certificate(cert_der, name=tag + "-reg-cert"),
                     objects.X509Certificate, cert_der)

    # --- Locate by other criteria ---
    f = AttributeFactory()
    group = tag + "-group"
    contact = "pykmip interop"

    def create_in_group():
        # The pie client's create() takes no Object Group: build the template
        # with PyKMIP's own attribute factory and send it through its proxy.
        template = cobjects.TemplateAttribute(attributes=[
            f.create_attribute(enums.AttributeType.CRYPTOGRAPHIC_ALGORITHM, enums.CryptographicAlgorithm.AES),
            f.create_attribute(enums.AttributeType.CRYPTOGRAPHIC_LENGTH, 128),
            f.create_attribute(enums.AttributeType.CRYPTOGRAPHIC_USAGE_MASK, [enums.CryptographicUsageMask.ENCRYPT]),
            f.create_attribute(enums.AttributeType.OBJECT_GROUP, group),
            f.create_attribute(enums.AttributeType.CONTACT_INFORMATION, contact),
        ])
        r = proxy.create(enums.ObjectType.SYMMETRIC_KEY, template)
        if r.result_status.value != enums.ResultStatus.SUCCESS:
            return False, {"reason": enum_name(r.result_reason.value), "message": str(r.result_message)}
        return True, r.uuid
    gid = step("create_in_object_group", create_in_group)

    def locate_group():
        found = client.locate(attributes=[f.create_attribute(enums.AttributeType.OBJECT_GROUP, group)])
        return found == [gid], {"found": found, "expected": [gid]}
    if gid:
        step("locate_by_object_group", locate_group)

    # The server is shared with the other version's pass, so these check
    # membership both ways rather than an exact list.
    mine = {
        "public": [u for u in [rsa_pair and rsa_pair["public"], ec_pair and ec_pair["public"],
                               registered.get("public_key")] if u],
        "private": [u for u in [rsa_pair and rsa_pair["private"], ec_pair and ec_pair["private"],
                                registered.get("private_key")] if u],
        "other": [u for u in [uid, gid, registered.get("certificate")] if u],
    }

    def locate_type():
        found = client.locate(attributes=[f.create_attribute(enums.AttributeType.OBJECT_TYPE,
                                                             enums.ObjectType.PUBLIC_KEY)])
        ok = (len(mine["public"]) == 3 and all(u in found for u in mine["public"])
              and not any(u in found for u in mine["private"] + mine["other"]))
        return ok, {"found": len(found), "expected_in": mine["public"]}
    step("locate_by_object_type", locate_type)

    def locate_alg():
        found = client.locate(attributes=[f.create_attribute(enums.AttributeType.CRYPTOGRAPHIC_ALGORITHM,
                                                             enums.CryptographicAlgorithm.EC)])
        want = [ec_pair["public"], ec_pair["private"]] if ec_pair else []
        rsa_ids = mine["public"] + mine["private"]
        ok = bool(want) and all(u in found for u in want) and not any(u in found for u in rsa_ids if u not in want)
        return ok, {"found": len(found), "expected_in": want}
    step("locate_by_cryptographic_algorithm", locate_alg)

    def locate_max():
        found = client.locate(maximum_items=1, attributes=[
            f.create_attribute(enums.AttributeType.OBJECT_TYPE, enums.ObjectType.PUBLIC_KEY)])
        return len(found) == 1, {"found": found}
    step("locate_maximum_items", locate_max)

    # --- Set / Modify / Delete Attribute on the grouped key's Contact Information ---
    def set_attr():
        client.set_attribute(gid, attribute_name="Contact Information", attribute_value="set by pykmip")
        v = attribute_values(client, gid, "Contact Information")
        return v == ["set by pykmip"], {"contact": v}

    def set_attr_refused():
        # PyKMIP's SetAttributeRequestPayload.write raises VersionNotSupported
        # below KMIP 2.0 (Set Attribute is a 2.x operation): nothing is sent.
        try:
            client.set_attribute(gid, attribute_name="Contact Information", attribute_value="never sent")
        except core_exceptions.VersionNotSupported as e:
            v = attribute_values(client, gid, "Contact Information")
            return v == [contact], {"pykmip": "VersionNotSupported: %s" % e, "contact_unchanged": v}
        return False, "PyKMIP sent Set Attribute at KMIP 1.2"

    def modify_attr():
        if version < enums.KMIPVersion.KMIP_2_0:
            got_uid, _ = client.modify_attribute(
                gid, attribute=f.create_attribute(enums.AttributeType.CONTACT_INFORMATION, "modified by pykmip"))
        else:
            value = client.attribute_value_factory.create_attribute_value_by_enum(
                enums.Tags.CONTACT_INFORMATION, "modified by pykmip")
            got_uid, _ = client.modify_attribute(gid, new_attribute=cobjects.NewAttribute(attribute=value))
        v = attribute_values(client, gid, "Contact Information")
        return got_uid == gid and v == ["modified by pykmip"], {"uid": got_uid, "contact": v}

    def delete_attr():
        if version < enums.KMIPVersion.KMIP_2_0:
            got_uid, _ = client.delete_attribute(gid, attribute_name="Contact Information", attribute_index=0)
        else:
            # By Current Attribute (the value to delete). PyKMIP's other 2.0 form,
            # its AttributeReference, is the vendor-attribute structure (Vendor
            # Identification + name), not the Enumeration that names a standard
            # attribute (2.1 §5.5), so it cannot name Contact Information.
            value = client.attribute_value_factory.create_attribute_value_by_enum(
                enums.Tags.CONTACT_INFORMATION, "modified by pykmip")
            got_uid, _ = client.delete_attribute(gid, current_attribute=cobjects.CurrentAttribute(attribute=value))
        v = attribute_values(client, gid, "Contact Information")
        return got_uid == gid and v == [], {"uid": got_uid, "contact": v}

    if gid:
        if version < enums.KMIPVersion.KMIP_2_0:
            step("set_attribute_refused_by_pykmip", set_attr_refused)
        else:
            step("set_attribute", set_attr)
        step("modify_attribute", modify_attr)
        step("delete_attribute", delete_attr)

    # --- Cryptographic services: not implemented by the server yet ---
    # --- Re-key (1.4 §4.4): a new key; Replacement Object Link old → new, Replaced Object Link new → old ---
    def rekey():
        new_uid = client.rekey(uid=uid)
        old_links, old_status = raw_links(proxy, uid)
        new_links, new_status = raw_links(proxy, new_uid)
        replacement = [lid for lt, lid in old_links if lt == enums.LinkType.REPLACEMENT_OBJECT_LINK.value]
        replaced = [lid for lt, lid in new_links if lt == enums.LinkType.REPLACED_OBJECT_LINK.value]
        ok = (bool(new_uid) and new_uid != uid and old_status == [0] and new_status == [0]
              and replacement == [new_uid] and replaced == [uid])
        return ok, {"new": new_uid, "old": uid, "old_links": old_links, "new_links": new_links}
    if uid:
        step("rekey", rekey)

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
    planned = planned_steps(args.kmip_version)
    missing = [n for n in planned if n not in emitted]
    if missing or len(emitted) != len(planned):
        emit("all_steps_ran", False, {"missing": missing, "ran": len(emitted), "planned": len(planned)})
    return 0 if all(results) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SystemExit:
        raise
    except BaseException:
        print(json.dumps({"step": "driver", "ok": False, "detail": traceback.format_exc()}), flush=True)
        sys.exit(1)
