"""A private redis-server for the integration tests (Debian's redis-server package): on a free
loopback port, no persistence, stopped and started again on the same port at will; optionally with
a password (requirepass), ACL users, and TLS only (no plaintext port)."""

import shutil
import socket
import subprocess
import tempfile
from typing import Optional

from gatehouse_harness import wait_until

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisTls:
    """TLS files of a TLS-only redis-server; `client`: a (cert, key) pair redis-cli presents."""

    def __init__(self, cert: str, key: str, ca: str, auth_clients: bool = False, client: Optional[tuple] = None):
        self.cert, self.key, self.ca, self.auth_clients, self.client = cert, key, ca, auth_clients, client


class RedisServer:
    def __init__(self, password: Optional[str] = None, users: tuple = (), tls: Optional[RedisTls] = None):
        """`password`: the default user's (requirepass; may be changed between stop() and start());
        `users`: ACL rules, e.g. "limiter on >pw ~* +@all"; `tls`: serve TLS only."""
        self.port = _free_port()
        self.dir = tempfile.mkdtemp(prefix="gatehouse-itest-redis-")
        self.proc: Optional[subprocess.Popen] = None
        self.password, self.users, self.tls = password, users, tls

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self):
        args = [REDIS_SERVER, "--save", "", "--appendonly", "no", "--bind", "127.0.0.1", "--dir", self.dir]
        if self.tls:
            args += ["--port", "0", "--tls-port", str(self.port), "--tls-cert-file", self.tls.cert,
                     "--tls-key-file", self.tls.key, "--tls-ca-cert-file", self.tls.ca,
                     "--tls-auth-clients", "yes" if self.tls.auth_clients else "no"]
        else:
            args += ["--port", str(self.port)]
        if self.password is not None:
            args += ["--requirepass", self.password]
        for user in self.users:
            args += ["--user", *user.split()]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._answers, what="redis-server PING")

    def _cli_args(self) -> list:
        args = [REDIS_CLI, "-p", str(self.port)]
        if self.password is not None:
            args += ["-a", self.password, "--no-auth-warning"]
        if self.tls:
            args += ["--tls", "--cacert", self.tls.ca]
            if self.tls.client:
                args += ["--cert", self.tls.client[0], "--key", self.tls.client[1]]
        return args

    def _answers(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"redis-server exited with {self.proc.returncode}")
        out = subprocess.run([*self._cli_args(), "PING"], capture_output=True, timeout=10)
        return out.stdout == b"PONG\n"

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def cli(self, *args: str) -> str:
        """One command through redis-cli; its output without the trailing newline."""
        out = subprocess.run([*self._cli_args(), *args], capture_output=True, timeout=10, check=True)
        return out.stdout.decode().rstrip("\n")
