"""TLS client helpers: trust a single PEM, Go-style host name verification (FORMAT §2.4), client certificates."""
import hashlib
import ipaddress
import os
import ssl
import threading


class TLSVerifyError(Exception):
    pass


# ------------------------------------------------------------------ Go crypto/x509 VerifyHostname

def _valid_hostname(host, is_pattern):
    if not is_pattern:
        host = host[:-1] if host.endswith('.') else host
    if not host or host == '*':
        return False
    for i, part in enumerate(host.split('.')):
        if part == '':
            return False
        if is_pattern and i == 0 and part == '*':
            continue
        for j, c in enumerate(part):
            if ('a' <= c <= 'z') or ('0' <= c <= '9') or ('A' <= c <= 'Z'):
                continue
            if c == '-' and j != 0:
                continue
            if c == '_':
                continue
            return False
    return True


def _lower_ascii(s):
    return ''.join(ch.lower() if 'A' <= ch <= 'Z' else ch for ch in s)


def _match_hostnames(pattern, host):
    pattern = _lower_ascii(pattern)
    host = _lower_ascii(host[:-1] if host.endswith('.') else host)
    if not pattern or not host:
        return False
    pp, hp = pattern.split('.'), host.split('.')
    if len(pp) != len(hp):
        return False
    for i, p in enumerate(pp):
        if i == 0 and p == '*':
            continue
        if p != hp[i]:
            return False
    return True


def _match_exactly(pattern, host):
    if not host or host == '.' or not pattern or pattern == '.':
        return False
    return _lower_ascii(pattern) == _lower_ascii(host)


def go_verify_hostname(dns_names, ip_sans, host):
    """Return None when host matches like Go's (*x509.Certificate).VerifyHostname, else an error string."""
    candidate = host
    if candidate.startswith('[') and candidate.endswith(']'):
        candidate = candidate[1:-1]
    try:
        ip = ipaddress.ip_address(candidate)
    except ValueError:
        ip = None
    if ip is not None:
        for s in ip_sans:
            try:
                if ipaddress.ip_address(s) == ip:
                    return None
            except ValueError:
                continue
        return f'certificate is not valid for IP {candidate}'
    candidate = _lower_ascii(host)
    valid_candidate = _valid_hostname(candidate, False)
    for m in dns_names:
        if valid_candidate and _valid_hostname(m, True):
            if _match_hostnames(m, candidate):
                return None
        elif _match_exactly(m, candidate):
            return None
    return f'certificate is valid for {", ".join(dns_names) or "no DNS names"}, not {host}'


def cert_sans(peer):
    """(dns names, ip addresses) of a getpeercert() dict."""
    dns, ips = [], []
    for typ, val in peer.get('subjectAltName', ()):
        if typ == 'DNS':
            dns.append(val)
        elif typ == 'IP Address':
            ips.append(val.strip())
    return dns, ips


# ------------------------------------------------------------------ contexts

_files_lock = threading.Lock()


def _material_files(workdir, cert_pem, key_pem):
    h = hashlib.sha256((cert_pem + key_pem).encode()).hexdigest()[:16]
    d = os.path.join(workdir, 'client-certs')
    os.makedirs(d, exist_ok=True)
    cf, kf = os.path.join(d, h + '.crt'), os.path.join(d, h + '.key')
    with _files_lock:
        if not os.path.exists(kf):
            with open(cf, 'w') as f:
                f.write(cert_pem)
            with open(kf + '.tmp', 'w') as f:
                f.write(key_pem)
            os.chmod(kf + '.tmp', 0o600)
            os.rename(kf + '.tmp', kf)
    return cf, kf


class CertRequestWatcher:
    """Records whether the server sent a CertificateRequest (via OpenSSL's message callback)."""

    def __init__(self):
        self.requested = False

    def __call__(self, conn, direction, version, content_type, msg_type, data):
        try:
            if direction == 'read' and int(msg_type) == 13:   # certificate_request
                self.requested = True
        except (TypeError, ValueError):
            pass


def client_context(trust_pem=None, client_cert=None, alpn=None, workdir='/tmp', watcher=None, verify=True):
    """A TLS client context: trust_pem is the only root (partial chains allowed); no built-in host check."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.check_hostname = False
    if verify:
        ctx.verify_mode = ssl.CERT_REQUIRED
        if trust_pem:
            ctx.load_verify_locations(cadata=trust_pem)
        else:
            ctx.load_default_certs()
        ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    else:
        ctx.verify_mode = ssl.CERT_NONE
    if client_cert:
        cf, kf = _material_files(workdir, *client_cert)
        ctx.load_cert_chain(cf, kf)
    if alpn:
        ctx.set_alpn_protocols(alpn)
    if watcher is not None and hasattr(ctx, '_msg_callback'):
        ctx._msg_callback = watcher
    return ctx


def wrap_and_verify(sock, ctx, sni, verify_name=None):
    """TLS handshake with SNI, then Go-style host name verification against verify_name (default: sni)."""
    ss = ctx.wrap_socket(sock, server_hostname=sni or None, do_handshake_on_connect=False)
    ss.do_handshake()
    if ctx.verify_mode == ssl.CERT_REQUIRED:
        peer = ss.getpeercert()
        dns, ips = cert_sans(peer or {})
        err = go_verify_hostname(dns, ips, verify_name or sni or '')
        if err:
            ss.close()
            raise TLSVerifyError(f'x509: {err}')
    return ss
