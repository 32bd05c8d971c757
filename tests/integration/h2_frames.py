"""Raw HTTP/2 frames for the integration tests that play a client no library would be: frame
builders, a connection that reads the server's frames one by one, and the gateway's RSS."""

import struct
import socket

import hpack

from gatehouse_harness import WAIT

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = 0x0, 0x1, 0x3, 0x4, 0x6, 0x7, 0x8, 0x9
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1
NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR, FLOW_CONTROL_ERROR, CANCEL, ENHANCE_YOUR_CALM = 0x0, 0x1, 0x2, 0x3, 0x8, 0xB
SETTINGS_INITIAL_WINDOW_SIZE = 0x4


def frame(type_: int, flags: int, stream_id: int, payload: bytes = b"") -> bytes:
    return struct.pack(">I", len(payload))[1:] + struct.pack(">BBI", type_, flags, stream_id) + payload


def request_block(path: str, encoder: hpack.Encoder) -> bytes:
    return encoder.encode([(":method", "GET"), (":scheme", "http"), (":authority", "h2.example.com"),
                           (":path", path)])


class RawH2:
    """One h2c connection speaking raw frames; reads the server's frames as they come."""

    def __init__(self, ip: str, port: int, settings: bytes = b""):
        self.sock = socket.create_connection((ip, port), timeout=WAIT)
        self.buf = b""
        self.encoder = hpack.Encoder()
        self.decoder = hpack.Decoder()
        self.sock.sendall(PREFACE + frame(SETTINGS, 0, 0, settings))

    def send(self, data: bytes):
        self.sock.sendall(data)

    def next_frame(self):
        """(type, flags, stream id, payload), or None when the server closed the connection."""
        while len(self.buf) < 9 or len(self.buf) < 9 + int.from_bytes(self.buf[:3], "big"):
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                return None
            self.buf += chunk
        length = int.from_bytes(self.buf[:3], "big")
        type_, flags, stream_id = struct.unpack(">BBI", self.buf[3:9])
        payload, self.buf = self.buf[9:9 + length], self.buf[9 + length:]
        if type_ == SETTINGS and not flags & ACK:
            self.send(frame(SETTINGS, ACK, 0))
        return type_, flags, stream_id & 0x7FFFFFFF, payload

    def until(self, predicate):
        """Frames up to and including the first one `predicate` accepts (AssertionError if none)."""
        seen = []
        while True:
            f = self.next_frame()
            if f is None:
                raise AssertionError(f"connection closed; frames seen: {[x[:3] for x in seen]}")
            seen.append(f)
            if predicate(f):
                return seen

    def goaway(self) -> tuple:
        """(last stream id, error code) of the GOAWAY that ends the connection; then EOF."""
        last = self.until(lambda f: f[0] == GOAWAY)[-1]
        last_stream, code = struct.unpack(">II", last[3][:8])
        while self.next_frame() is not None:
            pass
        return last_stream & 0x7FFFFFFF, code

    def get(self, stream_id: int, path: str) -> str:
        """The :status of a GET on `stream_id` (its body read to the end)."""
        self.send(frame(HEADERS, END_STREAM | END_HEADERS, stream_id, request_block(path, self.encoder)))
        status = None
        for f in self.until(lambda f: f[2] == stream_id and f[1] & END_STREAM and f[0] in (HEADERS, DATA)):
            if f[0] == HEADERS and f[2] == stream_id:
                status = dict(self.decoder.decode(f[3])).get(":status")
        return status

    def close(self):
        self.sock.close()


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")
