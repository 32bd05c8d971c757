"""Shared helpers for the echo backend: pod identity, Go-compatible encodings, TLS, logging."""

from __future__ import annotations

import datetime
import json
import os
import re
import ssl
import sys
from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class PodContext:
    """Identity reported in every echo reply (upstream reads the same env vars)."""

    namespace: str = ""
    ingress: str = ""
    service: str = ""
    pod: str = ""

    @classmethod
    def from_env(cls, env=os.environ) -> "PodContext":
        return cls(
            namespace=env.get("NAMESPACE", ""),
            ingress=env.get("INGRESS_NAME", ""),
            service=env.get("SERVICE_NAME", ""),
            pod=env.get("POD_NAME", ""),
        )


# --- logging -----------------------------------------------------------------


class EchoLog:
    """Writes `<RFC3339 UTC µs> message` lines to an optional file and to stdout."""

    def __init__(self, path: Optional[str], quiet: bool = False):
        self._file = open(path, "a", buffering=1, encoding="utf-8") if path else None
        self._quiet = quiet

    @staticmethod
    def timestamp() -> str:
        now = datetime.datetime.now(datetime.timezone.utc)
        return now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def echo(self, message: str) -> None:
        line = f"{self.timestamp()} {message}\n"
        if self._file is not None:
            try:
                self._file.write(line)
            except OSError:
                pass
        self.info(line, stamped=True)

    def info(self, message: str, stamped: bool = False) -> None:
        if self._quiet:
            return
        if not stamped:
            message = f"{self.timestamp()} {message}\n"
        try:
            sys.stdout.write(message)
            sys.stdout.flush()
        except (OSError, ValueError):
            pass


# --- Go-compatible encodings ---------------------------------------------------

_GO_HTML_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_GO_HTML_RE = re.compile("[<>&\u2028\u2029]")


def go_json(obj, indent: Optional[str] = None) -> bytes:
    """json.Marshal / MarshalIndent(obj, "", indent): HTML-safe escapes, raw UTF-8.

    The characters escaped by Go never appear in Python's output except inside strings,
    so a plain textual substitution is safe.
    """
    if indent is None:
        text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    else:
        text = json.dumps(obj, ensure_ascii=False, indent=indent, separators=(",", ": "))
    return _GO_HTML_RE.sub(lambda m: _GO_HTML_ESCAPES[m.group(0)], text).encode("utf-8")


_TOKEN_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def is_token(s: str) -> bool:
    return bool(s) and all(c in _TOKEN_CHARS for c in s)


def canonical_header_key(name: str) -> str:
    """textproto.CanonicalMIMEHeaderKey: names with non-token bytes stay unchanged."""
    if not is_token(name):
        return name
    out = []
    upper = True
    for c in name:
        out.append(c.upper() if upper else c.lower())
        upper = c == "-"
    return "".join(out)


_DURATION_UNITS = {
    "ns": 1e-9, "us": 1e-6, "\u00b5s": 1e-6, "\u03bcs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0,
}
_DURATION_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)([^0-9.]*)")


