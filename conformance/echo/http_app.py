"""Protocol-independent request handling of the HTTP echo (echo-basic's ServeMux).

HTTP/1.1 and HTTP/2 front ends turn the wire request into a `Request`, call
`EchoApp.handle`, and write the `Response` (or act on `Response.action`).
"""

from __future__ import annotations

import asyncio
import http
import posixpath
import re
import urllib.parse
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Optional

from common import EchoLog, PodContext, TLSInfo, canonical_header_key, go_json, is_token, parse_go_duration

# Response actions besides "write this response".
ACTION_RESET = "reset"  # abort the connection with a TCP RST (retry simulation)
ACTION_WEBSOCKET = "websocket"  # complete the WebSocket handshake, then echo frames

_STATUS_RE = re.compile(r"^/status/(\d\d\d)$")
_MAX_RETRY_KEYS = 100_000
_GO_REASONS = {418: "I'm a teapot", 414: "Request URI Too Long"}  # where Go's text differs


@dataclass
class Request:
    method: str
    target: str  # raw request-URI (Go's RequestURI), query included
    proto: str  # "HTTP/1.1", "HTTP/1.0" or "HTTP/2.0"
    host: str
    headers: list  # [(name, value)] as received, Host excluded
    remote: str  # "ip:port"
    tls: Optional[TLSInfo] = None
    can_hijack: bool = True  # HTTP/1 connections can be reset; HTTP/2 streams cannot (as in Go)

    def header_values(self, name: str) -> list:
        key = canonical_header_key(name)
        return [v for k, v in self.headers if canonical_header_key(k) == key]

    def header(self, name: str) -> str:
        values = self.header_values(name)
        return values[0] if values else ""

    @property
    def path_and_query(self):
        """Decoded path and raw query, like Go's r.URL.Path / r.URL.RawQuery."""
        target = self.target
        if target == "*":
            return "*", ""
        if "://" in target.split("?", 1)[0]:
            parts = urllib.parse.urlsplit(target)
            raw_path, query = parts.path or "/", parts.query
        else:
            raw_path, _, query = target.partition("?")
        return urllib.parse.unquote(raw_path, errors="surrogateescape"), query

    def query_value(self, key: str) -> str:
        """url.Values.Get: first value, pairs with bad escapes skipped."""
        _, query = self.path_and_query
        for pair in query.split("&"):
            if not pair or ";" in pair:
                continue
            k, _, v = pair.partition("=")
            try:
                k = _go_unescape(k)
                v = _go_unescape(v)
            except ValueError:
                continue
            if k == key:
                return v
        return ""


def _go_unescape(s: str) -> str:
    if re.search(r"%(?![0-9A-Fa-f]{2})", s):
        raise ValueError("invalid escape")
    return urllib.parse.unquote_plus(s)


@dataclass
class Response:
    status: int
    headers: list = field(default_factory=list)  # [(name, value)], names as Go would send them
    body: bytes = b""
    action: Optional[str] = None
    informational: Optional[int] = None  # a 1xx sent before the final response

    @staticmethod
    def reason(status: int) -> str:
        if status in _GO_REASONS:
            return _GO_REASONS[status]
        try:
            return http.HTTPStatus(status).phrase
        except ValueError:
            return f"status code {status}"


def _text_response(status: int, text: str) -> Response:
    return Response(status, [("Content-Type", "text/plain; charset=utf-8")], text.encode())


def _error_response(status: int, message: str) -> Response:
    """echo-basic's processError: JSON {"message": ...}."""
    return Response(
        status,
        [("Content-Type", "application/json"), ("X-Content-Type-Options", "nosniff")],
        go_json({"message": message}),
    )


def clean_path(p: str) -> str:
    """Go's cleanPath: path.Clean, rooted, trailing slash kept."""
    if not p:
        return "/"
    if p[0] != "/":
        p = "/" + p
    np = posixpath.normpath(p)
    if np.startswith("//"):
        np = "/" + np.lstrip("/")
    if p.endswith("/") and np != "/":
        np += "/"
    return np


