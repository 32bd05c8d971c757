"""Echo backends standing in for Deployments (FORMAT §2.5), EndpointSlices (§2.6) and the DNS responder (§2.7)."""
import base64
import calendar
import ctypes
import ipaddress
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import time

HEX = '0123456789abcdef'
ALNUM = 'bcdfghjklmnpqrstvwxz2456789'   # the alphabet Kubernetes uses for generated name suffixes
PYTHON = '/usr/bin/python3'


try:
    _PRCTL = ctypes.CDLL('libc.so.6', use_errno=True).prctl   # resolved before any fork
except (OSError, AttributeError):
    _PRCTL = None


def _pdeathsig():
    """Child processes die with the runner (Linux prctl PR_SET_PDEATHSIG); runs between fork and exec."""
    if _PRCTL is not None:
        _PRCTL(1, int(signal.SIGKILL))


def pod_name(deployment, rs_hash, rnd=random):
    return f'{deployment}-{rs_hash}-{"".join(rnd.choice(ALNUM) for _ in range(5))}'


def new_rs_hash(rnd=random):
    return ''.join(rnd.choice(HEX) for _ in range(10))


class Pod:
    def __init__(self, name, namespace, deployment, ip, labels, workdir):
        self.name, self.namespace, self.deployment, self.ip = name, namespace, deployment, ip
        self.labels = labels
        self.dir = workdir
        self.log = os.path.join(workdir, 'echo.log')
        self.ready_file = os.path.join(workdir, 'ready')
        self.proc = None
        self.kind = 'echo'
        self.uid = '%08x-%04x-4%03x-a%03x-%012x' % (random.getrandbits(32), random.getrandbits(16),
                                                   random.getrandbits(12), random.getrandbits(12),
                                                   random.getrandbits(48))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def ready(self):
        if not self.alive():
            return False
        if self.kind == 'dns':
            return getattr(self, '_dns_ready', False)
        return os.path.exists(self.ready_file)


def container_env(container, pod, store, mounts):
    """Environment of one container as the kubelet would give it (values only, no inheritance)."""
    env = {}
    for e in container.get('env') or []:
        name = e.get('name')
        if not name:
            continue
        if 'value' in e:
            val = str(e['value'])
        elif 'valueFrom' in e:
            vf = e['valueFrom'] or {}
            val = ''
            if 'fieldRef' in vf:
                fp = (vf['fieldRef'] or {}).get('fieldPath')
                val = {'metadata.name': pod.name, 'metadata.namespace': pod.namespace, 'status.podIP': pod.ip,
                       'status.hostIP': pod.ip, 'spec.nodeName': 'gatehouse-local',
                       'metadata.uid': pod.uid}.get(fp, '')
            elif 'secretKeyRef' in vf or 'configMapKeyRef' in vf:
                kind = 'Secret' if 'secretKeyRef' in vf else 'ConfigMap'
                ref = vf.get('secretKeyRef') or vf.get('configMapKeyRef')
                data = object_data(store.get((kind, pod.namespace, ref.get('name')))) or {}
                val = data.get(ref.get('key'), b'').decode('utf-8', 'replace')
        else:
            val = ''
        env[name] = map_mount_path(val, mounts)
    return env


def map_mount_path(value, mounts):
    """Rewrite a container path under a volume mountPath to the pod's host directory for that volume."""
    for mount_path, host_dir in sorted(mounts.items(), key=lambda kv: -len(kv[0])):
        mp = mount_path.rstrip('/')
        if value == mp:
            return host_dir
        if value.startswith(mp + '/'):
            return host_dir + value[len(mp):]
    return value


def object_data(obj):
    """Secret / ConfigMap data as {key: bytes}."""
    if not obj:
        return None
    out = {}
    if obj.get('kind') == 'Secret':
        for k, v in (obj.get('data') or {}).items():
            out[k] = base64.b64decode(v or '')
        for k, v in (obj.get('stringData') or {}).items():
            out[k] = str(v).encode()
    else:
        for k, v in (obj.get('data') or {}).items():
            out[k] = str(v).encode()
        for k, v in (obj.get('binaryData') or {}).items():
            out[k] = base64.b64decode(v or '')
    return out


def write_volumes(pod_spec, container, pod, store):
    """Materialize Secret / ConfigMap volumes mounted by the container; returns {mountPath: host dir}."""
    volumes = {v.get('name'): v for v in pod_spec.get('volumes') or []}
    mounts = {}
    for vm in container.get('volumeMounts') or []:
        vol = volumes.get(vm.get('name'))
        if not vol:
            continue
        host = os.path.join(pod.dir, 'volumes', vm['name'])
        os.makedirs(host, exist_ok=True)
        src = vol.get('secret') or vol.get('configMap')
        if src is not None:
            kind = 'Secret' if 'secret' in vol else 'ConfigMap'
            name = src.get('secretName') if kind == 'Secret' else src.get('name')
            data = object_data(store.get((kind, pod.namespace, name))) or {}
            items = src.get('items')
            pairs = [(i.get('key'), i.get('path')) for i in items] if items else [(k, k) for k in data]
            for key, path in pairs:
                if key in data and path:
                    dest = os.path.join(host, path)
                    os.makedirs(os.path.dirname(dest), exist_ok=True)
                    with open(dest, 'wb') as f:
                        f.write(data[key])
        mounts[vm.get('mountPath', '')] = host
    return mounts


