"""Global rate limits with a Redis that wants a password and/or TLS, through the real binary and a
real redis-server: the limit enforced with the right password (the default user, an ACL user), a
wrong one refused into the failure mode with one log line naming the address and Redis's error
(never the password), a rotated password file read again at the next connect, TLS verified
against a CA file and for the server name (an IP address, a DNS name), a certificate for another
name refused, mutual TLS with and without a client certificate, and startup errors for bad files.

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_global_rate_limit_auth.py
"""

import os
import re
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_global_rate_limit as base  # noqa: E402  (its GlobalLimitCase; adds no test case here)
from gatehouse_harness import BIN, run_tool, wait_until  # noqa: E402
from policy_helpers import limit, rate_limit_policy  # noqa: E402
from redis_server import REDIS_SERVER, RedisServer, RedisTls  # noqa: E402
from test_backend_tls import make_ca, make_server  # noqa: E402

on = base.on


def write_secret(path: str, text: str):
    """As the kubelet updates a mounted Secret: the new content appears at once, whole."""
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


class AuthCase(base.GlobalLimitCase):
    """One worker (one connection to Redis), and a directory of files for the flags."""

    workers = 1

    @classmethod
    def files(cls) -> str:
        if "_files" not in cls.__dict__:
            cls._files = tempfile.mkdtemp(prefix="gatehouse-itest-redis-auth-")
            cls.addClassCleanup(shutil.rmtree, cls._files, True)
        return cls._files

    @classmethod
    def pki(cls) -> dict:
        """A CA, a Redis certificate for redis.test and 127.0.0.1, a client certificate."""
        if "_pki" not in cls.__dict__:
            d = cls.files()
            ca = make_ca(d, "redis")
            cls._pki = {"ca": ca[0],
                        "server": make_server(d, "server", ca, "DNS:redis.test,IP:127.0.0.1"),
                        "client": make_server(d, "client", ca, "DNS:gatehouse", usage="clientAuth")}
        return cls._pki

    @classmethod
    def password_file(cls, password: str) -> str:
        path = os.path.join(cls.files(), "password")
        write_secret(path, password + "\n")
        return path

    def log(self, replica=0) -> str:
        with open(self.replica[replica][0].log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def redis_calls(self, replica=0) -> dict:
        text = self.metrics(replica)
        return {k: int(v) for k, v in re.findall(r'gatehouse_rate_limit_redis_calls_total\{result="(\w+)"\} (\d+)\n', text)}


class RedisPasswordTest(AuthCase):
    rules = ["right", "rotated"]
    policies = [
        rate_limit_policy("rl-right", on("right"), global_limit=limit(3, "1h", failureMode="Closed")),
        rate_limit_policy("rl-rotated", on("rotated"), global_limit=limit(3, "1h", failureMode="Closed")),
    ]

    @classmethod
    def make_redis(cls):
        return RedisServer(password="first-Secret-41")

    @classmethod
    def redis_args(cls, replica):
        return ("--rate-limit-redis-password-file", cls.password_file("first-Secret-41"))

    def test_the_right_password_enforces_the_limit(self):
        self.assertEqual([self.get("/right").status for _ in range(4)], [200, 200, 200, 429])

    def test_a_rotated_password_is_read_again_at_the_next_connect(self):
        self.assertEqual(self.get("/rotated").status, 200)
        self.redis.stop()
        self.redis.password = "second-Secret-42"
        self.redis.start()
        # A request reconnects (after the backoff); the old password is refused until the file has the new one.
        wait_until(lambda: self.get("/rotated").status == 503 and 'AUTH refused: "WRONGPASS' in self.log(),
                   what="the refused AUTH in the log")
        self.assertEqual(self.get("/rotated").status, 503)
        write_secret(os.path.join(self.files(), "password"), "second-Secret-42\n")

        def answered():
            status = self.get("/rotated").status
            return status != 503 and status

        # A new Redis has no bucket: the limit starts afresh once a reconnect authenticates.
        self.assertEqual(wait_until(answered, what="the limit back"), 200)
        self.assertEqual([self.get("/rotated").status for _ in range(3)], [200, 200, 429])
        self.assertIn(f"redis {self.redis.address}: connected again", self.log())
        self.assertNotIn("Secret-4", self.log())


class RedisWrongPasswordTest(AuthCase):
    rules = ["open", "closed"]
    policies = [
        rate_limit_policy("rl-open", on("open"), global_limit=limit(1, "1h", failureMode="Open")),
        rate_limit_policy("rl-closed", on("closed"), global_limit=limit(1, "1h", failureMode="Closed")),
    ]

    @classmethod
    def make_redis(cls):
        return RedisServer(password="the-right-one")

    @classmethod
    def redis_args(cls, replica):
        return ("--rate-limit-redis-password-file", cls.password_file("not-the-password-5f2c"))

    def test_a_refused_password_fails_into_the_failure_mode_and_is_logged_without_it(self):
        # The limit is 1: without Redis's decision Open lets every request through, Closed none.
        self.assertEqual([self.get("/open").status for _ in range(3)], [200] * 3)
        self.assertEqual([self.get("/closed").status for _ in range(3)], [503] * 3)
        log = self.log()
        lines = [line for line in log.splitlines() if "AUTH refused" in line]
        self.assertGreaterEqual(len(lines), 1)
        self.assertIn(f'redis {self.redis.address}: AUTH refused: "WRONGPASS invalid username-password pair or user '
                      'is disabled."; rate limit calls fail for 100 ms, then it connects again', lines[0])
        self.assertNotIn("not-the-password", log)
        self.assertNotIn("connected again", log)
        calls = self.redis_calls()
        self.assertEqual((calls["ok"], calls["timeout"]), (0, 0))
        self.assertEqual(calls["error"], 6)


class RedisAclUserTest(AuthCase):
    rules = ["acl"]
    policies = [rate_limit_policy("rl-acl", on("acl"), global_limit=limit(3, "1h", failureMode="Closed"))]

    @classmethod
    def make_redis(cls):
        # The default user needs another password: only the ACL user's works.
        return RedisServer(password="default-user-password", users=("limiter on >acl-password ~* +@all",))

    @classmethod
    def redis_args(cls, replica):
        return ("--rate-limit-redis-username", "limiter",
                "--rate-limit-redis-password-file", cls.password_file("acl-password"))

    def test_an_acl_user_enforces_the_limit(self):
        self.assertEqual([self.get("/acl").status for _ in range(4)], [200, 200, 200, 429])
        self.assertEqual(self.redis_calls()["ok"], 5)  # the first EVALSHA's NOSCRIPT, then EVAL, then 3 EVALSHAs


class RedisTlsTest(AuthCase):
    rules = ["tls"]
    policies = [rate_limit_policy("rl-tls", on("tls"), global_limit=limit(3, "1h", failureMode="Closed"))]

    @classmethod
    def make_redis(cls):
        pki = cls.pki()
        return RedisServer(tls=RedisTls(*pki["server"], pki["ca"]))

    @classmethod
    def redis_args(cls, replica):
        # A DNS name: sent as SNI, and the certificate must carry it.
        return ("--rate-limit-redis-tls", "--rate-limit-redis-ca-file", cls.pki()["ca"],
                "--rate-limit-redis-server-name", "redis.test")

    def test_tls_verified_against_the_ca_file_enforces_the_limit(self):
        self.assertEqual([self.get("/tls").status for _ in range(4)], [200, 200, 200, 429])
        self.assertNotIn("TLS handshake", self.log())


class RedisTlsWrongNameTest(AuthCase):
    rules = ["open", "closed"]
    policies = [
        rate_limit_policy("rl-open", on("open"), global_limit=limit(1, "1h", failureMode="Open")),
        rate_limit_policy("rl-closed", on("closed"), global_limit=limit(1, "1h", failureMode="Closed")),
    ]

    @classmethod
    def make_redis(cls):
        pki = cls.pki()
        return RedisServer(tls=RedisTls(*pki["server"], pki["ca"]))

    @classmethod
    def redis_args(cls, replica):
        return ("--rate-limit-redis-tls", "--rate-limit-redis-ca-file", cls.pki()["ca"],
                "--rate-limit-redis-server-name", "other.test")

    def test_a_certificate_for_another_name_is_refused_into_the_failure_mode(self):
        self.assertEqual([self.get("/open").status for _ in range(2)], [200, 200])
        self.assertEqual([self.get("/closed").status for _ in range(2)], [503, 503])
        line = next(line for line in self.log().splitlines() if "TLS handshake" in line)
        self.assertIn(f"redis {self.redis.address}: TLS handshake with other.test: ", line)
        self.assertIn("(certificate: hostname mismatch)", line)
        self.assertEqual(self.redis_calls()["ok"], 0)


class RedisMutualTlsTest(AuthCase):
    """Redis wants a client certificate and a password: replica 0 presents the certificate,
    replica 1 has none. The default server name, the address's IP, is verified as an address."""

    replicas = 2
    rules = ["mtls"]
    policies = [rate_limit_policy("rl-mtls", on("mtls"), global_limit=limit(3, "1h", failureMode="Closed"))]

    @classmethod
    def make_redis(cls):
        pki = cls.pki()
        return RedisServer(password="mtls-password",
                           tls=RedisTls(*pki["server"], pki["ca"], auth_clients=True, client=pki["client"]))

    @classmethod
    def redis_args(cls, replica):
        pki = cls.pki()
        args = ("--rate-limit-redis-password-file", cls.password_file("mtls-password"),
                "--rate-limit-redis-tls", "--rate-limit-redis-ca-file", pki["ca"])
        if replica == 0:
            args += ("--rate-limit-redis-cert-file", pki["client"][0], "--rate-limit-redis-key-file", pki["client"][1])
        return args

    def test_the_client_certificate_is_presented_and_without_one_redis_refuses(self):
        self.assertEqual([self.get("/mtls", replica=0).status for _ in range(4)], [200, 200, 200, 429])
        self.assertEqual([self.get("/mtls", replica=1).status for _ in range(2)], [503, 503])
        self.assertNotIn("TLS handshake", self.log(0))
        # TLS 1.3: the client's handshake is done before Redis checks its certificate; Redis's alert
        # comes on the first read (or, if its close outruns the alert, as a reset or broken pipe).
        self.assertRegex(self.log(1), re.escape(f"redis {self.redis.address}: ") +
                         r"(read: tlsv13 alert certificate required|read: Connection reset by peer|write: Broken pipe|"
                         r"TLS handshake with 127\.0\.0\.1: )[^;]*; rate limit calls fail for \d+ ms")
        self.assertEqual(self.redis_calls(1)["ok"], 0)


class RedisFlagErrorTest(unittest.TestCase):
    """Bad files are startup errors naming the flag, the file and the reason."""

    def setUp(self):
        if not os.access(BIN, os.X_OK):
            self.skipTest(f"no gatehouse binary at {BIN} (set GATEHOUSE_BIN)")
        self.dir = tempfile.mkdtemp(prefix="gatehouse-itest-redis-flags-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def serve(self, *flags) -> tuple:
        """Its exit code and output."""
        out = run_tool([BIN, "serve", self.dir, *flags])
        return out.returncode, (out.stdout + out.stderr).decode()

    def test_an_unreadable_ca_file(self):
        missing = os.path.join(self.dir, "missing.crt")
        code, out = self.serve("--rate-limit-redis", "127.0.0.1:6379", "--rate-limit-redis-tls",
                               "--rate-limit-redis-ca-file", missing)
        self.assertEqual(code, 2)
        self.assertIn(f"serve: --rate-limit-redis-ca-file {missing}: No such file or directory", out)

    def test_a_key_that_is_not_the_certificates(self):
        one = make_server(self.dir, "one", make_ca(self.dir, "a"), "DNS:one", usage="clientAuth")
        other = make_server(self.dir, "other", make_ca(self.dir, "b"), "DNS:other", usage="clientAuth")
        code, out = self.serve("--rate-limit-redis", "127.0.0.1:6379", "--rate-limit-redis-tls",
                               "--rate-limit-redis-cert-file", one[0], "--rate-limit-redis-key-file", other[1])
        self.assertEqual(code, 2)
        self.assertIn(f"serve: --rate-limit-redis-cert-file {one[0]}, --rate-limit-redis-key-file {other[1]}: client "
                      "certificate: the key does not match the certificate", out)

    def test_an_unreadable_password_file(self):
        missing = os.path.join(self.dir, "password")
        code, out = self.serve("--rate-limit-redis", "127.0.0.1:6379", "--rate-limit-redis-password-file", missing)
        self.assertEqual(code, 2)
        self.assertIn(f"serve: --rate-limit-redis-password-file {missing}: No such file or directory", out)

    def test_tls_without_an_address(self):
        code, out = self.serve("--rate-limit-redis-tls")
        self.assertNotEqual(code, 0)
        self.assertIn("--rate-limit-redis-tls requires --rate-limit-redis", out)


if __name__ == "__main__":
    unittest.main()
