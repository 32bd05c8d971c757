"""Traffic steps `grpc` (§8.2), `tcp` (§8.3), `udp` (§8.4), `dns` (§8.5), `tlsConnect` (§8.6), `websocket` (§8.7)."""
import base64
import concurrent.futures
import json
import os
import random
import socket
import ssl
import struct
import time

from ..fleet import dns_query_packet, dns_reply_ok
from ..util import StepFailed, deep_merge, parse_duration, split_target, strip_pod_hash
from .loops import consistent_loop, weights_loop
from .tlsutil import client_context, wrap_and_verify

# ------------------------------------------------------------------ grpc


def grpc_step(run, v):
    from .grpcclient import EchoClient
    target = v['target']
    default = v.get('default') or {}
    cases = [deep_merge(default, c) for c in v['cases']]
    if 'weights' in v:
        c = cases[0]

        def sample():
            md = dict(c.get('metadata') or {})
            if random.random() < 0.5:
                md['x-jitter'] = str(random.randint(0, 9999))
            client = EchoClient(target, c.get('authority'))
            try:
                code, resp, detail = client.call(c['method'], md, run.t.MaxTimeToConsistency)
            finally:
                client.close()
            if code != 'OK':
                raise RuntimeError(f'{code}: {detail}')
            return resp['context']['pod']

        reason = weights_loop(sample, v['weights'], deadline=run.deadline())
        if reason:
            raise StepFailed(f'weights: {reason}')
        return

    def one(c):
        exp = c.get('expect') or {}
        want = exp.get('code', 'OK')
        start = time.monotonic()
        holder = {'client': EchoClient(target, c.get('authority'))}

        def attempt():
            left = run.t.MaxTimeToConsistency - (time.monotonic() - start)
            code, resp, detail = holder['client'].call(c['method'], c.get('metadata'), left)
            if code == 'INTERNAL':
                holder['client'].close()
                holder['client'] = EchoClient(target, c.get('authority'))
            if code != want:
                return f'code {code} ({detail}), expected {want}'
            if code != 'OK':
                return None
            if resp['fully_qualified_method'] != '/' + c['method']:
                return f'echoed method {resp["fully_qualified_method"]!r}, expected {"/" + c["method"]!r}'
            ctx = resp['context']
            if 'namespace' in exp and ctx['namespace'] != exp['namespace']:
                return f'namespace {ctx["namespace"]!r}, expected {exp["namespace"]!r}'
            if not ctx['pod'].startswith(exp.get('backend', '')):
                return f'served by pod {ctx["pod"]!r}, expected backend {exp.get("backend")!r}'
            return None

        try:
            return consistent_loop(attempt, run.t.RequiredConsecutiveSuccesses, run.t.MaxTimeToConsistency,
                                   run.deadline())
        finally:
            holder['client'].close()

    if v.get('parallel') and len(cases) > 1:
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(16, len(cases))) as ex:
            reasons = list(ex.map(one, cases))
    else:
        reasons = [one(c) for c in cases]
    for i, r in enumerate(reasons):
        if r is not None:
            raise StepFailed(f'case {i + 1} [{cases[i]["method"]}'
                             f'{" @" + cases[i]["authority"] if cases[i].get("authority") else ""}]: {r}')


# ------------------------------------------------------------------ tcp

class _Lines:
    def __init__(self, sock, deadline):
        self.sock, self.deadline, self.buf = sock, deadline, b''

    def read(self):
        while b'\n' not in self.buf:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise OSError('read timeout')
            self.sock.settimeout(left)
            chunk = self.sock.recv(4096)
            if not chunk:
                raise OSError('EOF')
            self.buf += chunk
        line, self.buf = self.buf.split(b'\n', 1)
        return line.rstrip(b'\r').decode('utf-8', 'replace')

    def send(self, text):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise OSError('write timeout')
        self.sock.settimeout(left)
        self.sock.sendall(text.encode() + b'\n')


GREETING = 'Gateway API Test TCP Server'


def _tcp_connect(target, deadline):
    host, port = split_target(target)
    return socket.create_connection((host, port), timeout=max(0.001, deadline - time.monotonic()))


