"""The `http` step (FORMAT §8.1), weights (§9.1) and percentage mirroring (§9.2)."""
import concurrent.futures
import random
import threading
import time
import urllib.parse
import uuid as uuidlib

from ..fleet import read_log_since
from ..util import StepFailed, deep_merge, parse_duration, split_target
from . import httpcheck as H
from .httpclient import HTTPError, h2_roundtrip, http1_roundtrip
from .loops import consistent_loop, mirror_bounds, weights_loop
from .tlsutil import CertRequestWatcher, client_context


class Attempt:
    def __init__(self):
        self.response = None
        self.error = None
        self.cert_requested = False
        self.url = None
        self.method = None


class Sender:
    """Sends one prepared case (with redirects) on fresh connections."""

    def __init__(self, run, prep):
        self.run = run
        self.prep = prep
        env = run.env
        self.trust_pem = None
        self.client = None
        if prep.scheme == 'https':
            self.trust_pem = env.trust_pem(prep.trust)
            if prep.client_cert:
                self.client = env.client_cert(prep.client_cert)

    def _ctx(self, watcher):
        alpn = ['h2'] if self.prep.protocol == 'H2' else None
        return client_context(self.trust_pem, self.client, alpn, self.run.env.workdir, watcher)

    def send(self, path, headers, timeout):
        p = self.prep
        a = Attempt()
        scheme, host, port = p.scheme, p.conn_host, p.conn_port
        method = p.method
        host_header = p.host
        body = p.body
        url = f'{scheme}://{p.authority}{path}'
        deadline = time.monotonic() + timeout
        watcher = CertRequestWatcher()
        for hop in range(11):
            a.url, a.method = url, method
            left = deadline - time.monotonic()
            if left <= 0:
                a.error = 'timeout'
                break
            try:
                ctx = self._ctx(watcher) if scheme == 'https' else None
                if p.protocol in ('H2', 'H2C'):
                    resp = h2_roundtrip(host, port, scheme, method, path, host_header, headers, body, left, ctx, p.sni)
                else:
                    resp = http1_roundtrip(host, port, scheme, method, path, host_header, headers, body, left, ctx,
                                           p.sni)
            except HTTPError as e:
                a.error = str(e)
                break
            except Exception as e:    # noqa: BLE001  (TLS setup errors and the like count as transport errors)
                a.error = f'{type(e).__name__}: {e}'
                break
            a.response = resp
            if not (p.follow and resp.status in (301, 302, 303, 307, 308) and resp.header('Location')):
                break
            if hop == 10:
                a.error = 'stopped after 10 redirects'
                a.response = None
                break
            loc = resp.header('Location')
            new_url = urllib.parse.urljoin(url, loc)
            u = urllib.parse.urlsplit(new_url)
            relative = not urllib.parse.urlsplit(loc).netloc
            if resp.status in (301, 302, 303) and method not in ('GET', 'HEAD'):
                method, body = 'GET', None
            scheme = u.scheme
            try:
                port = u.port or (443 if scheme == 'https' else 80)
            except ValueError:
                a.error = f'bad redirect Location {loc!r}'
                a.response = None
                break
            hostname = u.hostname or ''
            # Locally there is no DNS: names resolve to the gateway address of the original target.
            host = hostname if _is_ip(hostname) else p.conn_host
            host_header = p.host if (p.host_given and relative) else u.netloc
            path = (u.path or '/') + (f'?{u.query}' if u.query else '')
            url = new_url
        a.cert_requested = watcher.requested
        return a


def _is_ip(h):
    import ipaddress
    try:
        ipaddress.ip_address(h)
        return True
    except ValueError:
        return False


def _cert_pems(run, prep):
    ref = (prep.expect.get('backendRequest') or {}).get('clientCert')
    return {ref: run.env.client_cert(ref)[0]} if ref else {}


def evaluate_attempt(run, prep, sender, params, jitter=None):
    """Send once and evaluate per §8.1.3. Returns (reason or None, attempt)."""
    path = prep.send_path(params)
    a = sender.send(path, prep.send_headers(jitter), run.t.RequestTimeout)
    if a.error is not None:
        return f'request error: {a.error}', a
    expected = prep.expected_backend(params, jitter=jitter is not None)
    reason = H.evaluate(prep, expected, a.response, a.method, a.url, _cert_pems(run, prep))
    return reason, a


