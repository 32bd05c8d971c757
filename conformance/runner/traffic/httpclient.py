"""A small exact HTTP client: HTTP/1.1 on raw sockets (optionally TLS), HTTP/2 over TLS (ALPN h2) and h2c with
prior knowledge (python3-h2). One fresh connection per request, as the upstream suite does."""
import socket
import ssl
import time

from ..util import canonical_header_name
from .tlsutil import wrap_and_verify

USER_AGENT_1 = 'Go-http-client/1.1'
USER_AGENT_2 = 'Go-http-client/2.0'


class HTTPError(Exception):
    """Transport, TLS or timeout error (no HTTP response)."""


class Response:
    def __init__(self, status, headers, body, proto):
        self.status = status
        self.headers = headers           # list of (name, value) in arrival order
        self.body = body
        self.proto = proto
        self.cert_requested = False

    def header_values(self, name):
        n = name.lower()
        return [v for k, v in self.headers if k.lower() == n]

    def header(self, name):
        vals = self.header_values(name)
        return vals[0] if vals else None


class Deadline:
    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    def left(self):
        left = self.end - time.monotonic()
        if left <= 0:
            raise HTTPError('timeout')
        return left


def connect(host, port, deadline):
    try:
        return socket.create_connection((host, port), timeout=deadline.left())
    except socket.timeout:
        raise HTTPError(f'dial {host}:{port}: timeout') from None
    except OSError as e:
        raise HTTPError(f'dial {host}:{port}: {e}') from None


def open_conn(host, port, scheme, deadline, tls_ctx=None, sni=None):
    sock = connect(host, port, deadline)
    if scheme != 'https':
        return sock
    try:
        sock.settimeout(deadline.left())
        return wrap_and_verify(sock, tls_ctx, sni)
    except HTTPError:
        sock.close()
        raise
    except (ssl.SSLError, OSError, ValueError) as e:
        sock.close()
        raise HTTPError(f'tls: {e}') from None
    except Exception as e:
        sock.close()
        raise HTTPError(f'tls: {e}') from None


# ------------------------------------------------------------------ HTTP/1.1

def build_http1_request(method, path, host, headers, body=None):
    """Bytes of one HTTP/1.1 request the way Go's client writes it (canonical names, sorted, Host first)."""
    lines = [f'{method} {path} HTTP/1.1', f'Host: {host}', f'User-Agent: {USER_AGENT_1}']
    hdrs = {}
    for name, value in headers:
        hdrs.setdefault(canonical_header_name(name), []).append(value)
    body = body.encode() if isinstance(body, str) else body
    if body:
        hdrs['Content-Length'] = [str(len(body))]
    hdrs['Connection'] = ['close']
    for name in sorted(hdrs):
        for v in hdrs[name]:
            lines.append(f'{name}: {v}')
    data = ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1')
    return data + (body or b'')


class _Reader:
    def __init__(self, sock, deadline):
        self.sock, self.deadline, self.buf = sock, deadline, b''

    def _fill(self):
        self.sock.settimeout(self.deadline.left())
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise HTTPError('read: timeout') from None
        except (OSError, ssl.SSLError) as e:
            raise HTTPError(f'read: {e}') from None
        return chunk

    def line(self):
        while b'\n' not in self.buf:
            chunk = self._fill()
            if not chunk:
                raise HTTPError('connection closed before a complete response (EOF)')
            self.buf += chunk
            if len(self.buf) > 1 << 20:
                raise HTTPError('header line too long')
        line, self.buf = self.buf.split(b'\n', 1)
        return line.rstrip(b'\r').decode('latin-1')

    def exact(self, n):
        while len(self.buf) < n:
            chunk = self._fill()
            if not chunk:
                raise HTTPError('unexpected EOF in body')
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def rest(self):
        out = [self.buf]
        self.buf = b''
        while True:
            chunk = self._fill()
            if not chunk:
                break
            out.append(chunk)
        return b''.join(out)


