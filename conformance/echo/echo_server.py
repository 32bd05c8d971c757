#!/usr/bin/python3
"""Gatehouse stand-in for the Gateway API `echo-basic` image: one process = one pod.

    echo_server.py --bind IP [--log FILE] [--ready-file FILE] [--quiet]

The mode and identity come from the environment exactly as in the upstream Deployments
(see README.md): GRPC_ECHO_SERVER, TCP_ECHO_SERVER, UDP_ECHO_SERVER, else HTTP.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import EchoLog, PodContext, TLSInfo, format_addr, make_server_tls_context  # noqa: E402

# Mode modules are imported on demand: ~30 pods run at once, so each loads only what it serves.
STREAM_LIMIT = (1 << 20) + 8192  # http1.MAX_HEADER_BYTES plus slack


class ConfigError(Exception):
    pass


def _port(env, name: str, default: str) -> str:
    value = env.get(name) or default
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ConfigError(f"non-integer value in {name}: {value!r}")
    return value


def _mode(env) -> str:
    for var, mode in (("GRPC_ECHO_SERVER", "grpc"), ("TCP_ECHO_SERVER", "tcp"), ("UDP_ECHO_SERVER", "udp")):
        if env.get(var):
            return mode
    return "http"


class EchoProcess:
    def __init__(self, bind: str, log: EchoLog, env=os.environ):
        self.bind = bind
        self.log = log
        self.env = env
        self.ctx = PodContext.from_env(env)
        self.mode = _mode(env)
        self.servers: list = []
        self.transports: list = []
        self.ports: dict = {}

    async def _listen(self, label: str, port: str, handler, ssl_ctx=None) -> None:
        async def guarded(reader, writer):
            # A bug in one connection must never take the pod down or leak the socket.
            try:
                await handler(reader, writer)
            except Exception as e:  # noqa: BLE001
                sys.stderr.write(f"echo: {label} connection error: {e!r}\n")
            finally:
                if not writer.is_closing():
                    writer.close()

        server = await asyncio.start_server(
            guarded, host=self.bind, port=int(port), ssl=ssl_ctx, limit=STREAM_LIMIT,
            reuse_address=True, backlog=512, ssl_handshake_timeout=10 if ssl_ctx else None,
        )
        self.servers.append(server)
        self.ports[label] = int(port)
        self.log.info(f"Starting server, listening on {self.bind}:{port} ({label})")

    async def start(self) -> None:
        await getattr(self, f"_start_{self.mode}")()

    async def _start_http(self) -> None:
        from http1 import Http1Connection
        from http2 import serve_http
        from http_app import EchoApp

        env = self.env
        http_port = _port(env, "HTTP_PORT", "3000")
        h2c_port = _port(env, "H2C_PORT", "3001")
        https_port = _port(env, "HTTPS_PORT", "8443")
        app = EchoApp(self.ctx, http_port, self.log)
        h2c_app = EchoApp(self.ctx, http_port, self.log, h2c_only=True)

        def http1(the_app):
            async def handle(reader, writer):
                await Http1Connection(reader, writer, the_app, h2c_upgrade=True, prior_knowledge=True).run()
            return handle

        await self._listen("http", http_port, http1(app))
        await self._listen("h2c", h2c_port, http1(h2c_app))

        cert, key = env.get("TLS_SERVER_CERT"), env.get("TLS_SERVER_PRIVKEY")
        if cert and key:
            ctx = make_server_tls_context(cert, key, alpn=("h2", "http/1.1"),
                                          client_ca=env.get("TLS_CLIENT_CACERTS") or None)

            async def https(reader, writer):
                ssl_obj = writer.get_extra_info("ssl_object")
                if ssl_obj is not None and ssl_obj.selected_alpn_protocol() == "h2":
                    await serve_http(reader, writer, app, format_addr(writer.get_extra_info("peername")),
                                     TLSInfo.from_ssl_object(ssl_obj))
                else:
                    await Http1Connection(reader, writer, app, h2c_upgrade=False, prior_knowledge=False).run()

            await self._listen("https", https_port, https, ctx)

    async def _start_grpc(self) -> None:
        from grpc_server import GrpcEchoServer

        env = self.env
        server = GrpcEchoServer(self.ctx, self.log)
        await self._listen("grpc", _port(env, "HTTP_PORT", "3000"), server.serve_connection)
        cert, key = env.get("TLS_SERVER_CERT"), env.get("TLS_SERVER_PRIV_KEY")
        if cert and key:
            ctx = make_server_tls_context(cert, key, alpn=("h2",))
            await self._listen("grpcs", _port(env, "HTTPS_PORT", "8443"), server.serve_connection, ctx)

    async def _start_tcp(self) -> None:
        from l4 import TcpEcho

        env = self.env
        tcp_port = _port(env, "TCP_PORT", "3000")
        tls_port = _port(env, "TLS_PORT", "8443")
        echo = TcpEcho(self.ctx, self.log, tcp_port, tls_port, reset=env.get("TCP_MODE") == "RESET")
        await self._listen("tcp", tcp_port, echo.handle)
        cert, key = env.get("TLS_SERVER_CERT"), env.get("TLS_SERVER_PRIV_KEY")
        if cert and key:
            await self._listen("tls", tls_port, echo.handle, make_server_tls_context(cert, key))

    async def _start_udp(self) -> None:
        from l4 import UdpEcho

        port = _port(self.env, "UDP_PORT", "8080")
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: UdpEcho(self.ctx, self.log), local_addr=(self.bind, int(port)))
        self.transports.append(transport)
        self.ports["udp"] = int(port)
        self.log.info(f"UDP server listening on {self.bind}:{port}")

    def close(self) -> None:
        for server in self.servers:
            server.close()
        for transport in self.transports:
            transport.close()


def write_ready_file(path: str, proc: EchoProcess) -> None:
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump({"pid": os.getpid(), "mode": proc.mode, "bind": proc.bind, "ports": proc.ports}, f)
        f.write("\n")
    os.replace(tmp, path)


def _quiet_exception_handler(loop, context) -> None:
    # TLS handshake failures and peers vanishing are routine; keep them to one stderr line.
    exc = context.get("exception")
    msg = context.get("message", "")
    try:
        sys.stderr.write(f"echo: {msg}{': ' + repr(exc) if exc else ''}\n")
    except (OSError, ValueError):
        pass


async def amain(args) -> int:
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(_quiet_exception_handler)
    log = EchoLog(args.log, quiet=args.quiet)
    proc = EchoProcess(args.bind, log)
    try:
        await proc.start()
    except ConfigError as e:
        sys.stderr.write(f"echo: {e}\n")
        return 2
    except OSError as e:
        sys.stderr.write(f"echo: failed to start listening: {e}\n")
        return 1
    if args.ready_file:
        write_ready_file(args.ready_file, proc)

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    proc.close()
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Gateway API echo-basic stand-in (one pod).")
    parser.add_argument("--bind", required=True, help="IP address every port listens on")
    parser.add_argument("--log", help="append one line per echoed HTTP request to this file")
    parser.add_argument("--ready-file", help="written once every port listens")
    parser.add_argument("--quiet", action="store_true", help="print nothing to stdout")
    args = parser.parse_args(argv)
    return asyncio.run(amain(args))


if __name__ == "__main__":
    sys.exit(main())
