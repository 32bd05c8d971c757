"""Minimal RFC 6455 server side: handshake key and a message echo loop."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import struct

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_MESSAGE = 32 << 20  # x/net/websocket's DefaultMaxPayloadBytes

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


def accept_key(key: str) -> str:
    return base64.b64encode(hashlib.sha1(key.strip().encode() + _GUID).digest()).decode()


def encode_frame(opcode: int, payload: bytes, fin: bool = True, mask: bytes = b"") -> bytes:
    head = bytearray([(0x80 if fin else 0) | opcode])
    mask_bit = 0x80 if mask else 0
    n = len(payload)
    if n < 126:
        head.append(mask_bit | n)
    elif n < 1 << 16:
        head.append(mask_bit | 126)
        head += struct.pack("!H", n)
    else:
        head.append(mask_bit | 127)
        head += struct.pack("!Q", n)
    if mask:
        head += mask
        payload = _unmask(payload, mask)
    return bytes(head) + payload


def _unmask(data: bytes, mask: bytes) -> bytes:
    if not data:
        return data
    n = len(data)
    key = int.from_bytes((mask * (n // 4 + 1))[:n], "big")
    return (int.from_bytes(data, "big") ^ key).to_bytes(n, "big")


async def read_frame(reader: asyncio.StreamReader, max_size: int = MAX_MESSAGE):
    """Returns (fin, opcode, payload) with the payload unmasked."""
    b0, b1 = await reader.readexactly(2)
    fin, opcode = bool(b0 & 0x80), b0 & 0x0F
    masked, n = bool(b1 & 0x80), b1 & 0x7F
    if n == 126:
        (n,) = struct.unpack("!H", await reader.readexactly(2))
    elif n == 127:
        (n,) = struct.unpack("!Q", await reader.readexactly(8))
    if n > max_size:
        raise ValueError("frame too large")
    mask = await reader.readexactly(4) if masked else b""
    payload = await reader.readexactly(n)
    return fin, opcode, _unmask(payload, mask) if masked else payload


async def echo_frames(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Echo every complete message with its own type; answer pings and closes."""
    message_op, parts, size = None, [], 0
    try:
        while True:
            fin, opcode, payload = await read_frame(reader)
            if opcode == OP_PING:
                writer.write(encode_frame(OP_PONG, payload))
            elif opcode == OP_PONG:
                pass
            elif opcode == OP_CLOSE:
                writer.write(encode_frame(OP_CLOSE, payload[:2]))
                await writer.drain()
                return
            elif opcode in (OP_TEXT, OP_BINARY, OP_CONT):
                if opcode != OP_CONT:
                    message_op, parts, size = opcode, [], 0
                elif message_op is None:
                    return  # continuation without a start: protocol error
                parts.append(payload)
                size += len(payload)
                if size > MAX_MESSAGE:
                    writer.write(encode_frame(OP_CLOSE, struct.pack("!H", 1009)))
                    return
                if fin:
                    writer.write(encode_frame(message_op, b"".join(parts)))
                    message_op, parts, size = None, [], 0
            else:
                writer.write(encode_frame(OP_CLOSE, struct.pack("!H", 1002)))
                return
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ValueError):
        return
