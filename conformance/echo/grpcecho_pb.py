"""Message classes for gateway_api_conformance.echo_basic.grpcecho (upstream grpcecho.proto),
built at run time from a descriptor so no protoc output is needed."""

from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

PACKAGE = "gateway_api_conformance.echo_basic.grpcecho"
SERVICE = f"{PACKAGE}.GrpcEcho"
METHODS = ("Echo", "EchoTwo", "EchoThree")

_F = descriptor_pb2.FieldDescriptorProto
_STRING, _MESSAGE = _F.TYPE_STRING, _F.TYPE_MESSAGE
_OPTIONAL, _REPEATED = _F.LABEL_OPTIONAL, _F.LABEL_REPEATED

# name -> [(field, number, type, label, message type)]
_MESSAGES = {
    "Header": [("key", 1, _STRING, _OPTIONAL, None), ("value", 2, _STRING, _OPTIONAL, None)],
    "Context": [
        ("namespace", 1, _STRING, _OPTIONAL, None),
        ("ingress", 2, _STRING, _OPTIONAL, None),
        ("service_name", 3, _STRING, _OPTIONAL, None),
        ("pod", 4, _STRING, _OPTIONAL, None),
    ],
    "TLSAssertions": [
        ("version", 1, _STRING, _OPTIONAL, None),
        ("negotiated_protocol", 2, _STRING, _OPTIONAL, None),
        ("server_name", 3, _STRING, _OPTIONAL, None),
        ("cipher_suite", 4, _STRING, _OPTIONAL, None),
        ("peer_certificates", 5, _STRING, _REPEATED, None),
    ],
    "Assertions": [
        ("fully_qualified_method", 1, _STRING, _OPTIONAL, None),
        ("headers", 2, _MESSAGE, _REPEATED, "Header"),
        ("authority", 3, _STRING, _OPTIONAL, None),
        ("context", 4, _MESSAGE, _OPTIONAL, "Context"),
        ("tls_assertions", 5, _MESSAGE, _OPTIONAL, "TLSAssertions"),
    ],
    "EchoRequest": [],
    "EchoResponse": [
        ("assertions", 1, _MESSAGE, _OPTIONAL, "Assertions"),
        ("request", 2, _MESSAGE, _OPTIONAL, "EchoRequest"),
    ],
}


def _build():
    fdp = descriptor_pb2.FileDescriptorProto(name="grpcecho.proto", package=PACKAGE, syntax="proto3")
    for name, fields in _MESSAGES.items():
        msg = fdp.message_type.add(name=name)
        for fname, number, ftype, label, type_name in fields:
            field = msg.field.add(name=fname, number=number, type=ftype, label=label)
            if type_name:
                field.type_name = f".{PACKAGE}.{type_name}"
    svc = fdp.service.add(name="GrpcEcho")
    for method in METHODS:
        svc.method.add(name=method, input_type=f".{PACKAGE}.EchoRequest", output_type=f".{PACKAGE}.EchoResponse")
    # A private pool keeps us clear of any other definition loaded into the default one.
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(fdp.SerializeToString())
    factory = message_factory.MessageFactory(pool)
    return {name: factory.GetPrototype(pool.FindMessageTypeByName(f"{PACKAGE}.{name}")) for name in _MESSAGES}


_CLASSES = _build()
Header = _CLASSES["Header"]
Context = _CLASSES["Context"]
TLSAssertions = _CLASSES["TLSAssertions"]
Assertions = _CLASSES["Assertions"]
EchoRequest = _CLASSES["EchoRequest"]
EchoResponse = _CLASSES["EchoResponse"]


def to_dict(message) -> dict:
    """Message -> dict with proto field names, empty fields included."""
    return json_format.MessageToDict(message, preserving_proto_field_name=True, including_default_value_fields=True)