class IPPool:
    def __init__(self, cidr, skip=()):
        net = ipaddress.ip_network(cidr)
        self._hosts = (str(h) for h in net.hosts())
        self._skip = set(skip)
        self._free = []

    def take(self):
        if self._free:
            return self._free.pop(0)
        for h in self._hosts:
            if h not in self._skip and not h.endswith('.0') and not h.endswith('.1') and not h.endswith('.255'):
                return h
        raise RuntimeError('echo address pool exhausted')

    def give(self, ip):
        # addresses are not reused immediately (a gateway may still hold connections to them)
        pass


def selector_matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


class Fleet:
    def __init__(self, workdir, echo_cmd, dns_cmd, pool='127.10.0.0/16', log=None):
        self.dir = workdir
        self.echo_cmd = echo_cmd
        self.dns_cmd = dns_cmd
        self.pool = IPPool(pool)
        self.deployments = {}     # (ns, name) -> [Pod]
        self.log = log or (lambda msg: None)
        os.makedirs(workdir, exist_ok=True)

    # ------------------------------------------------------------------ lifecycle

    def start_deployment(self, obj, store, ready_timeout=60.0, wait=True):
        md = obj.get('metadata') or {}
        ns, name = md.get('namespace') or 'default', md.get('name')
        if (ns, name) in self.deployments:
            self.stop_deployment(ns, name)
        spec = obj.get('spec') or {}
        replicas = spec.get('replicas', 1)
        tmpl = spec.get('template') or {}
        labels = dict((tmpl.get('metadata') or {}).get('labels') or {})
        pod_spec = tmpl.get('spec') or {}
        containers = pod_spec.get('containers') or []
        rs = new_rs_hash()
        pods = []
        for _ in range(int(replicas)):
            ip = self.pool.take()
            pname = pod_name(name, rs)
            pdir = os.path.join(self.dir, ns, pname)
            if os.path.exists(pdir):
                shutil.rmtree(pdir)
            os.makedirs(pdir)
            pod = Pod(pname, ns, name, ip, labels, pdir)
            container = containers[0] if containers else {}
            mounts = write_volumes(pod_spec, container, pod, store)
            env = container_env(container, pod, store, mounts)
            self._spawn(pod, container, env)
            pods.append(pod)
        self.deployments[(ns, name)] = pods
        if wait:
            self.wait_ready(pods, ready_timeout)
        return pods

    def _spawn(self, pod, container, env):
        image = str(container.get('image') or '')
        full_env = {k: v for k, v in os.environ.items() if k in ('PATH', 'LANG', 'LC_ALL', 'TZ', 'PYTHONPATH')}
        full_env.update(env)
        full_env['PYTHONUNBUFFERED'] = '1'
        if 'coredns' in image:
            pod.kind = 'dns'
            cmd = [PYTHON, self.dns_cmd, '--bind', pod.ip, '--port', '53']
        else:
            cmd = [PYTHON, self.echo_cmd, '--bind', pod.ip, '--log', pod.log, '--ready-file', pod.ready_file]
        out = open(os.path.join(pod.dir, 'stdout.log'), 'ab')
        self.log(f'start pod {pod.namespace}/{pod.name} on {pod.ip}: {" ".join(cmd)}')
        pod.proc = subprocess.Popen(cmd, env=full_env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    cwd=pod.dir, preexec_fn=_pdeathsig)
        out.close()

    def wait_ready(self, pods, timeout):
        deadline = time.monotonic() + timeout
        pending = list(pods)
        while pending:
            for p in list(pending):
                if p.proc.poll() is not None:
                    raise RuntimeError(f'echo pod {p.namespace}/{p.name} exited with {p.proc.returncode}; see '
                                       f'{os.path.join(p.dir, "stdout.log")}')
                if p.kind == 'dns' and not getattr(p, '_dns_ready', False):
                    p._dns_ready = dns_probe(p.ip, 53, 0.2)
                if p.ready():
                    pending.remove(p)
            if not pending:
                break
            if time.monotonic() > deadline:
                raise RuntimeError('echo pods not ready after %.0fs: %s' % (timeout, ', '.join(
                    f'{p.namespace}/{p.name}' for p in pending)))
            time.sleep(0.05)

    def stop_deployment(self, ns, name):
        pods = self.deployments.pop((ns, name), [])
        for p in pods:
            if p.alive():
                p.proc.terminate()
        for p in pods:
            if p.proc is not None:
                try:
                    p.proc.wait(3)
                except subprocess.TimeoutExpired:
                    p.proc.kill()
                    p.proc.wait()

    def stop_all(self):
        for ns, name in list(self.deployments):
            self.stop_deployment(ns, name)

    # ------------------------------------------------------------------ queries

    def pods(self, namespace=None):
        return [p for (ns, _), ps in self.deployments.items() for p in ps if namespace is None or ns == namespace]

    def deployment_pods(self, ns, name):
        return list(self.deployments.get((ns, name), []))

    def pods_with_labels(self, namespace, selector):
        return [p for p in self.pods(namespace) if selector_matches(selector, p.labels)]

    # ------------------------------------------------------------------ EndpointSlices (§2.6)

    def endpoint_slice_for(self, service):
        md = service.get('metadata') or {}
        ns, name = md.get('namespace') or 'default', md.get('name')
        spec = service.get('spec') or {}
        selector = spec.get('selector') or {}
        pods = [p for p in self.pods_with_labels(ns, selector) if p.ready()]
        ports = []
        for sp in spec.get('ports') or []:
            tp = sp.get('targetPort', sp.get('port'))
            if isinstance(tp, str) and not tp.isdigit():
                tp = sp.get('port')   # named target ports do not occur in the conformance manifests
            port = {'name': sp.get('name', ''), 'protocol': sp.get('protocol', 'TCP'), 'port': int(tp)}
            if sp.get('appProtocol'):
                port['appProtocol'] = sp['appProtocol']
            ports.append(port)
        return {
            'apiVersion': 'discovery.k8s.io/v1', 'kind': 'EndpointSlice',
            'metadata': {'name': f'{name}-gh{_stable_suffix(ns + "/" + name)}', 'namespace': ns,
                         'labels': {'kubernetes.io/service-name': name,
                                    'endpointslice.kubernetes.io/managed-by': 'gatehouse-conformance-runner'}},
            'addressType': 'IPv4',
            'endpoints': [pod_endpoint(p) for p in sorted(pods, key=lambda p: p.name)],
            'ports': ports,
        }