# ------------------------------------------------------------------ modes

def run_consistent(run, prep, n=None, request_id=None):
    sender = Sender(run, prep)
    state = {'cert_requested': False}
    rid = request_id or (str(uuidlib.uuid4()) if prep.request_id else None)

    def attempt():
        params = prep.params(rid, str(uuidlib.uuid4()))
        reason, a = evaluate_attempt(run, prep, sender, params)
        state['cert_requested'] |= a.cert_requested
        return reason

    mirror_threads = []
    mirror_results = {}
    if prep.mirrors:
        case_start = time.time()
        sent_path = prep.send_path(prep.params(rid, None))
        for m in prep.mirrors:
            th = threading.Thread(target=_mirror_check, args=(run, m, sent_path, case_start, mirror_results),
                                  daemon=True)
            th.start()
            mirror_threads.append(th)
    reason = consistent_loop(attempt, n or run.t.RequiredConsecutiveSuccesses, run.t.MaxTimeToConsistency,
                             run.deadline())
    for th in mirror_threads:
        th.join()
    if reason is not None:
        return reason
    if prep.client_cert and not state['cert_requested']:
        return 'the server never asked for a client certificate'
    for m in prep.mirrors:
        r = mirror_results.get((m['namespace'], m['backend']))
        if r is not None:
            return r
    return None


def _mirror_check(run, mirror, sent_path, case_start, results):
    """§8.1.5: some pod app=<backend> logged the mirrored request within RequestTimeout."""
    ns, backend = mirror['namespace'], mirror['backend']
    needle = f'Echoing back request made to {sent_path} to client'
    since = case_start - run.t.MaxTimeToConsistency
    end = time.monotonic() + run.t.RequestTimeout
    while True:
        for pod in run.env.fleet.pods_with_labels(ns, {'app': backend}):
            if any(needle in line for line in read_log_since(pod.log, since)):
                results[(ns, backend)] = None
                return
        if time.monotonic() + 1.0 > end:
            results[(ns, backend)] = f'mirror {ns}/{backend} never logged {sent_path}'
            return
        time.sleep(1.0)


def run_failure(run, prep):
    sender = Sender(run, prep)
    state = {}

    def attempt():
        a = sender.send(prep.send_path(prep.params(None, str(uuidlib.uuid4()))), prep.send_headers(),
                        run.t.RequestTimeout)
        if a.error is not None:
            return f'request error: {a.error}'
        st = a.response.status
        if st == 200:
            state['fatal'] = f'got 200 from {a.url}, expected the route not to serve'
            raise _Stop()
        if st in (408, 504):
            return f'status {st}'
        return None

    try:
        reason = consistent_loop(attempt, 5, run.t.MaxTimeToConsistency, run.deadline())
    except _Stop:
        return state['fatal']
    return reason


class _Stop(Exception):
    pass


def run_tls_failure(run, prep):
    sender = Sender(run, prep)
    a = sender.send(prep.send_path(prep.params(None, str(uuidlib.uuid4()))), prep.send_headers(),
                    run.t.RequestTimeout)
    if a.response is not None:
        return f'got HTTP {a.response.status}, expected the TLS connection to fail'
    if prep.client_cert and not a.cert_requested:
        return 'the server never asked for a client certificate'
    return None


def run_once(run, prep, repeat):
    sender = Sender(run, prep)
    header = prep.expect.get('backendFromRequestHeader')
    rid = str(uuidlib.uuid4()) if prep.request_id else None
    for i in range(repeat):
        params = prep.params(rid, str(uuidlib.uuid4()))
        if header:
            a = sender.send(prep.send_path(params), prep.send_headers(), run.t.RequestTimeout)
            if a.error is not None:
                return f'attempt {i + 1}: request error: {a.error}'
            echo, err = H.parse_echo(a.response, a.method)
            reason = err or H.backend_from_header_check(echo, header)
        else:
            reason, a = evaluate_attempt(run, prep, sender, params)
        if reason is not None:
            return f'attempt {i + 1}/{repeat}: {reason}'
    return None