def tcp_short_exchange(target, timeout):
    """Connect, check the greeting, TEST -> parsed JSON (raises on any error)."""
    deadline = time.monotonic() + timeout
    s = _tcp_connect(target, deadline)
    try:
        lines = _Lines(s, deadline)
        g = lines.read()
        if g != GREETING:
            raise ValueError(f'greeting {g!r}')
        lines.send('TEST')
        doc = json.loads(lines.read())
        if not isinstance(doc, dict):
            raise ValueError('TEST reply is not a JSON object')
        return doc
    finally:
        s.close()


class _Fatal(Exception):
    pass


def tcp_step(run, v):
    target = v['target']
    mode = v.get('mode')
    if 'weights' in v:
        def sample():
            doc = tcp_short_exchange(target, run.t.RequestTimeout)
            return doc.get('pod') or ''
        reason = weights_loop(sample, v['weights'], deadline=run.deadline())
        if reason:
            raise StepFailed(f'weights: {reason}')
        return
    if mode == 'connect':
        host, port = split_target(target)
        end = min(time.monotonic() + run.t.MaxTimeToConsistency, run.deadline())
        last = None
        while True:
            t0 = time.monotonic()
            try:
                socket.create_connection((host, port), timeout=max(0.001, end - t0)).close()
                return
            except OSError as e:
                last = e
            nxt = t0 + run.t.DefaultPollInterval
            if nxt >= end:
                raise StepFailed(f'cannot connect to {target}: {last}')
            time.sleep(max(0.0, nxt - time.monotonic()))
    exp = v.get('expect') or {}
    if mode == 'once':
        timeout = parse_duration(v['requestTimeout']) if 'requestTimeout' in v else run.t.RequestTimeout
        for i in range(int(v.get('repeat', 1))):
            try:
                doc = tcp_short_exchange(target, timeout)
            except (OSError, ValueError) as e:
                raise StepFailed(f'exchange {i + 1}: {e}') from None
            pod = doc.get('pod') or ''
            if not pod:
                raise StepFailed(f'exchange {i + 1}: empty pod in TEST reply')
            if 'backend' in exp and not pod.startswith(exp['backend'] + '-'):
                raise StepFailed(f'exchange {i + 1}: pod {pod!r}, expected backend {exp["backend"]!r}')
            if 'namespace' in exp and doc.get('namespace') != exp['namespace']:
                raise StepFailed(f'exchange {i + 1}: namespace {doc.get("namespace")!r}, expected {exp["namespace"]!r}')
        return
    # full exchange
    tls = v.get('tls')
    ctx = None
    if tls:
        ctx = client_context(run.env.trust_pem(tls['trust']), workdir=run.env.workdir)

    def exchange(deadline):
        s = _tcp_connect(target, deadline)
        try:
            if ctx is not None:
                s.settimeout(max(0.001, deadline - time.monotonic()))
                s = wrap_and_verify(s, ctx, tls['sni'])
            lines = _Lines(s, deadline)
            try:
                g = lines.read()
            except OSError:
                raise
            if g != GREETING:
                raise _Fatal(f'greeting {g!r}, expected {GREETING!r}')
            lines.send('PING')
            r = lines.read()
            if r != 'PONG':
                raise _Fatal(f'PING answered {r!r}')
            lines.send('IS_TLS')
            r = lines.read()
            want = 'true' if exp.get('isTLS', False) else 'false'
            if r != want:
                raise _Fatal(f'IS_TLS answered {r!r}, expected {want!r}')
            lines.send('TEST')
            raw = lines.read()
            try:
                doc = json.loads(raw)
            except ValueError:
                raise OSError(f'unparsable TEST reply {raw!r}') from None
            if not isinstance(doc, dict):
                raise OSError(f'unparsable TEST reply {raw!r}')
            ns = exp.get('namespace', '')
            if doc.get('namespace', '') != ns:
                raise _Fatal(f'namespace {doc.get("namespace")!r}, expected {ns!r}')
            pod = doc.get('pod') or ''
            if not pod.startswith(exp['backend'] + '-'):
                raise _Fatal(f'pod {pod!r}, expected backend {exp["backend"]!r}')
            if 'sni' in exp and (doc.get('tls') or {}).get('serverName') != exp['sni']:
                raise _Fatal(f'backend SNI {(doc.get("tls") or {}).get("serverName")!r}, expected {exp["sni"]!r}')
        finally:
            s.close()

    start = time.monotonic()
    end = min(start + run.t.MaxTimeToConsistency, run.deadline())
    last = None
    attempt_no = 0
    while True:
        t0 = time.monotonic()
        attempt_no += 1
        try:
            exchange(end)
            return
        except _Fatal as e:
            raise StepFailed(f'attempt {attempt_no}: {e}') from None
        except (OSError, ssl.SSLError, ValueError) as e:
            last = e
        except Exception as e:   # noqa: BLE001  (e.g. host name verification)
            last = e
        nxt = t0 + 1.0
        if nxt >= end:
            raise StepFailed(f'no complete exchange with {target} within {run.t.MaxTimeToConsistency:g}s; last: {last}')
        time.sleep(max(0.0, nxt - time.monotonic()))