def read_http1_response(sock, deadline, method):
    r = _Reader(sock, deadline)
    while True:
        status_line = r.line()
        parts = status_line.split(' ', 2)
        if len(parts) < 2 or not parts[0].startswith('HTTP/') or not parts[1].isdigit():
            raise HTTPError(f'malformed status line {status_line!r}')
        status = int(parts[1])
        headers = []
        while True:
            line = r.line()
            if line == '':
                break
            if ':' not in line:
                raise HTTPError(f'malformed header line {line!r}')
            k, v = line.split(':', 1)
            headers.append((k.strip(), v.strip()))
        if 100 <= status < 200 and status != 101:
            continue
        break
    lower = {k.lower(): v for k, v in headers}
    if method == 'HEAD' or status in (204, 304) or 100 <= status < 200:
        body = b''
    elif 'chunked' in lower.get('transfer-encoding', '').lower():
        chunks = []
        while True:
            size_line = r.line().split(';')[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                raise HTTPError(f'bad chunk size {size_line!r}') from None
            if size == 0:
                while r.line() != '':
                    pass
                break
            chunks.append(r.exact(size))
            r.line()
        body = b''.join(chunks)
    elif 'content-length' in lower:
        try:
            body = r.exact(int(lower['content-length']))
        except ValueError:
            raise HTTPError('bad Content-Length') from None
    else:
        body = r.rest()
    return Response(status, headers, body, parts[0])


def http1_roundtrip(host, port, scheme, method, path, host_header, headers, body, timeout, tls_ctx=None, sni=None):
    deadline = Deadline(timeout)
    sock = open_conn(host, port, scheme, deadline, tls_ctx, sni)
    try:
        sock.settimeout(deadline.left())
        try:
            sock.sendall(build_http1_request(method, path, host_header, headers, body))
        except (OSError, ssl.SSLError) as e:
            raise HTTPError(f'write: {e}') from None
        return read_http1_response(sock, deadline, method)
    finally:
        try:
            sock.close()
        except OSError:
            pass


# ------------------------------------------------------------------ HTTP/2

def h2_roundtrip(host, port, scheme, method, path, authority, headers, body, timeout, tls_ctx=None, sni=None):
    import h2.config
    import h2.connection
    import h2.events
    import h2.exceptions

    deadline = Deadline(timeout)
    sock = open_conn(host, port, scheme, deadline, tls_ctx, sni)
    try:
        if scheme == 'https':
            proto = sock.selected_alpn_protocol()
            if proto != 'h2':
                raise HTTPError(f'server did not negotiate h2 via ALPN (got {proto!r})')
        conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True, header_encoding=None))
        conn.initiate_connection()
        body = body.encode() if isinstance(body, str) else body
        hdrs = [(b':method', method.encode()), (b':scheme', scheme.encode()), (b':authority', authority.encode()),
                (b':path', path.encode())]
        hdrs.append((b'user-agent', USER_AGENT_2.encode()))
        for k, v in headers:
            hdrs.append((k.lower().encode(), v.encode('latin-1')))
        if body:
            hdrs.append((b'content-length', str(len(body)).encode()))
        sid = conn.get_next_available_stream_id()
        conn.send_headers(sid, hdrs, end_stream=not body)
        if body:
            conn.send_data(sid, body, end_stream=True)
        sock.settimeout(deadline.left())
        sock.sendall(conn.data_to_send())
        status, resp_headers, data, done = None, [], [], False
        while not done:
            sock.settimeout(deadline.left())
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                raise HTTPError('read: timeout') from None
            except (OSError, ssl.SSLError) as e:
                raise HTTPError(f'read: {e}') from None
            if not chunk:
                raise HTTPError('connection closed before the response ended (EOF)')
            try:
                events = conn.receive_data(chunk)
            except h2.exceptions.ProtocolError as e:
                raise HTTPError(f'h2 protocol error: {e}') from None
            for ev in events:
                if isinstance(ev, h2.events.ResponseReceived) and ev.stream_id == sid:
                    for k, v in ev.headers:
                        k = k.decode('latin-1')
                        v = v.decode('latin-1')
                        if k == ':status':
                            status = int(v)
                        else:
                            resp_headers.append((k, v))
                elif isinstance(ev, h2.events.TrailersReceived) and ev.stream_id == sid:
                    for k, v in ev.headers:
                        resp_headers.append((k.decode('latin-1'), v.decode('latin-1')))
                elif isinstance(ev, h2.events.DataReceived) and ev.stream_id == sid:
                    data.append(ev.data)
                    conn.acknowledge_received_data(ev.flow_controlled_length, sid)
                elif isinstance(ev, h2.events.StreamEnded) and ev.stream_id == sid:
                    done = True
                elif isinstance(ev, h2.events.StreamReset) and ev.stream_id == sid:
                    raise HTTPError(f'stream reset by peer (error code {ev.error_code})')
                elif isinstance(ev, h2.events.ConnectionTerminated):
                    if not done:
                        raise HTTPError(f'GOAWAY received (error code {ev.error_code})')
            out = conn.data_to_send()
            if out:
                try:
                    sock.sendall(out)
                except (OSError, ssl.SSLError):
                    pass
        if status is None:
            raise HTTPError('no :status in response')
        return Response(status, resp_headers, b''.join(data), 'HTTP/2.0')
    finally:
        try:
            sock.close()
        except OSError:
            pass
