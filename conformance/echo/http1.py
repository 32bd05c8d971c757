"""HTTP/1.x front end: request parsing, keep-alive, chunked bodies, h2c upgrade and prior knowledge,
WebSocket hand-off. Error statuses follow Go's net/http server."""

from __future__ import annotations

import asyncio
import base64
import re
import socket
import struct
import urllib.parse
from typing import Optional

import http2
import websocket
from common import TLSInfo, format_addr, is_token
from http_app import ACTION_RESET, ACTION_WEBSOCKET, EchoApp, Request, Response

MAX_HEADER_BYTES = 1 << 20  # Go's DefaultMaxHeaderBytes
MAX_UPGRADE_BODY = 1 << 20  # body we are willing to buffer for an h2c upgrade request
IDLE_TIMEOUT = 600.0
H2_PREFACE_TAIL = b"SM\r\n\r\n"

_CTL_IN_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_CTL_IN_URI = re.compile(r"[\x00-\x20\x7f]")


class BadRequest(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class _Head:
    def __init__(self, method, target, version, headers):
        self.method = method
        self.target = target
        self.version = version  # (major, minor)
        self.headers = headers  # [(name, value)]

    def values(self, name: str) -> list:
        lname = name.lower()
        return [v for k, v in self.headers if k.lower() == lname]

    def tokens(self, name: str) -> list:
        return [t.strip().lower() for v in self.values(name) for t in v.split(",") if t.strip()]


class Http1Connection:
    """One client connection on an HTTP/1.1 port.

    h2c_upgrade: honour `Upgrade: h2c`; prior_knowledge: accept the HTTP/2 preface.
    """

    def __init__(self, reader, writer, app: EchoApp, *, h2c_upgrade: bool, prior_knowledge: bool):
        self.reader = reader
        self.writer = writer
        self.app = app
        self.h2c_upgrade = h2c_upgrade
        self.prior_knowledge = prior_knowledge
        self.remote = format_addr(writer.get_extra_info("peername"))
        ssl_obj = writer.get_extra_info("ssl_object")
        self.tls = TLSInfo.from_ssl_object(ssl_obj) if ssl_obj is not None else None

    async def run(self) -> None:
        try:
            await self._serve()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.TimeoutError, OSError):
            pass
        finally:
            if not self.writer.is_closing():
                self.writer.close()

    async def _serve(self) -> None:
        first = True
        while True:
            try:
                head = await asyncio.wait_for(self._read_head(), IDLE_TIMEOUT)
            except BadRequest as e:
                await self._write_error(e.status, e.message)
                return
            if head is None:
                return

            if head.method == "PRI" and head.target == "*" and head.version == (2, 0):
                if not (first and self.prior_knowledge):
                    await self._write_error(505, "unsupported protocol version")
                    return
                tail = await self.reader.readexactly(len(H2_PREFACE_TAIL))
                if tail != H2_PREFACE_TAIL:
                    return
                await http2.serve_http(self.reader, self.writer, self.app, self.remote, self.tls,
                                       preface=http2.PREFACE)
                return
            first = False

            try:
                req, keep_alive = self._build_request(head)
                length, chunked = self._body_framing(head)
            except BadRequest as e:
                await self._write_error(e.status, e.message)
                return

            if head.version >= (1, 1) and "100-continue" in head.tokens("Expect") and (chunked or length):
                self.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            upgrade = self._wants_h2c_upgrade(head)
            try:
                body = await self._read_body(length, chunked, keep=MAX_UPGRADE_BODY if upgrade else 0)
            except BadRequest as e:
                await self._write_error(e.status, e.message)
                return

            if upgrade is not None and body is not None:
                await self._upgrade_to_h2(req, upgrade, body)
                return

            resp = await self.app.handle(req)
            if resp.action == ACTION_RESET:
                self._reset()
                return
            if resp.action == ACTION_WEBSOCKET:
                await self._websocket(req)
                return
            keep_alive = await self._write_response(req, resp, keep_alive)
            if not keep_alive:
                return

    # --- parsing ---------------------------------------------------------------

    async def _read_line(self, budget: list) -> bytes:
        try:
            line = await self.reader.readuntil(b"\n")
        except asyncio.LimitOverrunError:
            raise BadRequest(431, "Request Header Fields Too Large")
        except asyncio.IncompleteReadError as e:
            if e.partial:
                raise BadRequest(400, "unexpected EOF")
            raise
        budget[0] -= len(line)
        if budget[0] < 0:
            raise BadRequest(431, "Request Header Fields Too Large")
        return line[:-2] if line.endswith(b"\r\n") else line[:-1]

    async def _read_head(self) -> Optional[_Head]:
        budget = [MAX_HEADER_BYTES + 4096]
        try:
            line = await self._read_line(budget)
            while line == b"":  # tolerate stray CRLFs between requests
                line = await self._read_line(budget)
        except asyncio.IncompleteReadError:
            return None
        text = line.decode("latin-1")
        parts = text.split(" ", 2)
        if len(parts) != 3:
            raise BadRequest(400, "malformed HTTP request")
        method, target, proto = parts
        m = re.fullmatch(r"HTTP/(\d)\.(\d)", proto)
        if not m:
            raise BadRequest(400, "malformed HTTP version")
        version = (int(m.group(1)), int(m.group(2)))
        if version == (2, 0) and method == "PRI" and target == "*":
            await self._read_line(budget)  # the empty line of the preface
            return _Head(method, target, version, [])
        if version[0] != 1:
            raise BadRequest(505, "unsupported protocol version")
        if not is_token(method):
            raise BadRequest(400, "invalid method")

        headers = []
        while True:
            raw = await self._read_line(budget)
            if raw == b"":
                break
            if raw[:1] in (b" ", b"\t"):
                raise BadRequest(400, "malformed MIME header line")
            name, sep, value = raw.partition(b":")
            name_s = name.decode("latin-1")
            if not sep or not is_token(name_s):
                raise BadRequest(400, "invalid header name" if sep else "malformed MIME header line")
            value_s = value.strip(b" \t").decode("utf-8", "replace")
            if _CTL_IN_VALUE.search(value_s):
                raise BadRequest(400, "invalid header value")
            headers.append((name_s, value_s))
        return _Head(method, target.encode("latin-1").decode("utf-8", "replace"), version, headers)

    def _build_request(self, head: _Head):
        target = head.target
        if _CTL_IN_URI.search(target):
            raise BadRequest(400, "invalid control character in URL")
        url_host = ""
        if head.method == "CONNECT" and not target.startswith("/"):
            url_host = target
        elif target == "*":
            pass
        elif target.startswith("/"):
            if _BAD_ESCAPE.search(target.split("?", 1)[0]):
                raise BadRequest(400, "invalid URL escape")
        else:
            parts = urllib.parse.urlsplit(target)
            if not parts.scheme or not parts.netloc:
                raise BadRequest(400, "invalid URI for request")
            url_host = parts.netloc

        hosts = head.values("Host")
        if len(hosts) > 1:
            raise BadRequest(400, "too many Host headers")
        if head.version >= (1, 1) and not hosts:
            raise BadRequest(400, "missing required Host header")

        connection = head.tokens("Connection")
        if head.version >= (1, 1):
            keep_alive = "close" not in connection
        else:
            keep_alive = "keep-alive" in connection

        chunked = head.version >= (1, 1) and bool(head.values("Transfer-Encoding"))
        headers = []
        for name, value in head.headers:
            lname = name.lower()
            # Go moves Host to r.Host and consumes Transfer-Encoding (and Content-Length when chunked).
            if lname == "host" or (lname == "transfer-encoding" and head.version >= (1, 1)):
                continue
            if chunked and lname == "content-length":
                continue
            headers.append((name, value))
        req = Request(
            method=head.method,
            target=target,
            proto=f"HTTP/{head.version[0]}.{head.version[1]}",
            host=url_host or (hosts[0] if hosts else ""),
            headers=headers,
            remote=self.remote,
            tls=self.tls,
            can_hijack=True,
        )
        return req, keep_alive

    @staticmethod
    def _body_framing(head: _Head):
        te = head.values("Transfer-Encoding") if head.version >= (1, 1) else []
        if te:
            if len(te) != 1 or te[0].strip().lower() != "chunked":
                raise BadRequest(501, "unsupported transfer encoding")
            return 0, True
        cls = {v.strip() for v in head.values("Content-Length")}
        if len(cls) > 1:
            raise BadRequest(400, "bad Content-Length")
        if cls:
            value = cls.pop()
            if not value.isdigit():
                raise BadRequest(400, "bad Content-Length")
            return int(value), False
        return 0, False

    async def _read_body(self, length: int, chunked: bool, keep: int) -> Optional[bytes]:
        """Reads the body; returns it when it fits in `keep` bytes, else None (discarded)."""
        kept = bytearray()
        overflow = False

        def take(data: bytes):
            nonlocal overflow
            if not overflow and len(kept) + len(data) <= keep:
                kept.extend(data)
            else:
                overflow = True

        if not chunked:
            remaining = length
            while remaining > 0:
                data = await self.reader.read(min(remaining, 65536))
                if not data:
                    raise asyncio.IncompleteReadError(b"", remaining)
                take(data)
                remaining -= len(data)
        else:
            budget = [MAX_HEADER_BYTES]
            while True:
                line = await self._read_line(budget)
                size_text = line.split(b";", 1)[0].strip()
                try:
                    size = int(size_text, 16)
                    if not size_text or size < 0 or not re.fullmatch(rb"[0-9A-Fa-f]+", size_text):
                        raise ValueError
                except ValueError:
                    raise BadRequest(400, "invalid byte in chunk length")
                if size == 0:
                    while await self._read_line(budget) != b"":  # trailers
                        pass
                    break
                while size > 0:
                    data = await self.reader.read(min(size, 65536))
                    if not data:
                        raise asyncio.IncompleteReadError(b"", size)
                    take(data)
                    size -= len(data)
                if await self._read_line(budget) != b"":
                    raise BadRequest(400, "malformed chunked encoding")
        return None if overflow else bytes(kept)

    # --- protocol switches -----------------------------------------------------

    def _wants_h2c_upgrade(self, head: _Head) -> Optional[bytes]:
        """Returns the (padded) HTTP2-Settings value when an h2c upgrade should happen."""
        if not self.h2c_upgrade or self.tls is not None:
            return None
        upgrade = [v.strip().lower() for v in head.values("Upgrade")]
        if "h2c" not in upgrade or "http2-settings" not in head.tokens("Connection"):
            return None
        settings = head.values("HTTP2-Settings")
        if len(settings) != 1:
            return None
        value = settings[0].strip()
        value += "=" * (-len(value) % 4)
        try:
            base64.urlsafe_b64decode(value)
        except (ValueError, TypeError):
            return None
        return value.encode("ascii", "replace")

    async def _upgrade_to_h2(self, req: Request, settings: bytes, body: bytes) -> None:
        self.writer.write(b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
        hop = {"connection", "upgrade", "http2-settings", "keep-alive", "proxy-connection"}
        req.headers = [(k, v) for k, v in req.headers if k.lower() not in hop]
        req.proto = "HTTP/2.0"
        req.can_hijack = False
        await http2.serve_http(self.reader, self.writer, self.app, self.remote, self.tls,
                               upgrade=(settings, req))

    async def _websocket(self, req: Request) -> None:
        key = req.header("Sec-WebSocket-Key")
        self.writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + websocket.accept_key(key).encode() + b"\r\n\r\n"
        )
        self.app.log.info(f"established websocket connection {req.remote}")
        await websocket.echo_frames(self.reader, self.writer)

    def _reset(self) -> None:
        """Hijack + SetLinger(0) + Close: the peer sees a TCP RST (plain TCP only, as in Go)."""
        sock = self.writer.get_extra_info("socket")
        if self.tls is None and sock is not None:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
            self.writer.transport.abort()
        else:
            self.writer.close()

    # --- writing ---------------------------------------------------------------

    async def _write_error(self, status: int, message: str) -> None:
        body = f"{status} {Response.reason(status)}".encode() if status != 431 else b"431 Request Header Fields Too Large"
        self.writer.write(
            f"HTTP/1.1 {status} {Response.reason(status)}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Connection: close\r\n\r\n".encode() + body
        )
        await self.writer.drain()

    async def _write_response(self, req: Request, resp: Response, keep_alive: bool) -> bool:
        version = "HTTP/1.1" if req.proto == "HTTP/1.1" else "HTTP/1.0"
        out = bytearray()
        if resp.informational is not None and req.proto == "HTTP/1.1":
            out += f"HTTP/1.1 {resp.informational} {Response.reason(resp.informational)}\r\n\r\n".encode()
        status = resp.status
        no_body = status in (204, 304) or 100 <= status < 200
        if status == 101:
            keep_alive = False
        headers = list(resp.headers)
        if not no_body:
            headers.append(("Content-Length", str(len(resp.body))))
        if not keep_alive:
            headers.append(("Connection", "close"))
        elif version == "HTTP/1.0":
            headers.append(("Connection", "keep-alive"))
        out += f"{version} {status} {Response.reason(status)}\r\n".encode()
        for name, value in sorted(headers, key=lambda kv: kv[0]):
            out += f"{name}: {value}\r\n".encode("utf-8", "replace")
        out += b"\r\n"
        if req.method != "HEAD" and not no_body:
            out += resp.body
        self.writer.write(bytes(out))
        await self.writer.drain()
        return keep_alive
