#!/usr/bin/python3
"""Tiny UDP DNS responder standing in for the conformance suite's coredns (`whoami` on foo.bar.com).

    dns_server.py --bind IP [--port 53] [--zone foo.bar.com] [--ready-file FILE] [--quiet]

A/IN queries for the zone or any name under it get one A record holding the client's
IPv4 address (as whoami does), TTL 0. Other types in the zone: NOERROR, no answers.
Names outside the zone: NXDOMAIN. Undecodable queries with a readable header: FORMERR.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import signal
import struct
import sys

TYPE_A, CLASS_IN = 1, 1
RCODE_NOERROR, RCODE_FORMERR, RCODE_NXDOMAIN, RCODE_NOTIMP = 0, 1, 3, 4


class DnsError(Exception):
    pass


def parse_name(msg: bytes, offset: int):
    """Returns (lower-case dotted name, offset after the name); follows compression pointers."""
    labels, jumps, end = [], 0, None
    while True:
        if offset >= len(msg):
            raise DnsError("truncated name")
        length = msg[offset]
        if length & 0xC0 == 0xC0:
            if offset + 1 >= len(msg) or jumps > 16:
                raise DnsError("bad pointer")
            if end is None:
                end = offset + 2
            offset = ((length & 0x3F) << 8) | msg[offset + 1]
            jumps += 1
            continue
        if length & 0xC0:
            raise DnsError("bad label type")
        offset += 1
        if length == 0:
            break
        if offset + length > len(msg):
            raise DnsError("truncated label")
        labels.append(msg[offset:offset + length].decode("latin-1").lower())
        offset += length
    return ".".join(labels), (end if end is not None else offset)


def build_query(name: str, qid: int, qtype: int = TYPE_A) -> bytes:
    """A standard recursive query (used by tests and handy for probes)."""
    out = bytearray(struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0))
    for label in name.strip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode("ascii")
    out += b"\x00" + struct.pack("!HH", qtype, CLASS_IN)
    return bytes(out)


def answer(query: bytes, client_ip: str, zone: str):
    """Reply bytes for one query datagram, or None when it must be ignored."""
    if len(query) < 12:
        return None
    qid, flags, qdcount = struct.unpack("!HHH", query[:6])
    if flags & 0x8000:
        return None  # a response, not a query
    opcode = (flags >> 11) & 0xF
    rd = flags & 0x0100

    def reply(rcode: int, question: bytes = b"", answers: bytes = b"", ancount: int = 0) -> bytes:
        hdr_flags = 0x8000 | (opcode << 11) | 0x0400 | rd | rcode  # QR, AA
        return struct.pack("!HHHHHH", qid, hdr_flags, 1 if question else 0, ancount, 0, 0) + question + answers

    if opcode != 0:
        return reply(RCODE_NOTIMP)
    if qdcount != 1:
        return reply(RCODE_FORMERR)
    try:
        name, end = parse_name(query, 12)
        if end + 4 > len(query):
            raise DnsError("truncated question")
        qtype, qclass = struct.unpack("!HH", query[end:end + 4])
    except DnsError:
        return reply(RCODE_FORMERR)
    question = query[12:end + 4] if end <= len(query) else b""
    if query[12] & 0xC0:  # a compressed question cannot be copied verbatim; rebuild it
        question = build_query(name, 0, qtype)[12:]

    zone = zone.strip(".").lower()
    if not (name == zone or name.endswith("." + zone)):
        return reply(RCODE_NXDOMAIN, question)
    if qtype != TYPE_A or qclass != CLASS_IN:
        return reply(RCODE_NOERROR, question)
    try:
        addr = ipaddress.ip_address(client_ip)
        if addr.version != 4:
            raise ValueError
    except ValueError:
        addr = ipaddress.ip_address("127.0.0.1")
    rr = struct.pack("!HHHIH", 0xC00C, TYPE_A, CLASS_IN, 0, 4) + addr.packed
    return reply(RCODE_NOERROR, question, rr, 1)


class DnsProtocol(asyncio.DatagramProtocol):
    def __init__(self, zone: str, quiet: bool):
        self.zone = zone
        self.quiet = quiet
        self.transport = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        try:
            resp = answer(data, addr[0], self.zone)
        except Exception as e:  # noqa: BLE001 - never let one datagram stop the server
            sys.stderr.write(f"dns: {e!r}\n")
            return
        if resp is not None:
            try:
                self.transport.sendto(resp, addr)
            except OSError:
                pass

    def error_received(self, exc) -> None:
        pass


async def amain(args) -> int:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: DnsProtocol(args.zone, args.quiet), local_addr=(args.bind, args.port))
    if not args.quiet:
        print(f"DNS responder for {args.zone} on {args.bind}:{args.port}", flush=True)
    if args.ready_file:
        tmp = f"{args.ready_file}.tmp.{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(f'{{"pid": {os.getpid()}, "mode": "dns", "ports": {{"dns": {args.port}}}}}\n')
        os.replace(tmp, args.ready_file)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    transport.close()
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Minimal DNS responder for the UDPRoute conformance test.")
    parser.add_argument("--bind", required=True)
    parser.add_argument("--port", type=int, default=53)
    parser.add_argument("--zone", default="foo.bar.com")
    parser.add_argument("--ready-file")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    try:
        return asyncio.run(amain(args))
    except OSError as e:
        sys.stderr.write(f"dns: failed to listen on {args.bind}:{args.port}: {e}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
