"""Pure parts of the `http` step: request assembly (FORMAT §8.1.1), expectation defaults (§8.1.2) and the
evaluation of one attempt (§8.1.3)."""
import json
import urllib.parse

from ..util import split_target

REDIRECT_STATUSES = (300, 301, 302, 303, 304, 305, 307, 308)
REQUEST_ID_PARAM = 'gateway-api-conformance-request-id'


def go_query_escape(s):
    return urllib.parse.quote_plus(s, safe='')


def add_query_params(path, params):
    """Add/replace query parameters and re-encode the query with keys sorted (Go url.Values.Encode)."""
    if not params:
        return path
    base, _, query = path.partition('?')
    values = {}
    order = []
    for pair in query.split('&') if query else []:
        if not pair:
            continue
        k, _, v = pair.partition('=')
        k = urllib.parse.unquote_plus(k)
        v = urllib.parse.unquote_plus(v)
        if k not in values:
            values[k] = []
            order.append(k)
        values[k].append(v)
    for k, v in params.items():
        values[k] = [v]
    parts = []
    for k in sorted(values):
        for v in values[k]:
            parts.append(f'{go_query_escape(k)}={go_query_escape(v)}')
    return base + '?' + '&'.join(parts)


def url_authority(scheme, target):
    """The URL host: the port is dropped when it is the scheme's default."""
    host, port = split_target(target, None)
    h = f'[{host}]' if ':' in host else host
    if port is None or (scheme == 'http' and port == 80) or (scheme == 'https' and port == 443):
        return h
    return f'{h}:{port}'


class Prepared:
    """One assembled case (default deep-merged) ready to be sent repeatedly."""

    def __init__(self, case, target):
        req = case.get('request') or {}
        self.case = case
        self.expect = case.get('expect') or {}
        self.mirrors = case.get('mirrors') or []
        self.scheme = req.get('scheme', 'http')
        self.protocol = req.get('protocol', 'HTTP/1.1')
        self.method = req.get('method', 'GET')
        self.target = target
        self.conn_host, self.conn_port = split_target(target, 443 if self.scheme == 'https' else 80)
        self.authority = url_authority(self.scheme, target)
        self.host = req.get('host', self.authority)
        self.host_given = 'host' in req
        self.path = req['path']
        self.headers = dict(req.get('headers') or {})
        self.body = req.get('body')
        self.sni = req.get('sni')
        self.trust = req.get('trust')
        self.client_cert = req.get('clientCert')
        self.follow = req.get('followRedirects', True) is not False
        self.echo_set = req.get('echoSetResponseHeaders') or {}
        self.request_id = bool(req.get('requestId'))
        self.uuid_param = req.get('uuidParam')

    def echo_set_header(self):
        return ','.join(f'{k}:{v}' for k, v in self.echo_set.items())

    def params(self, request_id=None, uuid=None):
        p = {}
        if self.request_id and request_id:
            p[REQUEST_ID_PARAM] = request_id
        if self.uuid_param and uuid:
            p[self.uuid_param] = uuid
        return p

    def send_path(self, params):
        return add_query_params(self.path, params)

    def send_headers(self, jitter=None):
        """(name, value) pairs sent besides Host: request headers (or the jitter header) + X-Echo-Set-Header."""
        hs = [('X-Jitter', str(jitter))] if jitter is not None else list(self.headers.items())
        hs.append(('X-Echo-Set-Header', self.echo_set_header()))
        return hs

    def expected_backend(self, params, jitter=False):
        """The backend request expectation (§8.1.2), with the per-attempt query parameters applied to the path."""
        br = self.expect.get('backendRequest')
        if br is None:
            return {'path': add_query_params(self.path, params), 'method': self.method,
                    'host': self.host if self.host_given else None,
                    'headers': {} if jitter else dict(self.headers), 'absentHeaders': [],
                    'sni': None, 'clientCert': None}
        path = br['path']
        if path != '':
            path = add_query_params(path, params)
        return {'path': path, 'method': br.get('method', 'GET'), 'host': br.get('host'),
                'headers': dict(br.get('headers') or {}), 'absentHeaders': list(br.get('absentHeaders') or []),
                'sni': br.get('sni'), 'clientCert': br.get('clientCert')}


def _joined(values):
    return ','.join(values)


def header_lookup(mapping, name):
    """Values of name in an echo header map {CanonicalName: [values]} (case-insensitive), or None."""
    n = name.lower()
    found = None
    for k, v in (mapping or {}).items():
        if k.lower() == n:
            vals = v if isinstance(v, list) else [v]
            found = (found or []) + [str(x) for x in vals]
    return found


def parse_echo(resp, sent_method):
    """§8.1.3 step 3: the echoed request, or an error string."""
    ctype = resp.header('Content-Type')
    if ctype == 'application/json':
        try:
            doc = json.loads(resp.body.decode('utf-8'))
        except (ValueError, UnicodeDecodeError) as e:
            return None, f'unparsable echo JSON: {e}'
        if not isinstance(doc, dict):
            return None, 'echo JSON is not an object'
        return doc, None
    return {'method': sent_method}, None


