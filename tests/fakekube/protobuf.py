"""Request bodies in application/vnd.kubernetes.protobuf.

kubectl's typed `create` commands (create serviceaccount/role/rolebinding/namespace/secret/
configmap, create token, auth can-i) send protobuf; responses may be JSON because they also accept
it. Without the .proto files, the messages those commands send are described here field by field
(numbers from the k8s.io/api generated.proto files). Other kinds get 415, as a server that cannot
decode them would answer."""

from __future__ import annotations

import base64
from typing import Any

from .errors import ApiError

MAGIC = b"k8s\x00"

# A schema maps field number -> (json name, type, repeated). Types: "string", "bytes", "int",
# "bool", ("map", value type), or a nested schema dict.
OBJECT_META = {1: ("name", "string", False), 2: ("generateName", "string", False),
               3: ("namespace", "string", False), 5: ("uid", "string", False),
               6: ("resourceVersion", "string", False), 11: ("labels", ("map", "string"), False),
               12: ("annotations", ("map", "string"), False), 14: ("finalizers", "string", True)}
LOCAL_REF = {1: ("name", "string", False)}
OBJECT_REF = {1: ("kind", "string", False), 2: ("namespace", "string", False), 3: ("name", "string", False)}
POLICY_RULE = {1: ("verbs", "string", True), 2: ("apiGroups", "string", True), 3: ("resources", "string", True),
               4: ("resourceNames", "string", True), 5: ("nonResourceURLs", "string", True)}
SUBJECT = {1: ("kind", "string", False), 2: ("apiGroup", "string", False), 3: ("name", "string", False),
           4: ("namespace", "string", False)}
ROLE_REF = {1: ("apiGroup", "string", False), 2: ("kind", "string", False), 3: ("name", "string", False)}
BOUND_REF = {1: ("kind", "string", False), 2: ("apiVersion", "string", False), 3: ("name", "string", False),
             4: ("uid", "string", False)}
RESOURCE_ATTRS = {1: ("namespace", "string", False), 2: ("verb", "string", False), 3: ("group", "string", False),
                  4: ("version", "string", False), 5: ("resource", "string", False),
                  6: ("subresource", "string", False), 7: ("name", "string", False)}
NON_RESOURCE_ATTRS = {1: ("path", "string", False), 2: ("verb", "string", False)}

KINDS = {
    ("v1", "ServiceAccount"): {1: ("metadata", OBJECT_META, False), 2: ("secrets", OBJECT_REF, True),
                               3: ("imagePullSecrets", LOCAL_REF, True),
                               4: ("automountServiceAccountToken", "bool", False)},
    ("v1", "Namespace"): {1: ("metadata", OBJECT_META, False), 2: ("spec", {1: ("finalizers", "string", True)}, False)},
    ("v1", "ConfigMap"): {1: ("metadata", OBJECT_META, False), 2: ("data", ("map", "string"), False),
                          3: ("binaryData", ("map", "bytes"), False), 4: ("immutable", "bool", False)},
    ("v1", "Secret"): {1: ("metadata", OBJECT_META, False), 2: ("data", ("map", "bytes"), False),
                       3: ("type", "string", False), 4: ("stringData", ("map", "string"), False),
                       5: ("immutable", "bool", False)},
    ("rbac.authorization.k8s.io/v1", "Role"): {1: ("metadata", OBJECT_META, False), 2: ("rules", POLICY_RULE, True)},
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): {1: ("metadata", OBJECT_META, False),
                                                      2: ("rules", POLICY_RULE, True)},
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): {1: ("metadata", OBJECT_META, False),
                                                      2: ("subjects", SUBJECT, True), 3: ("roleRef", ROLE_REF, False)},
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): {1: ("metadata", OBJECT_META, False),
                                                             2: ("subjects", SUBJECT, True),
                                                             3: ("roleRef", ROLE_REF, False)},
    ("authentication.k8s.io/v1", "TokenRequest"): {
        1: ("metadata", OBJECT_META, False),
        2: ("spec", {1: ("audiences", "string", True), 3: ("boundObjectRef", BOUND_REF, False),
                     4: ("expirationSeconds", "int", False)}, False)},
    ("authorization.k8s.io/v1", "SelfSubjectAccessReview"): {
        1: ("metadata", OBJECT_META, False),
        2: ("spec", {1: ("resourceAttributes", RESOURCE_ATTRS, False),
                     2: ("nonResourceAttributes", NON_RESOURCE_ATTRS, False)}, False)},
    ("authentication.k8s.io/v1", "SelfSubjectReview"): {1: ("metadata", OBJECT_META, False)},
}
UNKNOWN = {1: ("typeMeta", {1: ("apiVersion", "string", False), 2: ("kind", "string", False)}, False),
           2: ("raw", "bytes", False)}


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _fields(data: bytes):
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            length, pos = _varint(data, pos)
            value, pos = data[pos:pos + length], pos + length
        elif wire == 1:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire == 5:
            value, pos = data[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        yield number, value


def _scalar(kind: str, value: Any) -> Any:
    if kind == "string":
        return value.decode()
    if kind == "bytes":
        return base64.b64encode(value).decode()  # JSON carries bytes as base64, as the real server does
    if kind == "bool":
        return bool(value)
    return value


def decode_message(data: bytes, schema: dict) -> dict:
    out: dict = {}
    for number, value in _fields(data):
        if number not in schema:
            continue  # fields the fake does not model (status, timestamps the server sets itself)
        name, kind, repeated = schema[number]
        if isinstance(kind, tuple):  # map entry: key=1, value=2
            entry = dict(_fields(value))
            out.setdefault(name, {})[entry.get(1, b"").decode()] = _scalar(kind[1], entry.get(2, b""))
            continue
        decoded = decode_message(value, kind) if isinstance(kind, dict) else _scalar(kind, value)
        if decoded == "" and not repeated:
            continue  # Go always encodes empty strings; its JSON form omits them
        if repeated:
            out.setdefault(name, []).append(decoded)
        else:
            out[name] = decoded
    return out


def decode(body: bytes) -> dict:
    """A JSON-shaped object from a protobuf request body."""
    try:
        if not body.startswith(MAGIC):
            raise ValueError("missing k8s protobuf magic")
        envelope = decode_message(body[len(MAGIC):], UNKNOWN)
        type_meta = envelope.get("typeMeta") or {}
        api_version, kind = type_meta.get("apiVersion", ""), type_meta.get("kind", "")
        schema = KINDS.get((api_version, kind))
        if schema is None:
            raise ApiError(415, "UnsupportedMediaType", f"fakekube cannot decode {api_version} {kind} from "
                           "protobuf; send application/json", {})
        obj = decode_message(base64.b64decode(envelope.get("raw", "")), schema)
    except (ValueError, IndexError, UnicodeDecodeError) as e:
        raise ApiError(400, "BadRequest", f"error decoding protobuf request body: {e}", {}) from None
    return {"apiVersion": api_version, "kind": kind, **obj}
