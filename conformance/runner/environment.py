"""One-time setup (FORMAT §2, checklist §2.8) and the side effects of writing objects (§2.3 item 5)."""
import base64
import os
import subprocess
import time

from . import certs
from .admin import Admin, GatewayProcess, ReadError
from .cases import PROFILE_CORE
from .conditions import all_fresh, condition_matches, describe
from .fleet import Fleet
from .kube_api import LEADER_ELECTION_NAMESPACE, ApiServer
from .kube_store import KubeStatusReader, KubeStore
from .manifests import ApplySettings, DirectoryStore, load_manifest, rewrite
from .util import StepFailed, obj_key, parse_ref

BASE_NAMESPACES = ['gateway-conformance-infra', 'gateway-conformance-app-backend', 'gateway-conformance-web-backend']


class SetupError(Exception):
    pass


class Environment:
    def __init__(self, cfg, timeouts, log):
        self.cfg = cfg
        self.timeouts = timeouts
        self.log = log
        self.workdir = cfg.work_dir
        self.upstream = cfg.upstream
        self.controller_name = cfg.controller_name
        self.gateway_class = cfg.gateway_class
        self.apply_settings = ApplySettings(cfg.gateway_class, cfg.controller_name, cfg.usable_address,
                                            cfg.unusable_address)
        self.store = None               # where objects are written: manifest directory or API server
        self.reader = None              # where status is read from: admin endpoint or API server
        self.api = None                 # the fake API server (Kubernetes mode)
        self.fleet = None
        self.admin = Admin(cfg.admin_address, timeouts['GetTimeout'])
        self.gateway = None
        self.generated_slices = {}      # service key -> slice key
        self.supported = set()
        self.gwc_features = []
        self.protected = set()          # base and generated objects: never deleted by a case's cleanup

    # ------------------------------------------------------------------ checklist §2.8

    def setup(self, step_log):
        cfg = self.cfg
        step_log('1/8 configuration')
        if not os.path.isdir(cfg.upstream) or not os.path.isfile(os.path.join(cfg.upstream, 'base/manifests.yaml')):
            raise SetupError(f'upstream conformance directory {cfg.upstream} lacks base/manifests.yaml')
        if not os.path.isfile(cfg.gatehouse):
            raise SetupError(f'gateway binary {cfg.gatehouse} not found (build it first or pass --gatehouse PATH)')
        if not os.access(cfg.gatehouse, os.X_OK):
            raise SetupError(f'gateway binary {cfg.gatehouse} is not executable')
        for p, what in ((cfg.echo_server, 'echo server'), (cfg.dns_server, 'DNS server')):
            if not os.path.isfile(p):
                raise SetupError(f'{what} {p} not found')
        if cfg.kubernetes and not os.path.isdir(cfg.crds):
            raise SetupError(f'CRD directory {cfg.crds} not found (pass --crds DIR)')
        os.makedirs(self.workdir, exist_ok=True)
        self.fleet = Fleet(os.path.join(self.workdir, 'pods'), cfg.echo_server, cfg.dns_server, cfg.echo_pool,
                           log=self.log)

        step_log('2/8 network')
        self.check_network()

        step_log('3/8 certificates')
        try:
            self.generated = certs.generate_all(os.path.join(self.workdir, 'certs'))
        except (RuntimeError, OSError) as e:
            raise SetupError(f'certificate generation failed: {e}') from None

        step_log('4/8 gateway' + (' and API server' if cfg.kubernetes else ''))
        try:
            self.start_gateway()
        except (RuntimeError, OSError) as e:
            raise SetupError(str(e)) from None

        step_log('5/8 GatewayClass')
        self.setup_gateway_class()

        step_log('6/8 features')
        self.determine_features()

        step_log('7/8 base objects')
        try:
            base = [rewrite(o, self.apply_settings) for o in
                    load_manifest(os.path.join(cfg.upstream, 'base/manifests.yaml'))]
            self.write_objects(self.generated + base)
            self.protected = set(self.store.objects)
        except (RuntimeError, OSError) as e:
            raise SetupError(f'applying base objects failed: {e}') from None

        step_log('8/8 readiness')
        from .engine import CaseRun
        from .steps.status import namespaces_ready

        class _Setup:
            name, manifests, steps = 'setup', [], []
        run = CaseRun(self, _Setup())
        try:
            namespaces_ready(run, BASE_NAMESPACES)
        except StepFailed as e:
            raise SetupError(f'base namespaces not ready: {e}') from None

    def start_gateway(self):
        """Chooses the mode once: the object store, the status reader and what gatehouse serves from."""
        cfg = self.cfg
        if cfg.kubernetes:
            self.api = ApiServer.start(os.path.join(self.workdir, 'fakekube'), cfg.crds,
                                       os.path.join(self.workdir, 'fakekube.log'))
            self.store = KubeStore(self.api, self.log)
            self.reader = KubeStatusReader(self.api, self.admin)
            self.store.write({'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': LEADER_ELECTION_NAMESPACE}})
            source = ['--kubernetes', '--kubeconfig', self.api.gateway_kubeconfig,
                      '--leader-election-namespace', LEADER_ELECTION_NAMESPACE]
        else:
            manifest_dir = os.path.join(self.workdir, 'manifests')
            self.store = DirectoryStore(manifest_dir)
            self.reader = self.admin
            source = [manifest_dir]
        self.gateway = GatewayProcess(cfg.gatehouse, source, cfg.admin_address, cfg.address_pool, cfg.controller_name,
                                      cfg.workers, os.path.join(self.workdir, 'gatehouse.log'), cfg.gatehouse_args)
        self.gateway.start()
        self.gateway.wait_admin(self.admin, cfg.startup_timeout)

    def check_network(self):
        import socket
        probes = [self.cfg.echo_pool.split('/')[0].rsplit('.', 1)[0] + '.1',
                  self.cfg.address_pool.split('/')[0].rsplit('.', 1)[0] + '.1']
        for ip in probes:
            s = socket.socket()
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((ip, 80))      # a port below 1024 on the pool's network
            except OSError as e:
                raise SetupError(f'cannot bind {ip}:80 ({e}); run inside a network namespace as root '
                                 f'(the runner re-executes itself under unshare unless --no-netns)') from None
            finally:
                s.close()

    def setup_gateway_class(self):
        gwc = {'apiVersion': 'gateway.networking.k8s.io/v1', 'kind': 'GatewayClass',
               'metadata': {'name': self.gateway_class}, 'spec': {'controllerName': self.controller_name}}
        try:
            self.write_objects([gwc])
        except OSError as e:
            raise SetupError(f'writing the GatewayClass failed: {e}') from None
        t = self.timeouts
        deadline = time.monotonic() + t['GWCMustBeAccepted']
        last = None
        while True:
            t0 = time.monotonic()
            try:
                obj = self.reader.get('GatewayClass', '', self.gateway_class)
                if obj is None:
                    last = 'not found'
                else:
                    conds = (obj.get('status') or {}).get('conditions') or []
                    gen = (obj.get('metadata') or {}).get('generation')
                    if all_fresh(conds, gen) and condition_matches({'type': 'Accepted', 'status': 'True'}, conds):
                        self.gwc_features = (obj.get('status') or {}).get('supportedFeatures') or []
                        return
                    last = f'conditions {describe(conds)} (generation {gen})'
            except ReadError as e:
                last = str(e)
            if not self.gateway.alive():
                raise SetupError(f'gateway exited with status {self.gateway.proc.returncode}')
            if t0 + t['DefaultPollInterval'] >= deadline:
                raise SetupError(f'GatewayClass {self.gateway_class} not accepted within '
                                 f'{t["GWCMustBeAccepted"]:g}s: {last}')
            time.sleep(max(0.0, t0 + t['DefaultPollInterval'] - time.monotonic()))

    def determine_features(self):
        cfg = self.cfg
        sup = set(cfg.supported_features)
        for p in cfg.profiles:
            sup.update(PROFILE_CORE[p])
        if cfg.all_features:
            sup.update(cfg.all_feature_names)
        if not cfg.supported_features and not cfg.all_features:
            for f in self.gwc_features:
                sup.add(f.get('name') if isinstance(f, dict) else str(f))
        sup -= set(cfg.exempt_features)
        self.supported = sup

    # ------------------------------------------------------------------ writing objects (§2.3 item 4, 5)

    def write_objects(self, objs):
        keys = []
        # Namespaces first: an API server refuses content for a namespace it does not have yet.
        for o in sorted(objs, key=lambda o: o.get('kind') != 'Namespace'):
            keys.append(self.store.write(o))
        started = []
        for key in keys:
            if key[0] == 'Deployment':
                started += self.fleet.start_deployment(self.store.get(key), self.store, wait=False)
        if started:
            self.fleet.wait_ready(started, self.timeouts['CreateTimeout'])
        self.refresh_endpoint_slices()
        return keys

    def delete_object(self, key):
        if not self.store.delete(key):
            return False
        if key[0] == 'Deployment':
            self.fleet.stop_deployment(key[1], key[2])
        self.refresh_endpoint_slices()
        return True

    def refresh_endpoint_slices(self):
        services = {obj_key(s): s for s in self.store.of_kind('Service')
                    if (s.get('spec') or {}).get('selector')}
        for skey, slkey in list(self.generated_slices.items()):
            if skey not in services:
                self.store.delete(slkey)
                del self.generated_slices[skey]
        for skey, svc in services.items():
            desired = self.fleet.endpoint_slice_for(svc)
            slkey = obj_key(desired)
            if self.store.get(slkey) != desired:
                self.store.write(desired)
            self.generated_slices[skey] = slkey

    def log_failure_diagnostics(self, keys):
        """Kubernetes mode: after a failed case, where the API server's status differs from gatehouse's own."""
        if self.api:
            for line in self.reader.differences_from_admin(keys):
                self.log(line)

    # ------------------------------------------------------------------ certificate material for clients

    def _data(self, ref):
        key = parse_ref(ref)
        obj = self.store.get(key)
        if obj is None:
            raise StepFailed(f'{ref}: no such object')
        data = obj.get('data') or {}
        if key[0] == 'Secret':
            return {k: base64.b64decode(v or '').decode('utf-8', 'replace') for k, v in data.items()}
        return {k: str(v) for k, v in data.items()}

    def trust_pem(self, ref):
        kind = parse_ref(ref)[0]
        data = self._data(ref)
        pem = data.get('tls.crt' if kind == 'Secret' else 'ca.crt', '')
        if not pem.strip():
            raise StepFailed(f'{ref}: missing or empty {"tls.crt" if kind == "Secret" else "ca.crt"}')
        return pem

    def client_cert(self, ref):
        data = self._data(ref)
        if not data.get('tls.crt', '').strip() or not data.get('tls.key', '').strip():
            raise StepFailed(f'{ref}: missing tls.crt / tls.key')
        return data['tls.crt'], data['tls.key']

    # ------------------------------------------------------------------ teardown

    def teardown(self):
        if self.fleet:
            self.fleet.stop_all()
        if self.gateway:
            self.gateway.stop()
        if self.api:
            try:
                self.api.write_request_log(os.path.join(self.workdir, 'fakekube-requests.log'))
            except OSError as e:
                self.log(f'cannot save the API server request log: {e}')
            self.api.stop()


def ip_link_up():
    r = subprocess.run(['ip', 'link', 'set', 'lo', 'up'], capture_output=True, text=True)
    if r.returncode != 0:
        raise SetupError(f'ip link set lo up failed: {r.stderr.strip()}')