class EchoApp:
    """The echo-basic HTTP handlers. `h2c_only` is the H2C_PORT variant (no mux)."""

    def __init__(self, ctx: PodContext, http_port: str, log: EchoLog, h2c_only: bool = False):
        self.ctx = ctx
        self.http_port = http_port
        self.log = log
        self.h2c_only = h2c_only
        self.retry_attempts: dict = {}  # uuid -> failed attempts so far (shared across ports)

    async def handle(self, req: Request) -> Response:
        resp = await self._route(req)
        if not any(k.lower() == "date" for k, _ in resp.headers):
            resp.headers.append(("Date", formatdate(usegmt=True)))
        return resp

    async def _route(self, req: Request) -> Response:
        if self.h2c_only:
            if req.proto != "HTTP/2.0" and req.header("Upgrade") != "h2c":
                return _text_response(400, "Expected h2c request")
            return await self.echo(req)

        path, query = req.path_and_query
        if req.method != "CONNECT" and path != "*":
            # echo-basic's preserveSlashes, then ServeMux's clean-path redirect.
            path = path.replace("//", "/")
            cleaned = clean_path(path)
            if cleaned != path:
                return self._redirect(cleaned, query, req)
        if path == "/health":
            return _text_response(200, "OK")
        if path == "/ws":
            return self.websocket_handshake(req)
        if path in ("/status", "/retry"):
            return self._redirect(path + "/", query, req)
        if path.startswith("/status/"):
            return self.status(req)
        if path.startswith("/retry/"):
            return await self.retry(req)
        return await self.echo(req)

    @staticmethod
    def _redirect(path: str, query: str, req: Request) -> Response:
        location = urllib.parse.quote(path, safe="/:@!$&'()*+,;=-._~") + (f"?{query}" if query else "")
        headers = [("Location", location)]
        body = b""
        if req.method in ("GET", "HEAD"):
            headers.append(("Content-Type", "text/html; charset=utf-8"))
            body = f'<a href="{location}">Moved Permanently</a>.\n\n'.encode()
        return Response(301, headers, body)

    @staticmethod
    def status(req: Request) -> Response:
        m = _STATUS_RE.match(req.target)
        code = int(m.group(1)) if m else 400
        if code < 100:
            # Go's WriteHeader panics on such codes; the server then drops the connection.
            return Response(500, action=ACTION_RESET)
        if code < 200 and code != 101:
            # A 1xx is informational in Go; the handler then ends with an implicit 200.
            return Response(200, informational=code)
        return Response(code)

    async def retry(self, req: Request) -> Response:
        uuid = req.query_value("uuid")
        if uuid == "":
            return _text_response(400, "uuid is required")
        try:
            succeed_after = _go_atoi(req.query_value("succeedAfter"))
        except ValueError:
            return _text_response(400, "succeedAfter is required")
        try:
            response_code = _go_atoi(req.query_value("responseCode"))
        except ValueError:
            response_code = None

        attempts = self.retry_attempts.get(uuid, 0)
        if attempts < succeed_after:
            if len(self.retry_attempts) >= _MAX_RETRY_KEYS:
                self.retry_attempts.clear()
            self.retry_attempts[uuid] = attempts + 1
            err = await self._delay(req, "delayRetry")
            if err is not None:
                return err
            if response_code is not None:
                return Response(response_code if 100 <= response_code <= 999 else 500)
            if not req.can_hijack:
                return _error_response(500, "response writer does not support hijacking")
            return Response(0, action=ACTION_RESET)
        return await self.echo(req)

    async def _delay(self, req: Request, key: str) -> Optional[Response]:
        value = req.query_value(key)
        if not value:
            return None
        try:
            seconds = parse_go_duration(value)
        except ValueError as e:
            return _error_response(500, str(e))
        if seconds > 0:
            await asyncio.sleep(seconds)
        return None

    async def echo(self, req: Request) -> Response:
        self.log.echo(f"Echoing back request made to {req.target} to client ({req.remote})")
        err = await self._delay(req, "delay")
        if err is not None:
            return err

        headers: dict = {}
        for name, value in req.headers:
            headers.setdefault(canonical_header_key(name), []).append(value)
        body = {
            "path": req.target,
            "host": req.host,
            "method": req.method,
            "proto": req.proto,
            "headers": dict(sorted(headers.items())),
            "httpPort": self.http_port,
            "namespace": self.ctx.namespace,
            "ingress": self.ctx.ingress,
            "service": self.ctx.service,
            "pod": self.ctx.pod,
        }
        if req.tls is not None:
            tls = {"version": req.tls.version}
            if req.tls.peer_certificates:
                tls["peerCertificates"] = list(req.tls.peer_certificates)
            tls["serverName"] = req.tls.server_name
            if req.tls.negotiated_protocol:
                tls["negotiatedProtocol"] = req.tls.negotiated_protocol
            tls["cipherSuite"] = req.tls.cipher_suite
            body["tls"] = tls

        resp_headers = echo_set_headers(req.header_values("X-Echo-Set-Header"))
        resp_headers = [(k, v) for k, v in resp_headers if k != "Content-Type"]
        resp_headers += [("Content-Type", "application/json"), ("X-Content-Type-Options", "nosniff")]
        return Response(200, resp_headers, go_json(body, indent=" "))

    @staticmethod
    def websocket_handshake(req: Request) -> Response:
        """golang.org/x/net/websocket's server handshake checks (it needs an Origin)."""
        if req.method != "GET":
            return Response(405, [("Content-Type", "text/plain; charset=utf-8")], b"")
        upgrade = req.header("Upgrade").lower()
        connection = [t.strip().lower() for v in req.header_values("Connection") for t in v.split(",")]
        key = req.header("Sec-WebSocket-Key")
        if upgrade != "websocket" or "upgrade" not in connection or not key:
            return Response(400, [("Content-Type", "text/plain; charset=utf-8")], b"")
        if req.header("Sec-WebSocket-Version") != "13":
            return Response(400, [("Sec-WebSocket-Version", "13"), ("Content-Type", "text/plain; charset=utf-8")])
        origin = req.header("Origin")
        if not origin or not _parse_request_uri(origin):
            return Response(403, [("Content-Type", "text/plain; charset=utf-8")], b"")
        if not req.can_hijack:
            return Response(400, [("Content-Type", "text/plain; charset=utf-8")], b"")
        return Response(101, action=ACTION_WEBSOCKET)


def _parse_request_uri(s: str) -> bool:
    """Rough url.ParseRequestURI: absolute URL or absolute path."""
    if s.startswith("/"):
        return True
    parts = urllib.parse.urlsplit(s)
    return bool(parts.scheme)


def _go_atoi(s: str) -> int:
    if not re.fullmatch(r"[+-]?[0-9]+", s):
        raise ValueError(s)
    return int(s)


def echo_set_headers(values: list) -> list:
    """X-Echo-Set-Header "N:v,N2:v2" -> response headers, names kept as written.

    As in echo-basic, a repeated name appends ",value" to the first value; names that
    are not valid header names (e.g. the empty one) are dropped when writing.
    """
    order: list = []
    merged: dict = {}
    for header_list in values:
        for kv in header_list.split(","):
            name, _, value = kv.strip().partition(":")
            if name not in merged:
                merged[name] = value
                order.append(name)
            else:
                merged[name] += "," + value.strip()
    return [(n, merged[n].strip()) for n in order if is_token(n)]
