"""A private redis-server for the integration tests (Debian's redis-server package): on a free
loopback port, no persistence, stopped and started again on the same port at will."""

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


class RedisServer:
    def __init__(self):
        self.port = _free_port()
        self.dir = tempfile.mkdtemp(prefix="gatehouse-itest-redis-")
        self.proc: Optional[subprocess.Popen] = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self):
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1",
             "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._answers, what="redis-server PING")

    def _answers(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"redis-server exited with {self.proc.returncode}")
        out = subprocess.run([REDIS_CLI, "-p", str(self.port), "PING"], capture_output=True, timeout=10)
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
        out = subprocess.run([REDIS_CLI, "-p", str(self.port), *args], capture_output=True, timeout=10, check=True)
        return out.stdout.decode().rstrip("\n")
