"""TCP and UDP echo modes (echo-basic's tcpserver and udpechoserver)."""

from __future__ import annotations

import asyncio
import socket
import struct

from common import EchoLog, PodContext, TLSInfo, format_addr, go_json

WELCOME = b"Gateway API Test TCP Server\n"
MAX_LINE = 64 * 1024  # bufio.Scanner's default token limit
UDP_READ = 1024  # upstream reads datagrams into a 1 KiB buffer


class TcpEcho:
    def __init__(self, ctx: PodContext, log: EchoLog, tcp_port: str, tls_port: str, reset: bool = False):
        self.ctx = ctx
        self.log = log
        self.tcp_port = tcp_port
        self.tls_port = tls_port
        self.reset = reset

    def _payload(self, tls) -> bytes:
        body = {
            "namespace": self.ctx.namespace,
            "ingress": self.ctx.ingress,
            "service": self.ctx.service,
            "pod": self.ctx.pod,
            "tcpport": self.tcp_port,
        }
        if self.tls_port:
            body["tlsport"] = self.tls_port
        body["isTLS"] = tls is not None
        if tls is not None:
            t = {"version": tls.go_version_name(), "serverName": tls.server_name}
            if tls.negotiated_protocol:
                t["negotiatedProtocol"] = tls.negotiated_protocol
            # "curves" is omitted: Python 3.11's ssl module cannot report the negotiated group.
            t["cipherSuite"] = tls.cipher_suite
            body["tls"] = t
        return go_json(body)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if self.reset:
                sock = writer.get_extra_info("socket")
                if sock is not None and writer.get_extra_info("ssl_object") is None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    writer.transport.abort()
                    return
                writer.close()
                return
            ssl_obj = writer.get_extra_info("ssl_object")
            tls = TLSInfo.from_ssl_object(ssl_obj) if ssl_obj is not None else None
            test_line = self._payload(tls) + b"\n"
            writer.write(WELCOME)
            await writer.drain()
            while True:
                try:
                    line = await reader.readuntil(b"\n")
                except asyncio.IncompleteReadError as e:
                    line = e.partial  # Scanner also yields a final unterminated line
                    if not line:
                        break
                except asyncio.LimitOverrunError:
                    break  # Scanner gives up on overlong lines and the connection closes
                text = line.rstrip(b"\n")
                if text.endswith(b"\r"):
                    text = text[:-1]
                if text == b"TEST":
                    writer.write(test_line)
                elif text == b"IS_TLS":
                    writer.write(b"true\n" if tls is not None else b"false\n")
                elif text == b"PING":
                    writer.write(b"PONG\n")
                await writer.drain()
                if not line.endswith(b"\n"):
                    break
        except (ConnectionError, OSError):
            pass
        finally:
            if not writer.is_closing():
                writer.close()


class UdpEcho(asyncio.DatagramProtocol):
    def __init__(self, ctx: PodContext, log: EchoLog):
        self.ctx = ctx
        self.log = log
        self.transport = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        data = data[:UDP_READ]
        self.log.info(f"Received UDP {data.decode('utf-8', 'replace')} from {format_addr(addr)}")
        reply = go_json({
            "request": data.decode("utf-8", "replace"),
            "namespace": self.ctx.namespace,
            "ingress": self.ctx.ingress,
            "service": self.ctx.service,
            "pod": self.ctx.pod,
        })
        try:
            self.transport.sendto(reply, addr)
        except OSError:
            pass

    def error_received(self, exc) -> None:
        pass
