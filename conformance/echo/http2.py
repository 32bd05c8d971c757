"""HTTP/2 server connections (python3-h2): HTTP echo over h2c/TLS and the transport for gRPC."""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable, Optional

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings

from http_app import ACTION_RESET, EchoApp, Request, Response

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
_HOP_HEADERS = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"}

# handler(conn, stream_id, headers [(bytes, bytes)], body bytes)
StreamHandler = Callable[["H2Connection", int, list, bytes], Awaitable[None]]


class H2Connection:
    """Drives one server-side HTTP/2 connection; each complete request runs `handler` in a task."""

    def __init__(self, reader, writer, handler: StreamHandler, max_body: Optional[int]):
        # max_body None: request bodies are discarded (HTTP echo); else larger bodies reset the stream.
        self.reader = reader
        self.writer = writer
        self.handler = handler
        self.max_body = max_body
        self.conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=False, header_encoding=None)
        )
        self.streams: dict = {}  # stream_id -> [headers, bytearray body, overflowed]
        self.tasks: dict = {}
        self.window_open = asyncio.Event()

    async def run(self, preface: bytes = b"", upgrade_settings: Optional[bytes] = None,
                  upgrade_task: Optional[Callable[["H2Connection"], Awaitable[None]]] = None) -> None:
        try:
            if upgrade_settings is not None:
                self.conn.initiate_upgrade_connection(upgrade_settings)
            else:
                self.conn.initiate_connection()
            self.conn.update_settings({
                h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 250,
                h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 1 << 20,
            })
            self.conn.increment_flow_control_window(1 << 20)
            self.flush()
            if upgrade_task is not None:
                self._spawn(1, upgrade_task(self))
            if preface:
                self._receive(preface)
            while not self.writer.is_closing():
                data = await self.reader.read(65536)
                if not data:
                    break
                if not self._receive(data):
                    break
                await self.writer.drain()
        except (ConnectionError, OSError, asyncio.IncompleteReadError):
            pass
        finally:
            for task in list(self.tasks.values()):
                task.cancel()
            if not self.writer.is_closing():
                self.writer.close()

    def flush(self) -> None:
        data = self.conn.data_to_send()
        if data and not self.writer.is_closing():
            self.writer.write(data)

    def _spawn(self, stream_id: int, coro) -> None:
        task = asyncio.ensure_future(coro)
        self.tasks[stream_id] = task
        task.add_done_callback(lambda _t, sid=stream_id: self.tasks.pop(sid, None))

    def _receive(self, data: bytes) -> bool:
        try:
            events = self.conn.receive_data(data)
        except h2.exceptions.ProtocolError:
            self.flush()  # h2 has queued a GOAWAY
            self.writer.close()
            return False
        for event in events:
            if isinstance(event, h2.events.RequestReceived):
                self.streams[event.stream_id] = [event.headers, bytearray(), False]
                if event.stream_ended is not None:
                    self._complete(event.stream_id)
            elif isinstance(event, h2.events.DataReceived):
                state = self.streams.get(event.stream_id)
                if state is not None and self.max_body is not None:
                    if len(state[1]) + len(event.data) <= self.max_body:
                        state[1] += event.data
                    else:
                        state[2] = True
                if event.flow_controlled_length:
                    try:
                        self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                    except h2.exceptions.StreamClosedError:
                        pass
            elif isinstance(event, h2.events.StreamEnded):
                if event.stream_id in self.streams:
                    self._complete(event.stream_id)
            elif isinstance(event, h2.events.StreamReset):
                self.streams.pop(event.stream_id, None)
                task = self.tasks.pop(event.stream_id, None)
                if task is not None:
                    task.cancel()
            elif isinstance(event, (h2.events.WindowUpdated, h2.events.RemoteSettingsChanged)):
                self.window_open.set()
            elif isinstance(event, h2.events.ConnectionTerminated):
                self.flush()
                self.writer.close()
                return False
        self.flush()
        return True

    def _complete(self, stream_id: int) -> None:
        headers, body, overflow = self.streams.pop(stream_id)
        if overflow:
            self.reset(stream_id, h2.errors.ErrorCodes.ENHANCE_YOUR_CALM)
            return
        self._spawn(stream_id, self.handler(self, stream_id, headers, bytes(body)))

    # --- sending ---------------------------------------------------------------

    def reset(self, stream_id: int, code=h2.errors.ErrorCodes.INTERNAL_ERROR) -> None:
        try:
            self.conn.reset_stream(stream_id, code)
        except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError):
            pass
        self.flush()

    async def send(self, stream_id: int, headers: list, body: bytes = b"",
                   trailers: Optional[list] = None) -> None:
        """Headers, optional body (flow controlled) and optional trailers; ends the stream."""
        try:
            end_after_headers = not body and not trailers
            self.conn.send_headers(stream_id, headers, end_stream=end_after_headers)
            self.flush()
            view = memoryview(body)
            while view:
                window = min(self.conn.local_flow_control_window(stream_id), self.conn.max_outbound_frame_size)
                if window <= 0:
                    self.window_open.clear()
                    await self.window_open.wait()
                    continue
                chunk, view = view[:window], view[window:]
                self.conn.send_data(stream_id, bytes(chunk), end_stream=not view and not trailers)
                self.flush()
            if trailers:
                self.conn.send_headers(stream_id, trailers, end_stream=True)
                self.flush()
            await self.writer.drain()
        except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError, ConnectionError):
            pass


