#!/usr/bin/python3
"""A stand-in for `build/gatehouse`, ONLY to exercise the harness's Gatehouse code paths before the
real binary exists (its figures mean nothing). Implements the slice of the contract the harness
uses: `serve DIR --admin-address H:P --address-pool CIDR --controller-name X --workers N`, reads
Gateway/HTTPRoute/Service/EndpointSlice YAML from DIR (polling it), serves each Gateway's HTTP
listeners on its spec.addresses, routes by hostname + path prefix, applies the
RequestHeaderModifier `set`, answers 404 when nothing matches, and GET /ready on the admin port."""

import glob
import http.client
import http.server
import os
import socketserver
import sys
import threading
import time

import yaml

STATE = {"routes": {}, "ready": False, "listeners": set()}
LOCK = threading.Lock()


def load(d):
    gws, routes, eps = [], [], {}
    for f in sorted(glob.glob(os.path.join(d, "*.yaml"))):
        try:
            docs = list(yaml.safe_load_all(open(f)))
        except (OSError, yaml.YAMLError):
            continue
        for doc in docs:
            if not doc:
                continue
            k = doc.get("kind")
            if k == "Gateway":
                gws.append(doc)
            elif k == "HTTPRoute":
                routes.append(doc)
            elif k == "EndpointSlice":
                svc = doc["metadata"]["labels"]["kubernetes.io/service-name"]
                eps[svc] = (doc["endpoints"][0]["addresses"][0], doc["ports"][0]["port"])
    table = {}
    for r in routes:
        for rule in r["spec"]["rules"]:
            prefix = rule["matches"][0]["path"]["value"]
            hdr = {}
            for flt in rule.get("filters", []):
                for s in flt.get("requestHeaderModifier", {}).get("set", []):
                    hdr[s["name"]] = s["value"]
            be = eps.get(rule["backendRefs"][0]["name"])
            for h in r["spec"].get("hostnames", ["*"]):
                table.setdefault(h, []).append((prefix, hdr, be))
    listeners = {(g["spec"]["addresses"][0]["value"], lst["port"]) for g in gws
                 for lst in g["spec"]["listeners"] if lst["protocol"] == "HTTP"}
    return table, listeners


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        host = (self.headers.get("Host") or "").split(":")[0]
        with LOCK:
            rules = STATE["routes"].get(host) or STATE["routes"].get("*") or []
        for prefix, hdr, be in rules:
            if self.path.startswith(prefix) and be:
                try:
                    c = http.client.HTTPConnection(*be, timeout=5)
                    h = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                    h.update(hdr)
                    c.request("GET", self.path, headers=h)
                    r = c.getresponse()
                    body = r.read()
                    self.send_response(r.status)
                    for k, v in r.getheaders():
                        if k.lower() not in ("connection", "content-length", "date", "server"):
                            self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    c.close()
                    return
                except OSError:
                    self.send_error(502)
                    return
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()


class Admin(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        ok = self.path != "/ready" or STATE["ready"]
        body = b"ok\n" if ok else b"not ready\n"
        self.send_response(200 if ok else 503)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 4096


def serve(addr, handler):
    s = Server(addr, handler)
    threading.Thread(target=s.serve_forever, daemon=True).start()


def main():
    d = sys.argv[2]
    admin = sys.argv[sys.argv.index("--admin-address") + 1].rsplit(":", 1)
    serve((admin[0], int(admin[1])), Admin)
    last = None
    while True:
        sig = sorted((f, os.stat(f).st_mtime_ns) for f in glob.glob(os.path.join(d, "*.yaml")))
        if sig != last:
            last = sig
            table, listeners = load(d)
            with LOCK:
                STATE["routes"] = table
            for lst in listeners - STATE["listeners"]:
                serve(lst, Proxy)
                STATE["listeners"].add(lst)
            STATE["ready"] = True
        time.sleep(0.05)


if __name__ == "__main__":
    main()