def pod_endpoint(p):
    return {'addresses': [p.ip], 'conditions': {'ready': True, 'serving': True, 'terminating': False},
            'nodeName': 'gatehouse-local',
            'targetRef': {'kind': 'Pod', 'name': p.name, 'namespace': p.namespace, 'uid': p.uid}}


def _stable_suffix(s):
    h = 0
    for ch in s.encode():
        h = (h * 131 + ch) % (27 ** 5)
    out = ''
    for _ in range(5):
        out += ALNUM[h % 27]
        h //= 27
    return out


# ------------------------------------------------------------------ logs

_TS_RE = re.compile(r'^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)\s')


def parse_log_time(line):
    """Epoch seconds (int) of an RFC3339 line prefix, or None."""
    m = _TS_RE.match(line)
    if not m:
        return None
    y, mo, d, h, mi, s = (int(x) for x in m.groups()[:6])
    t = calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0))
    tz = m.group(7)
    if tz != 'Z':
        sign = 1 if tz[0] == '+' else -1
        t -= sign * (int(tz[1:3]) * 3600 + int(tz[4:6]) * 60)
    return t


def read_log_since(path, since_epoch):
    """Lines of an echo log whose timestamp is at or after since_epoch (second precision, §8.1.5 / §9.2)."""
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return []
    floor = int(since_epoch)
    out = []
    for line in lines:
        t = parse_log_time(line)
        if t is None or t >= floor:
            out.append(line)
    return out


# ------------------------------------------------------------------ DNS

def dns_query_packet(qname, qid):
    header = struct.pack('!HHHHHH', qid, 0x0100, 1, 0, 0, 0)
    q = b''
    for label in qname.rstrip('.').split('.'):
        if label:
            q += bytes([len(label)]) + label.encode()
    return header + q + b'\x00' + struct.pack('!HH', 1, 1)


def dns_reply_ok(data, qid):
    """A well-formed DNS response with the matching ID (any rcode, any answers)."""
    if len(data) < 12:
        return False
    rid, flags, qd, an, ns, ar = struct.unpack('!HHHHHH', data[:12])
    if rid != qid or not flags & 0x8000:
        return False
    # walk the question section to make sure the message is well-formed
    pos = 12
    try:
        for _ in range(qd):
            while True:
                ln = data[pos]
                if ln & 0xC0 == 0xC0:
                    pos += 2
                    break
                pos += 1
                if ln == 0:
                    break
                pos += ln
            pos += 4
        return pos <= len(data)
    except IndexError:
        return False


def dns_probe(ip, port, timeout, qname='foo.bar.com.'):
    qid = random.randint(0, 0xFFFF)
    s = socket.socket(socket.AF_INET6 if ':' in ip else socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(dns_query_packet(qname, qid), (ip, port))
        data, _ = s.recvfrom(4096)
        return dns_reply_ok(data, qid)
    except OSError:
        return False
    finally:
        s.close()
