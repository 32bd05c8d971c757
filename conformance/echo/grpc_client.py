#!/usr/bin/python3
"""gRPC client for the GrpcEcho service, for the conformance runner and tests (python3-grpcio).

Import as `conformance.echo.grpc_client` (repository root on sys.path) or as `grpc_client`
(conformance/echo on sys.path); importing it does not modify sys.path.

    call(target, method, *, authority=None, metadata=None, timeout=10.0, tls=None) -> EchoResult
        One unary call on a fresh channel.

    EchoClient(target, *, authority=None, tls=None)      # one channel, reused by .call()
        .call(method, *, metadata=None, timeout=10.0) -> EchoResult
        .close()                                           # also a context manager

    TLSOptions(root_pem: bytes, server_name: str | None = None,
               cert_pem: bytes | None = None, key_pem: bytes | None = None)

target     "host:port" (h2c unless tls is given).
method     "Echo" | "EchoTwo" | "EchoThree", or a full "<package.Service>/<Method>"
           (e.g. "gateway_api_conformance.echo_basic.grpcecho.GrpcEcho/Echo"), with or without
           the leading "/".
authority  overrides :authority (channel option grpc.default_authority).
metadata   {key: value} or [(key, value)], keys lower-case.
tls        TLSOptions: trusted root(s), optional SNI/host-name override and client certificate.

EchoResult fields (it also unpacks as `code, assertions = call(...)`):
    code        canonical status name: "OK", "UNIMPLEMENTED", "DEADLINE_EXCEEDED", ...
    details     status message ("" on OK)
    response    EchoResponse as a dict with proto field names, or None when code != "OK":
                {"assertions": {"fully_qualified_method", "headers": [{"key", "value"}], "authority",
                                "context": {"namespace", "ingress", "service_name", "pod"},
                                "tls_assertions": {...}}}
    assertions  response["assertions"] or {}
    pod / namespace / fully_qualified_method    shortcuts into assertions
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import Optional

import grpc

try:  # imported as conformance.echo.grpc_client: leave sys.path alone
    from . import grpcecho_pb as pb
except ImportError:  # run as a script, or conformance/echo is on sys.path
    import grpcecho_pb as pb


@dataclass
class TLSOptions:
    root_pem: bytes
    server_name: Optional[str] = None
    cert_pem: Optional[bytes] = None
    key_pem: Optional[bytes] = None


@dataclass
class EchoResult:
    code: str
    details: str = ""
    response: Optional[dict] = None

    def __iter__(self):
        """Unpacks as `code, assertions = call(...)`."""
        return iter((self.code, self.assertions))

    @property
    def ok(self) -> bool:
        return self.code == "OK"

    @property
    def assertions(self) -> dict:
        return (self.response or {}).get("assertions", {}) or {}

    @property
    def context(self) -> dict:
        return self.assertions.get("context", {}) or {}

    @property
    def pod(self) -> str:
        return self.context.get("pod", "")

    @property
    def namespace(self) -> str:
        return self.context.get("namespace", "")

    @property
    def fully_qualified_method(self) -> str:
        return self.assertions.get("fully_qualified_method", "")


def full_method(method: str) -> str:
    """"Echo" -> "/<service>/Echo"; "pkg.Svc/M" or "/pkg.Svc/M" -> "/pkg.Svc/M"."""
    method = method.lstrip("/")
    if "/" not in method:
        method = f"{pb.SERVICE}/{method}"
    return "/" + method


def _as_bytes(pem) -> Optional[bytes]:
    if pem is None:
        return None
    return pem.encode() if isinstance(pem, str) else pem


class EchoClient:
    def __init__(self, target: str, *, authority: Optional[str] = None, tls: Optional[TLSOptions] = None):
        options = [("grpc.enable_http_proxy", 0), ("grpc.enable_retries", 0)]
        if authority:
            options.append(("grpc.default_authority", authority))
        if tls is None:
            self.channel = grpc.insecure_channel(target, options=options)
        else:
            if tls.server_name:
                options.append(("grpc.ssl_target_name_override", tls.server_name))
            creds = grpc.ssl_channel_credentials(
                root_certificates=_as_bytes(tls.root_pem),
                private_key=_as_bytes(tls.key_pem),
                certificate_chain=_as_bytes(tls.cert_pem),
            )
            self.channel = grpc.secure_channel(target, creds, options=options)

    def call(self, method: str, *, metadata=None, timeout: float = 10.0) -> EchoResult:
        stub = self.channel.unary_unary(
            full_method(method),
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=pb.EchoResponse.FromString,
        )
        md = list(metadata.items()) if isinstance(metadata, dict) else list(metadata or [])
        try:
            resp = stub(pb.EchoRequest(), metadata=md or None, timeout=timeout)
        except grpc.RpcError as e:
            code = e.code() if hasattr(e, "code") else grpc.StatusCode.UNKNOWN
            details = e.details() if hasattr(e, "details") else str(e)
            return EchoResult(code=code.name, details=details or "")
        return EchoResult(code="OK", response=pb.to_dict(resp))

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> "EchoClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def call(target: str, method: str, *, authority: Optional[str] = None, metadata=None,
         timeout: float = 10.0, tls: Optional[TLSOptions] = None) -> EchoResult:
    with EchoClient(target, authority=authority, tls=tls) as client:
        return client.call(method, metadata=metadata, timeout=timeout)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Call the GrpcEcho service and print the result as JSON.")
    parser.add_argument("target")
    parser.add_argument("method", nargs="?", default="Echo")
    parser.add_argument("--authority")
    parser.add_argument("-H", "--metadata", action="append", default=[], help="key=value")
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--cacert", help="PEM file of trusted roots; enables TLS")
    parser.add_argument("--sni")
    args = parser.parse_args(argv)
    tls = None
    if args.cacert:
        with open(args.cacert, "rb") as f:
            tls = TLSOptions(root_pem=f.read(), server_name=args.sni)
    md = [tuple(kv.split("=", 1)) for kv in args.metadata]
    result = call(args.target, args.method, authority=args.authority, metadata=md, timeout=args.timeout, tls=tls)
    print(json.dumps({"code": result.code, "details": result.details, "response": result.response}, indent=1))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
