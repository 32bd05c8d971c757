"""HTTPS front end: authentication, request routing as kube-apiserver's RequestInfo resolver does
it, authorization, and the resource verbs with watch streams over chunked encoding."""

from __future__ import annotations

import json
import select
import socket
import ssl
import sys
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional

import yaml

from . import discovery, errors, protobuf, reviews, selectors, tables
from .api import NAMESPACES, Api, FieldValidation
from .auth import Attributes, Authenticator, Authorizer, User, forbidden, ANONYMOUS
from .errors import ApiError
from .hooks import Controls
from .kinds import VIRTUAL, ResourceType
from .store import Aborted, Expired

NAMESPACE_SUBRESOURCES = ("status", "finalize")
DEFAULT_WATCH_TIMEOUT = 1800.0


class FakeApiServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address, tls: ssl.SSLContext, api: Api, controls: Controls, authn: Authenticator,
                 authz: Authorizer, bookmark_interval: float):
        self.tls, self.api, self.controls = tls, api, controls
        self.authn, self.authz, self.bookmark_interval = authn, authz, bookmark_interval
        super().__init__(address, Handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        # Headers and body go out in separate writes; with Nagle, the second waits for the
        # client's delayed ACK (40 ms per request, measured).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # The handshake happens on the handler thread, so a slow client never stalls accept().
        return self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if not isinstance(exc, (OSError, ssl.SSLError)):
            super().handle_error(request, client_address)


class ResourceRequest:
    """The parts of a resource URL (kube-apiserver's RequestInfo)."""

    def __init__(self, group: str, version: str, namespace: str, resource: str, name: str, subresource: str):
        self.group, self.version, self.namespace = group, version, namespace
        self.resource, self.name, self.subresource = resource, name, subresource


def parse_resource_path(path: str) -> Optional[ResourceRequest]:
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 3 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 4 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    namespace = ""
    if rest[0] == "namespaces" and len(rest) > 1:
        namespace = rest[1]
        if len(rest) > 2 and rest[2] not in NAMESPACE_SUBRESOURCES:
            rest = rest[2:]
    if len(rest) > 3:
        return None
    return ResourceRequest(group, version, namespace, rest[0], rest[1] if len(rest) > 1 else "",
                           rest[2] if len(rest) > 2 else "")


def _not_found() -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource", {})


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FakeApiServer

    def setup(self):
        self.request.settimeout(10)
        self.request.do_handshake()
        self.request.settimeout(None)
        super().setup()

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_PATCH(self):
        self._dispatch("PATCH")

    def do_DELETE(self):
        self._dispatch("DELETE")

    # --- plumbing ------------------------------------------------------------------------

    def _drop_connection(self) -> None:
        self.close_connection = True
        self.request.shutdown(socket.SHUT_RDWR)

    def _dispatch(self, method: str):
        url = urllib.parse.urlsplit(self.path)
        if self.server.controls.in_outage() and not url.path.startswith("/_fake/"):
            # Like an unreachable server: no response at all. /_fake/ stays reachable so a test
            # can end the outage early.
            self._drop_connection()
            return
        self.url_path, self.raw_query = url.path, url.query
        self.query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        self.body = self._read_body()
        self.user = ANONYMOUS
        self.is_watch = False
        mode = self.query.get("fieldValidation") or "Warn"
        self.validation = FieldValidation(mode if mode in ("Strict", "Warn", "Ignore") else "Warn")
        try:
            self.user = self._impersonate(self._authenticate())
            if self.url_path.startswith("/_fake/"):
                if "system:masters" not in self.user.groups:
                    raise forbidden(self.user, Attributes(verb=method.lower(), path=self.url_path))
                self._send_json(200, self.server.controls.handle(method, self.url_path, self.query))
                return
            request = parse_resource_path(self.url_path)
            if request is None:
                self._non_resource(method)
            else:
                self._resource(method, request)
        except ApiError as e:
            self._send_json(e.code, e.status())
        except (ConnectionError, ssl.SSLError, socket.timeout):
            self.close_connection = True
        except Exception as e:  # noqa: BLE001 - a fake bug answers 500 like a server panic, loudly
            traceback.print_exc()
            self._send_json(500, ApiError(500, "InternalError", f"fakekube: {type(e).__name__}: {e}").status())

    def _read_body(self) -> bytes:
        if "chunked" not in (self.headers.get("Transfer-Encoding") or "").lower():
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b""
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return body
            body += self.rfile.read(size)
            self.rfile.readline()

    def _authenticate(self) -> User:
        header = self.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            user = self.server.authn.from_token(header[len("Bearer "):].strip())
            if user is None:
                raise errors.unauthorized()
            return user
        cert = self.request.getpeercert()
        if cert:
            return Authenticator.from_certificate(cert)
        return ANONYMOUS

    def _impersonate(self, user: User) -> User:
        """Impersonate-User / Impersonate-Group headers (kubectl --as, --as-group), allowed by
        the `impersonate` verb on users, groups or serviceaccounts as on the real server."""
        name = self.headers.get("Impersonate-User")
        if not name:
            return user
        groups = tuple(self.headers.get_all("Impersonate-Group") or ())
        targets = [Attributes(verb="impersonate", resource="groups", name=g) for g in groups]
        if name.startswith("system:serviceaccount:") and name.count(":") == 3:
            _, _, ns, sa = name.split(":")
            targets.append(Attributes(verb="impersonate", resource="serviceaccounts", namespace=ns, name=sa))
            groups += ("system:serviceaccounts", f"system:serviceaccounts:{ns}")
        else:
            targets.append(Attributes(verb="impersonate", resource="users", name=name))
        for attrs in targets:
            self._authorize(attrs, user)
        return User(name, groups + ("system:authenticated",))

    def _authorize(self, attrs: Attributes, user: Optional[User] = None) -> None:
        user = user or self.user
        if not self.server.authz.allowed(user, attrs):
            raise forbidden(user, attrs)

    def _send_json(self, code: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        for warning in self.validation.warnings:
            self.send_header("Warning", "299 - " + json.dumps(warning))
        self.end_headers()
        self.wfile.write(data)
        self._record(code)

    def _record(self, code: int) -> None:
        if not self.url_path.startswith("/_fake/"):
            self.server.controls.record(self.command, self.url_path, self.raw_query, self.user.name, code,
                                        self.is_watch)

    def _json_body(self) -> dict:
        content_type = (self.headers.get("Content-Type") or "application/json").split(";")[0].strip()
        try:
            if content_type == "application/vnd.kubernetes.protobuf":
                return protobuf.decode(self.body)
            if content_type in ("application/yaml", "application/apply-patch+yaml"):
                return yaml.safe_load(self.body.decode())
            return json.loads(self.body or b"{}")
        except (ValueError, yaml.YAMLError) as e:
            raise errors.bad_request(f"error decoding request body: {e}") from None

    # --- non-resource paths --------------------------------------------------------------

    def _non_resource(self, method: str):
        path = self.url_path.rstrip("/") or "/"
        self._authorize(Attributes(verb=method.lower(), path=path))
        if method != "GET":
            raise errors.method_not_allowed()
        if path in ("/healthz", "/livez", "/readyz"):
            self._send_text(200, "ok")
            return
        body = discovery.document(self.server.api.registry, path, f"127.0.0.1:{self.server.server_address[1]}")
        if body is None:
            self._send_text(404, "404 page not found\n")
            return
        self._send_json(200, body)

    def _send_text(self, code: int, text: str) -> None:
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self._record(code)

    # --- resources -----------------------------------------------------------------------

    def _resource(self, method: str, r: ResourceRequest):
        api = self.server.api
        rt = api.registry.lookup(r.group, r.version, r.resource)
        if rt is None or (r.namespace and not rt.namespaced and rt.key != NAMESPACES):
            raise _not_found()
        namespace_attr = r.namespace
        if rt.key == NAMESPACES:
            r.namespace = ""  # /api/v1/namespaces/NAME: the authorizer sees NAME as the namespace
        if r.subresource and r.subresource not in rt.subresources:
            raise _not_found()
        self.is_watch = method == "GET" and not r.name and self.query.get("watch") in ("1", "true")
        verb = {"GET": "get" if r.name else ("watch" if self.is_watch else "list"), "POST": "create",
                "PUT": "update", "PATCH": "patch", "DELETE": "delete" if r.name else "deletecollection"}[method]
        self._authorize(Attributes(verb=verb, group=rt.group, resource=rt.plural, subresource=r.subresource,
                                   namespace=namespace_attr, name=r.name))
        injected = self.server.controls.injected_failure(verb, rt.group, rt.plural, r.subresource,
                                                         r.namespace, r.name)
        if injected:
            raise injected
        if rt.namespaced and not r.namespace and (r.name or method == "POST"):
            raise _not_found()
        if self.query.get("dryRun") and method != "GET":
            raise errors.bad_request("fakekube does not implement dryRun")  # refuse rather than write
        allowed = {"token": ("create",), "status": ("get", "update", "patch")}.get(r.subresource)
        if (rt.key in VIRTUAL and verb != "create") or (allowed and verb not in allowed) or verb not in rt.verbs:
            raise errors.method_not_allowed()
        if rt.key in VIRTUAL:
            self._virtual(rt)
            return
        if verb == "get":
            self._send_object(200, rt, r, api.get(rt, r.version, r.namespace, r.name))
        elif verb == "list":
            self._list(rt, r)
        elif verb == "watch":
            self._watch(rt, r)
        elif verb == "create" and r.subresource == "token":
            self._send_json(201, reviews.token_request(api.store, self.server.authn, r.namespace, r.name,
                                                       self._json_body()))
        elif verb == "create" and not r.name:
            self._send_json(201, api.create(rt, r.version, r.namespace, self._json_body(), self.validation))
        elif verb == "update":
            self._send_json(200, api.update(rt, r.version, r.namespace, r.name, r.subresource, self._json_body(),
                                            self.validation))
        elif verb == "patch":
            content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            code, obj = api.patch(rt, r.version, r.namespace, r.name, r.subresource, content_type, self.body,
                                  self.query.get("fieldManager", ""), self.validation)
            self._send_json(code, obj)
        elif verb == "delete" and not r.subresource:
            options = self._json_body() if self.body else {}
            self._send_json(200, api.delete(rt, r.version, r.namespace, r.name, options))
        else:
            raise errors.method_not_allowed()

    def _virtual(self, rt: ResourceType):
        body = self._json_body()
        if rt.plural == "tokenreviews":
            self._send_json(201, reviews.token_review(self.server.authn, body))
        elif rt.plural == "selfsubjectaccessreviews":
            self._send_json(201, reviews.self_subject_access_review(self.server.authz, self.user, body))
        else:
            self._send_json(201, reviews.self_subject_review(self.user))

    def _wants_table(self, rt: ResourceType) -> bool:
        return rt.custom and "as=Table" in (self.headers.get("Accept") or "")

    def _send_object(self, code: int, rt: ResourceType, r: ResourceRequest, obj: dict) -> None:
        if self._wants_table(rt):
            obj = tables.table(rt, [obj], {"resourceVersion": obj["metadata"]["resourceVersion"]})
        self._send_json(code, obj)

    def _predicate(self, rt: ResourceType):
        labels = selectors.parse_labels(self.query.get("labelSelector", ""))
        fields = selectors.parse_fields(self.query.get("fieldSelector", ""), rt.key)
        return lambda obj: labels(obj) and fields(obj)

    def _list(self, rt: ResourceType, r: ResourceRequest):
        try:
            limit = int(self.query.get("limit") or 0)
        except ValueError:
            raise errors.bad_request("limit must be an integer") from None
        result = self.server.api.list(rt, r.version, r.namespace, self._predicate(rt), limit,
                                      self.query.get("continue", ""))
        if self._wants_table(rt):
            result = tables.table(rt, result["items"], result["metadata"])
        self._send_json(200, result)

    def _watch(self, rt: ResourceType, r: ResourceRequest):
        api = self.server.api
        try:
            timeout = float(self.query.get("timeoutSeconds") or DEFAULT_WATCH_TIMEOUT)
        except ValueError:
            raise errors.bad_request("timeoutSeconds must be a number") from None
        bookmarks = self.query.get("allowWatchBookmarks") in ("1", "true")
        rv = self.query.get("resourceVersion", "")
        try:
            watch = api.watch(rt, r.namespace, self._predicate(rt), rv, timeout,
                              self.server.bookmark_interval if bookmarks else None, self._client_gone)
            expired = False
        except Expired:
            if self.server.controls.expire_with_http:
                raise errors.gone(f"too old resource version: {rv} ({api.store.compacted_rv})") from None
            expired = True
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self._record(200)
        try:
            if expired:
                self._write_expired(rv)
            else:
                self._stream(rt, r, watch, rv)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except Aborted:
            self._drop_connection()

    def _stream(self, rt: ResourceType, r: ResourceRequest, watch, rv: str) -> None:
        table = self._wants_table(rt)
        while True:
            try:
                batch = watch.next_batch()
            except Expired:
                self._write_expired(rv)
                return
            if batch is None:
                return
            lines = []
            for event_type, obj in batch:
                if event_type == "BOOKMARK":
                    obj = {"kind": rt.kind, "apiVersion": rt.api_version(r.version), **obj}
                else:
                    obj = self.server.api.convert(rt, obj, r.version)
                    if table:
                        obj = tables.table(rt, [obj], {"resourceVersion": obj["metadata"]["resourceVersion"]})
                lines.append(json.dumps({"type": event_type, "object": obj}).encode() + b"\n")
            size = self.server.controls.watch_chunk_size
            if size:  # clients must reassemble events across chunk boundaries
                data = b"".join(lines)
                lines = [data[i:i + size] for i in range(0, len(data), size)]
            for line in lines:
                self._write_chunk(line)

    def _client_gone(self) -> bool:
        """Whether the watch client closed its end (it sends nothing else on a watch connection)."""
        try:
            if not select.select([self.request], [], [], 0)[0]:
                return False
            self.request.setblocking(False)
            try:
                return self.request.recv(1) == b""
            finally:
                self.request.setblocking(True)
        except ssl.SSLWantReadError:
            return False  # only part of a TLS record so far
        except (OSError, ValueError):
            return True

    def _write_expired(self, rv: str) -> None:
        status = errors.gone(f"too old resource version: {rv} ({self.server.api.store.compacted_rv})").status()
        self._write_chunk(json.dumps({"type": "ERROR", "object": status}).encode() + b"\n")

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()
