"""The gateway process and its admin endpoint (FORMAT §2.2)."""
import http.client
import json
import os
import subprocess
import time

from .fleet import _pdeathsig


class ReadError(Exception):
    pass


class Admin:
    """The admin endpoint: /ready, and (file mode's status reader) get / list operations implemented on GET /status
    and GET /infrastructure, filtered client-side."""

    def __init__(self, address, timeout=10.0):
        host, port = address.rsplit(':', 1)
        self.host, self.port = host.strip('[]'), int(port)
        self.timeout = timeout

    def _get_json(self, path, timeout=None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout or self.timeout)
        try:
            conn.request('GET', path, headers={'Accept': 'application/json'})
            resp = conn.getresponse()
            body = resp.read()
            if resp.status != 200:
                raise ReadError(f'GET {path}: HTTP {resp.status}: {body[:200]!r}')
            try:
                return json.loads(body)
            except ValueError as e:
                raise ReadError(f'GET {path}: invalid JSON: {e}') from None
        except (OSError, http.client.HTTPException) as e:
            raise ReadError(f'GET {path}: {e}') from None
        finally:
            conn.close()

    def status(self, path='/ready', timeout=2.0):
        """HTTP status code of a GET, or None when the endpoint does not answer."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request('GET', path)
            resp = conn.getresponse()
            resp.read()
            return resp.status
        except (OSError, http.client.HTTPException):
            return None
        finally:
            conn.close()

    def items(self, path='/status'):
        doc = self._get_json(path)
        if not isinstance(doc, dict) or not isinstance(doc.get('items'), list):
            raise ReadError(f'GET {path}: not a List')
        return [i for i in doc['items'] if isinstance(i, dict)]

    def get(self, kind, namespace, name):
        """The object, or None when not found; ReadError on any other failure."""
        for o in self.items('/status'):
            md = o.get('metadata') or {}
            if o.get('kind') == kind and md.get('name') == name and (md.get('namespace') or '') == (namespace or ''):
                return o
        return None

    def list(self, kind, namespace):
        return [o for o in self.items('/status')
                if o.get('kind') == kind and ((o.get('metadata') or {}).get('namespace') or '') == namespace]

    def infrastructure(self, namespace):
        return [o for o in self.items('/infrastructure')
                if ((o.get('metadata') or {}).get('namespace') or '') == namespace]


class GatewayProcess:
    """`gatehouse serve SOURCE...`: SOURCE is the manifest directory, or --kubernetes and its flags."""

    def __init__(self, binary, source_args, admin_address, address_pool, controller_name, workers=None,
                 log_path=None, extra_args=()):
        self.cmd = [binary, 'serve', *source_args, '--admin-address', admin_address, '--address-pool', address_pool,
                    '--controller-name', controller_name]
        if workers:
            self.cmd += ['--workers', str(workers)]
        self.cmd += list(extra_args)
        self.binary = binary
        self.log_path = log_path
        self.proc = None

    def start(self):
        if not os.path.isfile(self.binary):
            raise RuntimeError(f'gateway binary {self.binary} not found (build it first or pass --gatehouse)')
        if not os.access(self.binary, os.X_OK):
            raise RuntimeError(f'gateway binary {self.binary} is not executable')
        out = open(self.log_path, 'ab') if self.log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(self.cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     preexec_fn=_pdeathsig)
        if self.log_path:
            out.close()

    def wait_admin(self, admin, timeout):
        """Wait until GET /ready answers 200 (or /status answers, for a gateway without /ready)."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f'gateway exited with status {self.proc.returncode} (log: {self.log_path})')
            last = admin.status('/ready')
            if last == 200:
                return
            time.sleep(0.1)
        raise RuntimeError(f'gateway admin endpoint not ready after {timeout:.0f}s (last /ready status: {last})')

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