def go_quote(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def parse_go_duration(text: str) -> float:
    """time.ParseDuration, in seconds. Raises ValueError with Go's message."""
    orig = text
    if not text:
        raise ValueError(f"time: invalid duration {go_quote(orig)}")
    sign = 1.0
    if text[0] in "+-":
        sign = -1.0 if text[0] == "-" else 1.0
        text = text[1:]
    if text == "0":
        return 0.0
    if not text:
        raise ValueError(f"time: invalid duration {go_quote(orig)}")
    total = 0.0
    while text:
        m = _DURATION_PART.match(text)
        number, unit = m.group(1), m.group(2)
        if number in ("", "."):
            raise ValueError(f"time: invalid duration {go_quote(orig)}")
        if not unit:
            raise ValueError(f"time: missing unit in duration {go_quote(orig)}")
        if unit not in _DURATION_UNITS:
            raise ValueError(f"time: unknown unit {go_quote(unit)} in duration {go_quote(orig)}")
        total += float(number) * _DURATION_UNITS[unit]
        text = text[m.end():]
    if total > 9223372036.854775807:
        raise ValueError(f"time: invalid duration {go_quote(orig)}")
    return sign * total


def format_addr(peer) -> str:
    """Go's RemoteAddr form: ip:port, IPv6 in brackets."""
    if not peer:
        return ""
    host, port = peer[0], peer[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


# --- TLS -------------------------------------------------------------------------

# OpenSSL TLS 1.2 names -> IANA names as Go's tls.CipherSuiteName prints them.
# TLS 1.3 suites already carry their IANA names in OpenSSL.
_CIPHER_NAMES = {
    "ECDHE-RSA-AES128-GCM-SHA256": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "ECDHE-RSA-AES256-GCM-SHA384": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "ECDHE-ECDSA-AES128-GCM-SHA256": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384": "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "ECDHE-RSA-CHACHA20-POLY1305": "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "ECDHE-ECDSA-CHACHA20-POLY1305": "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "ECDHE-RSA-AES128-SHA256": "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
    "ECDHE-ECDSA-AES128-SHA256": "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
    "ECDHE-RSA-AES128-SHA": "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "ECDHE-RSA-AES256-SHA": "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "ECDHE-ECDSA-AES128-SHA": "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "ECDHE-ECDSA-AES256-SHA": "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "AES128-GCM-SHA256": "TLS_RSA_WITH_AES_128_GCM_SHA256",
    "AES256-GCM-SHA384": "TLS_RSA_WITH_AES_256_GCM_SHA384",
    "AES128-SHA256": "TLS_RSA_WITH_AES_128_CBC_SHA256",
    "AES128-SHA": "TLS_RSA_WITH_AES_128_CBC_SHA",
    "AES256-SHA": "TLS_RSA_WITH_AES_256_CBC_SHA",
}


def iana_cipher_name(openssl_name: str) -> str:
    return _CIPHER_NAMES.get(openssl_name, openssl_name)


def make_server_tls_context(cert: str, key: str, alpn=None, client_ca: Optional[str] = None) -> ssl.SSLContext:
    """Server context recording SNI on the SSL object (Go exposes it as ServerName)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    if client_ca:
        # Go's VerifyClientCertIfGiven: ask for a certificate, verify it only if one is sent.
        ctx.load_verify_locations(cafile=client_ca)
        ctx.verify_mode = ssl.CERT_OPTIONAL

    def remember_sni(ssl_obj, server_name, _ctx):
        try:
            ssl_obj.echo_sni = server_name or ""
        except AttributeError:
            pass
        return None

    ctx.sni_callback = remember_sni
    return ctx


@dataclass
class TLSInfo:
    version: str  # OpenSSL form, e.g. "TLSv1.3" (same as echo-basic's HTTP output)
    server_name: str
    negotiated_protocol: str
    cipher_suite: str
    peer_certificates: list

    @classmethod
    def from_ssl_object(cls, obj) -> Optional["TLSInfo"]:
        if obj is None:
            return None
        cipher = obj.cipher()
        peers = []
        try:
            der = obj.getpeercert(binary_form=True)
        except (ValueError, ssl.SSLError):
            der = None
        if der:
            # Python 3.11 exposes only the leaf, not the whole chain Go reports.
            peers.append(ssl.DER_cert_to_PEM_cert(der))
        return cls(
            version=obj.version() or "",
            server_name=getattr(obj, "echo_sni", "") or "",
            negotiated_protocol=obj.selected_alpn_protocol() or "",
            cipher_suite=iana_cipher_name(cipher[0]) if cipher else "",
            peer_certificates=peers,
        )

    def go_version_name(self) -> str:
        """tls.VersionName form ("TLS 1.3") used by the TCP echo."""
        return self.version.replace("TLSv", "TLS ")