def run_weights(run, prep, weights):
    sender = Sender(run, prep)
    rid = str(uuidlib.uuid4()) if prep.request_id else None

    def sample():
        jitter = random.randint(0, 9999) if random.random() < 0.5 else None
        params = prep.params(rid, str(uuidlib.uuid4()))
        reason, a = evaluate_attempt(run, prep, sender, params, jitter)
        if reason is not None:
            raise RuntimeError(reason)
        echo, _ = H.parse_echo(a.response, a.method)
        return echo.get('pod', '') or ''

    return weights_loop(sample, weights, deadline=run.deadline())


def run_mirror_distribution(run, prep, md):
    rounds = md['rounds']
    last = None
    for r in range(rounds):
        if r:
            time.sleep(parse_duration(md['roundDelay']))
        rid = str(uuidlib.uuid4())
        t0 = time.time()

        def copy(_):
            return run_consistent_plain(run, prep, md['consecutive'], rid)

        with concurrent.futures.ThreadPoolExecutor(max_workers=md['concurrency']) as ex:
            for reason in ex.map(copy, range(md['requests'])):
                if reason is not None:
                    return f'a request copy failed: {reason}'
        sent_path = prep.send_path(prep.params(rid, None))
        needle = f'Echoing back request made to {sent_path} to client'
        last = None
        for m in prep.mirrors:
            pods = run.env.fleet.pods_with_labels(m['namespace'], {'app': m['backend']})
            if not pods:
                # a log read error: retry for logWithin
                end = time.monotonic() + parse_duration(md['logWithin'])
                while not pods and time.monotonic() < end:
                    time.sleep(parse_duration(md['logPoll']))
                    pods = run.env.fleet.pods_with_labels(m['namespace'], {'app': m['backend']})
                if not pods:
                    return f'no pods app={m["backend"]} in {m["namespace"]}'
            count = sum(1 for p in pods for line in read_log_since(p.log, t0) if needle in line)
            lo, hi = mirror_bounds(md['requests'], m['percent'], md['toleranceStdDevs'])
            if not lo <= count <= hi:
                last = (f'round {r + 1}: mirror {m["backend"]} logged {count} of {md["requests"]} requests, '
                        f'expected {lo:.1f}..{hi:.1f} ({m["percent"]}%)')
                break
        if last is None:
            return None
    return last


def run_consistent_plain(run, prep, n, rid):
    sender = Sender(run, prep)

    def attempt():
        reason, _ = evaluate_attempt(run, prep, sender, prep.params(rid, str(uuidlib.uuid4())))
        return reason

    return consistent_loop(attempt, n, run.t.MaxTimeToConsistency, run.deadline())


# ------------------------------------------------------------------ the step

def http_step(run, v):
    target = v['target']
    split_target(target, 80)   # validates the form
    mode = v.get('mode', 'consistent')
    default = v.get('default') or {}
    preps = [H.Prepared(deep_merge(default, c), target) for c in v['cases']]
    if 'weights' in v:
        reason = run_weights(run, preps[0], v['weights'])
        if reason:
            raise StepFailed(f'weights: {reason}')
        return
    if 'mirrorDistribution' in v:
        reason = run_mirror_distribution(run, preps[0], v['mirrorDistribution'])
        if reason:
            raise StepFailed(f'mirror distribution: {reason}')
        return

    def one(prep):
        if mode == 'failure':
            return run_failure(run, prep)
        if mode == 'tlsFailure':
            return run_tls_failure(run, prep)
        if mode == 'once':
            return run_once(run, prep, int(v.get('repeat', 1)))
        return run_consistent(run, prep)

    if v.get('parallel') and len(preps) > 1:
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(16, len(preps))) as ex:
            reasons = list(ex.map(one, preps))
    else:
        reasons = [one(p) for p in preps]
    failed = [(i, r) for i, r in enumerate(reasons) if r is not None]
    if failed:
        i, r = failed[0]
        p = preps[i]
        desc = f'{p.method} {p.scheme}://{p.host}{p.path}'
        more = f' (+{len(failed) - 1} more failing cases)' if len(failed) > 1 else ''
        raise StepFailed(f'case {i + 1} [{desc}]: {r}{more}')