# ------------------------------------------------------------------ udp

DEFAULT_UDP_PAYLOAD = 'gateway-api-conformance-udp-echo'


def udp_probe(target, payload, timeout=2.0):
    host, port = split_target(target)
    s = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        s.sendto(payload.encode(), (host, port))
        data, _ = s.recvfrom(65535)
        return data
    finally:
        s.close()


def udp_classify(data, exp):
    """'match' | 'mismatch' | 'error:<why>' for one reply (§8.4)."""
    if exp is None:
        return 'match'
    try:
        doc = json.loads(data.decode('utf-8'))
    except (ValueError, UnicodeDecodeError):
        return 'error:reply is not JSON'
    if not isinstance(doc, dict):
        return 'error:reply is not a JSON object'
    if 'backend' in exp and not doc.get('pod'):
        return 'error:empty pod'
    if 'service' in exp and doc.get('service') != exp['service']:
        return 'mismatch'
    if 'namespace' in exp and doc.get('namespace') != exp['namespace']:
        return 'mismatch'
    if 'backend' in exp and strip_pod_hash(doc.get('pod', '')) != exp['backend']:
        return 'mismatch'
    return 'match'


def udp_step(run, v):
    target = v['target']
    payload = v.get('payload', DEFAULT_UDP_PAYLOAD)
    if 'weights' in v:
        def sample():
            data = udp_probe(target, payload)
            doc = json.loads(data.decode('utf-8'))
            if not isinstance(doc, dict) or not doc.get('pod'):
                raise ValueError('reply without pod')
            return doc['pod']
        reason = weights_loop(sample, v['weights'], deadline=run.deadline())
        if reason:
            raise StepFailed(f'weights: {reason}')
        return
    exp = v.get('expect')
    probes = int(v.get('probes', 1))
    limit = parse_duration(v['within']) if 'within' in v else run.t.DefaultTestTimeout
    end = min(time.monotonic() + limit, run.deadline())
    last = None
    while True:
        t0 = time.monotonic()
        ok = True
        for _ in range(probes):
            try:
                data = udp_probe(target, payload)
                verdict = udp_classify(data, exp)
            except OSError as e:
                verdict = f'error:{e or type(e).__name__}'
            if verdict == 'match':
                continue
            ok = False
            if verdict == 'mismatch':
                last = f'reply {data[:200]!r} does not match {exp}'
                if v.get('onMismatch', 'retry') == 'fail':
                    raise StepFailed(last)
            else:
                last = verdict[6:]
            break
        if ok:
            return
        nxt = t0 + 1.0
        if nxt >= end:
            raise StepFailed(f'no matching UDP round within {limit:g}s; last: {last}')
        time.sleep(max(0.0, nxt - time.monotonic()))


# ------------------------------------------------------------------ dns

def dns_step(run, v):
    host, port = split_target(v['target'])
    end = min(time.monotonic() + run.t.DefaultTestTimeout, run.deadline())
    last = None
    while True:
        t0 = time.monotonic()
        qid = random.randint(0, 0xFFFF)
        s = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.settimeout(2.0)
            s.sendto(dns_query_packet(v['query'], qid), (host, port))
            while True:
                data, _ = s.recvfrom(4096)
                if dns_reply_ok(data, qid):
                    return
                last = 'malformed or mismatched reply'
        except OSError as e:
            last = e
        finally:
            s.close()
        nxt = t0 + 1.0
        if nxt >= end:
            raise StepFailed(f'no DNS reply from {v["target"]}: {last}')
        time.sleep(max(0.0, nxt - time.monotonic()))


# ------------------------------------------------------------------ tlsConnect

