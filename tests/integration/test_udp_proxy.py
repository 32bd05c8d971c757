"""UDP listeners and UDPRoute through the real binary, with Python datagram clients and backends:
replies go back to the client that asked, a client keeps its backend endpoint for its session,
sessions end after the idle timeout, and TCP and UDP listeners share a port number.

    GATEHOUSE_BIN=build/gatehouse /usr/bin/python3 -m unittest tests/integration/test_udp_proxy.py
"""

import os
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gatehouse_harness import (  # noqa: E402
    GATEWAY_GROUP, GatehouseTestCase, backend_ref, endpoint_slice, gateway, gateway_address, gateway_class, service,
    wait_until)

PORT = 5353


def udp_route(name: str, backends: list) -> dict:
    return {"apiVersion": f"{GATEWAY_GROUP}/v1", "kind": "UDPRoute", "metadata": {"name": name, "namespace": "default"},
            "spec": {"parentRefs": [{"name": "gw", "sectionName": "udp"}], "rules": [{"backendRefs": backends}]}}


class UdpBackend:
    """Answers each datagram with `name:<the sender's port>:payload`."""

    def __init__(self, ip: str, name: str):
        self.ip, self.name = ip, name
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((ip, 3000))
        self.senders = set()
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                data, addr = self.sock.recvfrom(65536)
            except OSError:
                return
            self.senders.add(addr)
            self.sock.sendto(f"{self.name}:{addr[1]}:".encode() + data, addr)

    def stop(self):
        self.sock.close()


def ask(ip: str, payload: bytes, sock=None, timeout: float = 2) -> str:
    own = sock is None
    sock = sock or socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.settimeout(timeout)
        sock.sendto(payload, (ip, PORT))
        return sock.recvfrom(65536)[0].decode()
    finally:
        if own:
            sock.close()


class UdpProxyTest(GatehouseTestCase):
    serve_args = ("--udp-idle-timeout", "1s")

    @classmethod
    def configure(cls, gh):
        cls.a = UdpBackend(gh.backend_ip(), "a")
        cls.b = UdpBackend(gh.backend_ip(), "b")
        gh.backends += [cls.a, cls.b]
        gh.write("00-infra.yaml", [
            gateway_class(),
            gateway("gw", [{"name": "udp", "port": PORT, "protocol": "UDP"},
                           {"name": "tcp", "port": PORT, "protocol": "TCP"}]),
            service("pair"), endpoint_slice("pair", [cls.a.ip, cls.b.ip]),
        ])
        gh.write("10-route.yaml", [udp_route("r", [backend_ref("pair")])])
        gh.sync()
        cls.ip = gateway_address(gh, "gw")
        wait_until(lambda: cls.try_ask(b"up"), what="UDP listener answering")

    @classmethod
    def try_ask(cls, payload):
        try:
            return ask(cls.ip, payload, timeout=0.5)
        except OSError:
            return None

    def test_reply_returns_to_the_asking_client(self):
        self.assertRegex(ask(self.ip, b"hello"), r"^[ab]:\d+:hello$")

    def test_a_client_keeps_its_endpoint_and_upstream_port_for_its_session(self):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            replies = {ask(self.ip, f"n{i}".encode(), sock=s).rsplit(":", 1)[0] for i in range(10)}
        self.assertEqual(len(replies), 1, replies)

    def test_clients_are_spread_over_the_endpoints(self):
        backends = {ask(self.ip, b"x")[0] for _ in range(8)}
        self.assertEqual(backends, {"a", "b"})

    def test_large_datagram_is_relayed_whole(self):
        payload = b"z" * 60000
        self.assertTrue(ask(self.ip, payload).endswith(":" + "z" * 60000))

    def test_session_ends_after_the_idle_timeout(self):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            first = ask(self.ip, b"1", sock=s).rsplit(":", 1)[0]
            time.sleep(2.5)  # the 1 s idle timeout, swept at least every 100 ms
            second = ask(self.ip, b"2", sock=s).rsplit(":", 1)[0]
        # A new session: a new upstream socket, so the backend sees another source port.
        self.assertNotEqual(first, second)

    def test_tcp_listener_shares_the_port_number(self):
        gw = self.gh.find("Gateway", "gw")
        listeners = {l["name"]: l for l in gw["status"]["listeners"]}
        self.assertEqual(listeners["tcp"]["conditions"][0]["status"], "True")
        self.assertEqual(listeners["udp"]["conditions"][0]["status"], "True")


if __name__ == "__main__":
    unittest.main()