def evaluate(prep, expected, resp, sent_method, request_url, cert_pems=None):
    """Return None when the response satisfies the case (§8.1.3 steps 2–7), else the first difference."""
    exp = prep.expect
    statuses = exp.get('status', [200])
    location = None
    if resp.status in REDIRECT_STATUSES:
        loc = resp.header('Location')
        if loc is None:
            return f'status {resp.status} without a Location header'
        try:
            location = urllib.parse.urlsplit(urllib.parse.urljoin(request_url, loc))
            location.port  # noqa: B018  (raises ValueError on a bad port)
        except ValueError as e:
            return f'unparsable Location {loc!r}: {e}'
    echo, err = parse_echo(resp, sent_method)
    if err:
        return err
    if resp.status in (408, 504) and (408 in statuses or 504 in statuses):
        return None
    if resp.status not in statuses:
        return f'status {resp.status}, expected {statuses}'
    if resp.status in (200, 204):
        return check_echo(prep, expected, echo, resp, cert_pems or {})
    if location is not None and exp.get('redirect') is not None:
        return check_redirect(prep, exp['redirect'], location)
    return None


def check_echo(prep, expected, echo, resp, cert_pems):
    exp = prep.expect
    if expected.get('host') is not None and echo.get('host') != expected['host']:
        return f'backend host {echo.get("host")!r}, expected {expected["host"]!r}'
    if echo.get('path', '') != expected['path']:
        return f'backend path {echo.get("path", "")!r}, expected {expected["path"]!r}'
    if echo.get('method') != expected['method']:
        return f'backend method {echo.get("method")!r}, expected {expected["method"]!r}'
    eh = echo.get('headers') or {}
    for name, want in expected['headers'].items():
        got = header_lookup(eh, name)
        if got is None:
            return f'backend request header {name} missing (expected {want!r})'
        if _joined(got) != want:
            return f'backend request header {name}: {_joined(got)!r}, expected {want!r}'
    for name in expected['absentHeaders']:
        if header_lookup(eh, name) is not None:
            return f'backend request header {name} present ({_joined(header_lookup(eh, name))!r}), expected absent'
    want_ns = exp.get('namespace', '')
    if echo.get('namespace', '') != want_ns:
        return f'namespace {echo.get("namespace", "")!r}, expected {want_ns!r}'
    rexp = exp.get('response') or {}
    iw = bool(rexp.get('ignoreWhitespace'))

    def norm(s):
        return ''.join(s.split(' ')) if iw else s
    for name, want in (rexp.get('headers') or {}).items():
        got = resp.header_values(name)
        if not got:
            return f'response header {name} missing (expected {want!r})'
        if norm(_joined(got)) != norm(want):
            return f'response header {name}: {_joined(got)!r}, expected {want!r}'
    for name, options in (rexp.get('anyOf') or {}).items():
        got = resp.header_values(name)
        if not got:
            return f'response header {name} missing (expected one of {options})'
        if norm(_joined(got)) not in [norm(o) for o in options]:
            return f'response header {name}: {_joined(got)!r}, expected one of {options}'
    for name in rexp.get('absentHeaders') or []:
        if resp.header_values(name):
            return f'response header {name} present ({_joined(resp.header_values(name))!r}), expected absent'
    backend = exp.get('backend', '')
    pod = echo.get('pod', '') or ''
    if not pod.startswith(backend):
        return f'served by pod {pod!r}, expected backend {backend!r}'
    tls = echo.get('tls') or {}
    if expected.get('sni') is not None and tls.get('serverName') != expected['sni']:
        return f'backend saw SNI {tls.get("serverName")!r}, expected {expected["sni"]!r}'
    if expected.get('clientCert') is not None:
        pem = cert_pems.get(expected['clientCert'])
        peers = [p.strip() for p in tls.get('peerCertificates') or []]
        if not pem or pem.strip() not in peers:
            return f'backend did not receive the client certificate {expected["clientCert"]}'
    return None


def check_redirect(prep, red, loc):
    scheme = red.get('scheme', prep.scheme)
    if loc.scheme != scheme:
        return f'redirect scheme {loc.scheme!r}, expected {scheme!r}'
    if red.get('host') is not None and (loc.hostname or '') != red['host'].lower():
        return f'redirect host {loc.hostname!r}, expected {red["host"]!r}'
    port = '' if loc.port is None else str(loc.port)
    if 'port' in red:
        if port != str(red['port']):
            return f'redirect port {port!r}, expected {red["port"]!r}'
    else:
        ok = port == '' or (loc.scheme == 'http' and port == '80') or (loc.scheme == 'https' and port == '443')
        if not ok:
            return f'redirect port {port!r}, expected none'
    want_path = red.get('path', prep.path.split('?', 1)[0])
    if loc.path != want_path:
        return f'redirect path {loc.path!r}, expected {want_path!r}'
    return None


def backend_from_header_check(echo, name):
    """once mode with backendFromRequestHeader: one header value that prefixes the pod name."""
    vals = header_lookup(echo.get('headers') or {}, name) or []
    if len(vals) != 1:
        return f'echoed request has {len(vals)} {name} values, expected exactly one'
    pod = echo.get('pod', '') or ''
    if not pod.startswith(vals[0]):
        return f'served by pod {pod!r}, but header {name} says {vals[0]!r}'
    return None