# --- HTTP echo over HTTP/2 -----------------------------------------------------------


def request_from_headers(headers: list, remote: str, tls) -> Request:
    pseudo, fields, cookies = {}, [], []
    for name, value in headers:
        name_s = name.decode("latin-1")
        value_s = value.decode("utf-8", "replace")
        if name_s.startswith(":"):
            pseudo[name_s] = value_s
        elif name_s == "cookie":
            cookies.append(value_s)
        elif name_s != "host":
            fields.append((name_s, value_s))
        else:
            pseudo.setdefault("host", value_s)
    if cookies:
        fields.append(("cookie", "; ".join(cookies)))  # Go joins split cookie fields
    return Request(
        method=pseudo.get(":method", ""),
        target=pseudo.get(":path", ""),
        proto="HTTP/2.0",
        host=pseudo.get(":authority") or pseudo.get("host", ""),
        headers=fields,
        remote=remote,
        tls=tls,
        can_hijack=False,
    )


async def send_http_response(h2c: H2Connection, stream_id: int, req: Request, resp: Response) -> None:
    if resp.action == ACTION_RESET or resp.status < 200:
        h2c.reset(stream_id)
        return
    no_body = resp.status in (204, 304)
    headers = [(b":status", str(resp.status).encode())]
    for name, value in sorted(resp.headers, key=lambda kv: kv[0]):
        lname = name.lower()
        if lname in _HOP_HEADERS:
            continue
        headers.append((lname.encode("latin-1", "replace"), value.encode("utf-8", "replace")))
    if not no_body:
        headers.append((b"content-length", str(len(resp.body)).encode()))
    body = b"" if (no_body or req.method == "HEAD") else resp.body
    await h2c.send(stream_id, headers, body)


async def serve_http(reader, writer, app: EchoApp, remote: str, tls, preface: bytes = b"",
                     upgrade: Optional[tuple] = None) -> None:
    """HTTP echo over one HTTP/2 connection. `upgrade` = (HTTP2-Settings payload, stream-1 Request)."""

    async def handle(h2c: H2Connection, stream_id: int, headers: list, _body: bytes) -> None:
        req = request_from_headers(headers, remote, tls)
        resp = await app.handle(req)
        await send_http_response(h2c, stream_id, req, resp)

    h2c = H2Connection(reader, writer, handle, max_body=None)
    if upgrade is None:
        await h2c.run(preface=preface)
        return
    settings, req = upgrade

    async def upgraded(conn: H2Connection) -> None:
        resp = await app.handle(req)
        await send_http_response(conn, 1, req, resp)

    await h2c.run(upgrade_settings=settings, upgrade_task=upgraded)
