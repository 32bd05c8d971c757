"""gRPC echo (GrpcEcho service) on top of the h2 transport, following grpc-go's server behaviour."""

from __future__ import annotations

import asyncio
import base64
import struct

import h2.errors

import grpcecho_pb as pb
from common import EchoLog, PodContext, TLSInfo, format_addr
from http2 import PREFACE, H2Connection

MAX_MESSAGE = 4 << 20  # grpc-go's default receive limit

OK, UNKNOWN, RESOURCE_EXHAUSTED, UNIMPLEMENTED, INTERNAL = 0, 2, 8, 12, 13

# Not part of the metadata grpc-go hands to handlers (pseudo-headers other than :authority are dropped too).
_RESERVED = {"te", "grpc-timeout", "grpc-encoding", "grpc-message-type", "grpc-message", "grpc-status",
             "grpc-status-details-bin"}


def _encode_grpc_message(msg: str) -> bytes:
    """grpc-message percent-encoding (everything outside printable ASCII, and '%')."""
    out = bytearray()
    for b in msg.encode("utf-8"):
        if 0x20 <= b <= 0x7E and b != 0x25:
            out.append(b)
        else:
            out += b"%%%02X" % b
    return bytes(out)


class GrpcEchoServer:
    def __init__(self, ctx: PodContext, log: EchoLog):
        self.ctx = ctx
        self.log = log

    async def serve_connection(self, reader, writer) -> None:
        ssl_obj = writer.get_extra_info("ssl_object")
        tls = TLSInfo.from_ssl_object(ssl_obj) if ssl_obj is not None else None
        remote = format_addr(writer.get_extra_info("peername"))
        try:
            preface = await asyncio.wait_for(reader.readexactly(len(PREFACE)), 30)
        except (asyncio.IncompleteReadError, asyncio.TimeoutError, ConnectionError, OSError):
            writer.close()
            return
        if preface != PREFACE:
            self.log.info(f"grpc: bogus greeting from client {remote}")
            writer.close()
            return

        async def handle(h2c: H2Connection, stream_id: int, headers: list, body: bytes) -> None:
            await self._handle_stream(h2c, stream_id, headers, body, tls)

        await H2Connection(reader, writer, handle, max_body=MAX_MESSAGE + 5).run(preface=preface)

    async def _handle_stream(self, h2c: H2Connection, stream_id: int, headers: list, body: bytes, tls) -> None:
        pseudo, metadata = {}, []
        content_type, encoding = "", ""
        for name, value in headers:
            n = name.decode("latin-1")
            v = value.decode("utf-8", "replace")
            if n.startswith(":"):
                pseudo[n] = v
                if n == ":authority":
                    metadata.append((n, v))
                continue
            if n == "content-type":
                content_type = v
            elif n == "grpc-encoding":
                encoding = v
            if n in _RESERVED:
                continue
            if n.endswith("-bin"):
                try:
                    v = base64.b64decode(v + "=" * (-len(v) % 4)).decode("utf-8", "replace")
                except ValueError:
                    pass
            metadata.append((n, v))

        if pseudo.get(":method") != "POST":
            h2c.reset(stream_id, h2.errors.ErrorCodes.PROTOCOL_ERROR)
            return
        if not (content_type == "application/grpc" or content_type.startswith(("application/grpc+",
                                                                               "application/grpc;"))):
            await self._finish(h2c, stream_id, INTERNAL,
                               f"invalid gRPC request content-type {content_type!r}", http_status=415)
            return

        path = pseudo.get(":path", "")
        full = path[1:] if path.startswith("/") else path
        service, sep, method = full.rpartition("/")
        if not sep:
            await self._finish(h2c, stream_id, UNIMPLEMENTED, f"malformed method name: {path!r}")
            return
        if service != pb.SERVICE:
            await self._finish(h2c, stream_id, UNIMPLEMENTED, f"unknown service {service}")
            return
        if method not in pb.METHODS:
            await self._finish(h2c, stream_id, UNIMPLEMENTED, f"unknown method {method} for service {service}")
            return

        code, msg = self._check_request(body, encoding)
        if code != OK:
            await self._finish(h2c, stream_id, code, msg)
            return
        if method == "EchoThree":
            await self._finish(h2c, stream_id, UNIMPLEMENTED, "method EchoThree not implemented")
            return

        self.log.info(f"Received over {'TLS' if tls else 'plaintext'}: {path}")
        resp = pb.EchoResponse()
        a = resp.assertions
        a.fully_qualified_method = f"/{service}/{method}"
        for key, value in metadata:
            a.headers.add(key=key, value=value)
            if key == ":authority":
                a.authority = value
        a.context.namespace = self.ctx.namespace
        a.context.ingress = self.ctx.ingress
        a.context.service_name = self.ctx.service
        a.context.pod = self.ctx.pod
        if tls is not None:
            t = a.tls_assertions
            t.version = tls.version
            t.negotiated_protocol = tls.negotiated_protocol
            t.server_name = tls.server_name
            t.cipher_suite = tls.cipher_suite
            t.peer_certificates.extend(tls.peer_certificates)
        payload = resp.SerializeToString()
        await h2c.send(
            stream_id,
            [(b":status", b"200"), (b"content-type", b"application/grpc")],
            b"\x00" + struct.pack("!I", len(payload)) + payload,
            trailers=[(b"grpc-status", b"0"), (b"grpc-message", b"")],
        )

    @staticmethod
    def _check_request(body: bytes, encoding: str):
        """Validates the single length-prefixed EchoRequest of a unary call."""
        if not body:
            return UNKNOWN, "EOF"
        if len(body) < 5:
            return INTERNAL, "unexpected EOF"
        compressed, length = body[0], struct.unpack("!I", body[1:5])[0]
        if length > MAX_MESSAGE:
            return RESOURCE_EXHAUSTED, f"grpc: received message larger than max ({length} vs. {MAX_MESSAGE})"
        if len(body) != 5 + length:
            return INTERNAL, "unexpected EOF" if len(body) < 5 + length else "grpc: too many messages in unary call"
        if compressed:
            if encoding in ("", "identity"):
                return INTERNAL, "grpc: compressed flag set with identity or empty encoding"
            return UNIMPLEMENTED, f'grpc: Decompressor is not installed for grpc-encoding "{encoding}"'
        try:
            pb.EchoRequest.FromString(body[5:])
        except Exception as e:  # protobuf raises DecodeError or RuntimeWarning-like errors
            return INTERNAL, f"grpc: error unmarshalling request: {e}"
        return OK, ""

    @staticmethod
    async def _finish(h2c: H2Connection, stream_id: int, code: int, message: str, http_status: int = 200) -> None:
        """Trailers-only response carrying a non-OK status."""
        await h2c.send(stream_id, [
            (b":status", str(http_status).encode()),
            (b"content-type", b"application/grpc"),
            (b"grpc-status", str(code).encode()),
            (b"grpc-message", _encode_grpc_message(message)),
        ])
