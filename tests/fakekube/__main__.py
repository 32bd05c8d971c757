"""python3 -m tests.fakekube --state-dir DIR [--listen 127.0.0.1:0] [--crds PATH ...]
                             [--history N] [--bookmark-interval SECONDS]

Writes DIR/{ca.crt,ca.key,server.crt,server.key,kubeconfig,admin-token,kubeconfig-client-cert},
prints `ready https://127.0.0.1:PORT` once serving, and stops on SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import signal
import ssl
import sys
import threading

import yaml

from .api import Api
from .auth import Authenticator, Authorizer
from .certs import CertificateAuthority
from .errors import ApiError
from .hooks import Controls
from .kinds import Registry
from .server import FakeApiServer
from .store import Store
from .validation import TOTAL_ANNOTATION_SIZE


def _yaml_files(paths: list[str]) -> list[str]:
    files = []
    for path in paths:
        if os.path.isdir(path):
            files += sorted(os.path.join(path, f) for f in os.listdir(path) if f.endswith((".yaml", ".yml")))
        else:
            files.append(path)
    return files


LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def _as_applied(doc: dict) -> dict:
    """doc with the annotation `kubectl apply` would have stored (its own JSON, keys sorted,
    annotations present), so a later `kubectl apply` of the same file finds nothing to change.
    Documents too big for it (the experimental HTTPRoute CRD) go in without, as they must be
    installed on a cluster (`kubectl apply --server-side`)."""
    annotations = {k: v for k, v in (doc["metadata"].get("annotations") or {}).items() if k != LAST_APPLIED}
    applied = {**doc, "metadata": {**doc["metadata"], "annotations": annotations}}
    text = json.dumps(applied, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
    # Go's encoding/json escapes these (HTML safety); kubectl compares the annotation byte for byte.
    for char, escape in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"), ("\u2028", "\\u2028"),
                         ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    if len(LAST_APPLIED) + len(text) + sum(len(k) + len(v) for k, v in annotations.items()) > TOTAL_ANNOTATION_SIZE:
        return doc
    return {**doc, "metadata": {**doc["metadata"], "annotations": {**annotations, LAST_APPLIED: text}}}


def install(api: Api, paths: list[str]) -> None:
    """Creates (or replaces, as a re-apply would) every object in the files as `kubectl apply`
    would, CRDs first so the other documents' kinds are served by the time they are created."""
    # The C loader: the Gateway API CRDs take 2 s to parse in pure Python, 0.3 s with it.
    docs = [d for f in _yaml_files(paths) for d in yaml.load_all(open(f), Loader=yaml.CSafeLoader) if d]
    docs.sort(key=lambda d: d.get("kind") != "CustomResourceDefinition")
    for doc in docs:
        group, _, version = doc["apiVersion"].rpartition("/")
        rt = next((t for t in api.registry.all() if t.group == group and t.kind == doc["kind"]
                   and version in t.versions), None)
        if rt is None:
            raise SystemExit(f"fakekube: {doc['apiVersion']} {doc['kind']} is not served")
        namespace = doc["metadata"].get("namespace", "default") if rt.namespaced else ""
        doc = _as_applied(doc)
        try:
            api.create(rt, version, namespace, doc)
        except ApiError as e:
            if e.reason != "AlreadyExists":
                raise SystemExit(f"fakekube: {doc['kind']} {doc['metadata'].get('name')}: {e.message}") from None
            api.update(rt, version, namespace, doc["metadata"]["name"], "", doc)


def _kubeconfig(server: str, ca_pem: bytes, user: dict) -> str:
    return yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "fake", "preferences": {},
        "clusters": [{"name": "fake", "cluster": {
            "server": server, "certificate-authority-data": base64.b64encode(ca_pem).decode()}}],
        "users": [{"name": "admin", "user": user}],
        "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "admin"}}]}, sort_keys=False)


def _write(path: str, text: str) -> None:
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write(text)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m tests.fakekube", description="A fake Kubernetes API server.")
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--listen", default="127.0.0.1:0")
    parser.add_argument("--crds", nargs="+", action="extend", default=[])
    parser.add_argument("--history", type=int, default=1000)
    parser.add_argument("--bookmark-interval", type=float, default=60.0)
    args = parser.parse_args(argv)

    os.makedirs(args.state_dir, exist_ok=True)
    ca = CertificateAuthority()
    cert_file, key_file = ca.write(args.state_dir)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert_file, key_file)
    tls.load_verify_locations(cadata=ca.cert_pem.decode())
    tls.verify_mode = ssl.CERT_OPTIONAL  # client certificates authenticate when presented
    tls.set_alpn_protocols(["http/1.1"])

    admin_token = secrets.token_urlsafe(32)
    store = Store(args.history)
    registry = Registry()
    authn = Authenticator(store, admin_token)
    authz = Authorizer(store)
    api = Api(store, registry)
    install(api, args.crds)
    controls = Controls(store)

    host, _, port = args.listen.rpartition(":")
    server = FakeApiServer((host, int(port)), tls, api, controls, authn, authz, args.bookmark_interval)
    url = f"https://{host}:{server.server_address[1]}"

    client_cert, client_key = ca.issue_client("admin-cert", ["system:masters"])
    _write(os.path.join(args.state_dir, "admin-token"), admin_token + "\n")
    _write(os.path.join(args.state_dir, "kubeconfig"), _kubeconfig(url, ca.cert_pem, {"token": admin_token}))
    _write(os.path.join(args.state_dir, "kubeconfig-client-cert"), _kubeconfig(url, ca.cert_pem, {
        "client-certificate-data": base64.b64encode(client_cert).decode(),
        "client-key-data": base64.b64encode(client_key).decode()}))

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    serving.start()
    print(f"ready {url}", flush=True)
    stop.wait()
    server.shutdown()
    store.close_watches(abort=False)
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