def tls_connect_once(target, sni, timeout=10.0):
    """'rejected' when the dial ends in EOF / reset, else a description of what happened."""
    host, port = split_target(target)
    try:
        s = socket.create_connection((host, port), timeout=timeout)
    except ConnectionResetError:
        return 'rejected'
    except OSError as e:
        return f'connect: {e}'
    ctx = client_context(None, workdir='/tmp')
    try:
        s.settimeout(timeout)
        ss = ctx.wrap_socket(s, server_hostname=sni)
        ss.close()
        return 'handshake completed'
    except (ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionResetError, BrokenPipeError):
        return 'rejected'
    except ssl.SSLError as e:
        text = str(e).lower()
        if 'eof' in text or 'reset' in text:
            return 'rejected'
        return f'tls: {e}'
    except OSError as e:
        return f'tls: {e}'
    finally:
        s.close()


def tls_connect_step(run, v):
    end = min(time.monotonic() + run.t.MaxTimeToConsistency, run.deadline())
    last = None
    while True:
        t0 = time.monotonic()
        res = tls_connect_once(v['target'], v['sni'], min(10.0, max(0.1, end - t0)))
        if res == 'rejected':
            return
        last = res
        nxt = t0 + 1.0
        if nxt >= end:
            raise StepFailed(f'TLS dial with SNI {v["sni"]} was never cut off; last: {last}')
        time.sleep(max(0.0, nxt - time.monotonic()))


# ------------------------------------------------------------------ websocket

def _ws_frame(opcode, payload):
    mask = os.urandom(4)
    n = len(payload)
    head = bytes([0x80 | opcode])
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack('!H', n)
    else:
        head += bytes([0x80 | 127]) + struct.pack('!Q', n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def _recv_exact(sock, n, buf):
    while len(buf[0]) < n:
        chunk = sock.recv(65536)
        if not chunk:
            raise OSError('EOF')
        buf[0] += chunk
    out, buf[0] = buf[0][:n], buf[0][n:]
    return out


def _ws_read_message(sock, buf):
    """One complete data message (reassembling fragments; answering pings)."""
    parts = []
    while True:
        b0, b1 = _recv_exact(sock, 2, buf)
        fin, op = b0 & 0x80, b0 & 0x0F
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack('!H', _recv_exact(sock, 2, buf))[0]
        elif n == 127:
            n = struct.unpack('!Q', _recv_exact(sock, 8, buf))[0]
        mask = _recv_exact(sock, 4, buf) if b1 & 0x80 else None
        data = _recv_exact(sock, n, buf)
        if mask:
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        if op == 0x8:
            raise OSError('connection closed by peer')
        if op == 0x9:
            sock.sendall(_ws_frame(0xA, data))
            continue
        if op == 0xA:
            continue
        parts.append(data)
        if fin:
            return b''.join(parts)


def websocket_once(target, path, messages, timeout):
    host, port = split_target(target, 80)
    s = socket.create_connection((host, port), timeout=timeout)
    try:
        s.settimeout(timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f'GET {path} HTTP/1.1\r\nHost: {target}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
               f'Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: ws://gateway/conformance\r\n\r\n')
        s.sendall(req.encode())
        buf = [b'']
        while b'\r\n\r\n' not in buf[0]:
            chunk = s.recv(4096)
            if not chunk:
                return 'connection closed during the WebSocket handshake'
            buf[0] += chunk
        head, buf[0] = buf[0].split(b'\r\n\r\n', 1)
        status_line = head.split(b'\r\n', 1)[0].decode('latin-1')
        if ' 101 ' not in status_line + ' ':
            return f'handshake answered {status_line!r}'
        for m in messages:
            if 'text' in m:
                payload, op = m['text'].encode(), 0x1
            else:
                payload, op = bytes(m['binary']), 0x2
            s.sendall(_ws_frame(op, payload))
            got = _ws_read_message(s, buf)
            if got != payload:
                return f'echoed {got[:100]!r}, sent {payload[:100]!r}'
        try:
            s.sendall(_ws_frame(0x8, struct.pack('!H', 1000)))
        except OSError:
            pass
        return None
    except OSError as e:
        return f'websocket: {e}'
    finally:
        s.close()


def websocket_step(run, v):
    def attempt():
        try:
            return websocket_once(v['target'], v['path'], v['messages'], run.t.RequestTimeout)
        except OSError as e:
            return f'connect: {e}'
    reason = consistent_loop(attempt, run.t.RequiredConsecutiveSuccesses, run.t.MaxTimeToConsistency, run.deadline())
    if reason:
        raise StepFailed(reason)
