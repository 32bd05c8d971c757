"""Generated certificates (FORMAT §2.4), made with the openssl CLI.

RSA 2048 keys in PKCS#1 PEM, certificates valid one year; server certificates carry serverAuth, client
certificates clientAuth, CAs both plus CA:TRUE. SAN values that are not valid DNS names (`*`) become URI SANs.
"""
import base64
import concurrent.futures
import os
import re
import secrets
import subprocess

INFRA = 'gateway-conformance-infra'
APP = 'gateway-conformance-app-backend'
WEB = 'gateway-conformance-web-backend'

_DNS_RE = re.compile(r'^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$')


def san_entry(value):
    """One SAN in openssl config syntax: DNS for valid host names (wildcards too), URI otherwise."""
    if value.startswith(('spiffe://', 'http://', 'https://')):
        return f'URI:{value}'
    if _DNS_RE.match(value):
        return f'DNS:{value}'
    return f'URI:{value}'


class CertFactory:
    def __init__(self, workdir, openssl='openssl'):
        self.dir = workdir
        self.openssl = openssl
        os.makedirs(workdir, exist_ok=True)
        self._n = 0
        self._keys = []

    def prefetch_keys(self, count):
        """Generate `count` RSA keys concurrently (genrsa dominates the setup time)."""
        paths = [os.path.join(self.dir, f'key-{i:02d}.pem') for i in range(count)]
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as ex:
            list(ex.map(lambda p: self._run('genrsa', '-traditional', '-out', p, '2048'), paths))
        self._keys.extend(paths)

    def _run(self, *args):
        r = subprocess.run([self.openssl, *args], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f'openssl {" ".join(args)} failed: {r.stderr.strip()}')

    def _paths(self, name):
        self._n += 1
        base = os.path.join(self.dir, f'{self._n:02d}-{name}')
        return base + '.key', base + '.crt', base + '.cnf', base + '.csr'

    def _config(self, path, cn, kind, sans):
        lines = ['[req]', 'distinguished_name = dn', 'prompt = no', '[dn]', f'CN = {cn}', 'O = Gatehouse conformance',
                 '[ext]']
        if kind == 'ca':
            lines += ['basicConstraints = critical, CA:TRUE',
                      'keyUsage = critical, keyCertSign, cRLSign, digitalSignature, keyEncipherment',
                      'extendedKeyUsage = serverAuth, clientAuth']
        elif kind == 'server':
            lines += ['basicConstraints = critical, CA:FALSE',
                      'keyUsage = critical, digitalSignature, keyEncipherment',
                      'extendedKeyUsage = serverAuth']
        else:
            lines += ['basicConstraints = critical, CA:FALSE',
                      'keyUsage = critical, digitalSignature, keyEncipherment',
                      'extendedKeyUsage = clientAuth']
        if sans:
            lines.append('subjectAltName = ' + ', '.join(san_entry(s) for s in sans))
        lines += ['subjectKeyIdentifier = hash']
        with open(path, 'w') as f:
            f.write('\n'.join(lines) + '\n')

    def make(self, name, kind, sans=(), ca=None, self_signed=False):
        """Return (cert_pem, key_pem). kind: 'ca' | 'server' | 'client'. ca: (cert_pem, key_pem) of the issuer."""
        key, crt, cnf, csr = self._paths(name)
        cn = next((s for s in sans if _DNS_RE.match(s) and not s.startswith('*')), name)
        self._config(cnf, cn, kind, sans)
        if self._keys:
            os.rename(self._keys.pop(0), key)
        else:
            self._run('genrsa', '-traditional', '-out', key, '2048')
        serial = '0x' + secrets.token_hex(16)
        if ca is None:
            self._run('req', '-new', '-x509', '-key', key, '-days', '365', '-sha256', '-config', cnf,
                      '-extensions', 'ext', '-set_serial', serial, '-out', crt)
        else:
            ca_crt, ca_key = self._paths(name + '-issuer')[1], self._paths(name + '-issuerkey')[0]
            with open(ca_crt, 'w') as f:
                f.write(ca[0])
            with open(ca_key, 'w') as f:
                f.write(ca[1])
            self._run('req', '-new', '-key', key, '-config', cnf, '-out', csr)
            self._run('x509', '-req', '-in', csr, '-CA', ca_crt, '-CAkey', ca_key, '-set_serial', serial,
                      '-days', '365', '-sha256', '-extfile', cnf, '-extensions', 'ext', '-out', crt)
        with open(crt) as f:
            cert_pem = f.read()
        with open(key) as f:
            key_pem = f.read()
        return cert_pem, key_pem


def tls_secret(ns, name, cert, key):
    return {'apiVersion': 'v1', 'kind': 'Secret', 'type': 'kubernetes.io/tls',
            'metadata': {'name': name, 'namespace': ns},
            'data': {'tls.crt': base64.b64encode(cert.encode()).decode(),
                     'tls.key': base64.b64encode(key.encode()).decode()}}


def ca_configmap(ns, name, cert, key):
    return {'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': name, 'namespace': ns},
            'data': {'ca.crt': cert, 'key.crt': key}}


def generate_all(workdir, openssl='openssl'):
    """Generate every §2.4 object; returns the list of Secret/ConfigMap objects (in table order)."""
    f = CertFactory(workdir, openssl)
    f.prefetch_keys(13)
    objs = []
    c, k = f.make('certificate', 'server', ['*'])
    objs.append(tls_secret(WEB, 'certificate', c, k))
    c, k = f.make('tls-validity-checks-certificate', 'server', ['*', '*.org', '*.wildcard.org'])
    objs.append(tls_secret(INFRA, 'tls-validity-checks-certificate', c, k))
    c, k = f.make('web-backend-cm', 'ca')
    objs.append(ca_configmap(WEB, 'web-backend-cm', c, k))
    ca_a = f.make('tls-validity-checks-ca', 'ca')
    objs.append(ca_configmap(INFRA, 'tls-validity-checks-ca-certificate', *ca_a))
    c, k = f.make('tls-validity-checks-client', 'client', [], ca=ca_a)
    objs.append(tls_secret(INFRA, 'tls-validity-checks-client-certificate', c, k))
    ca_b = f.make('tls-validity-checks-per-port-ca', 'ca')
    objs.append(ca_configmap(INFRA, 'tls-validity-checks-per-port-ca-certificate', *ca_b))
    c, k = f.make('tls-validity-checks-per-port-client', 'client', [], ca=ca_b)
    objs.append(tls_secret(INFRA, 'tls-validity-checks-per-port-client-certificate', c, k))
    ca_c = f.make('tls-checks-ca', 'ca')
    objs.append(ca_configmap(INFRA, 'tls-checks-ca-certificate', *ca_c))
    c, k = f.make('tls-checks-certificate', 'server',
                  ['abc.example.com', 'spiffe://abc.example.com/test-identity', 'other.example.com'], ca=ca_c)
    objs.append(tls_secret(INFRA, 'tls-checks-certificate', c, k))
    c, k = f.make('tls-checks-client', 'client', [], ca=ca_c)
    objs.append(tls_secret(INFRA, 'tls-checks-client-certificate', c, k))
    c, k = f.make('tls-passthrough-checks-certificate', 'server', ['abc.example.com'], ca=ca_c)
    objs.append(tls_secret(INFRA, 'tls-passthrough-checks-certificate', c, k))
    objs.append(tls_secret(APP, 'tls-passthrough-checks-certificate', c, k))
    c, k = f.make('tls-terminate-checks-certificate', 'server', ['tls.example.com'], ca=ca_c)
    objs.append(tls_secret(INFRA, 'tls-terminate-checks-certificate', c, k))
    c, k = f.make('mismatch-ca', 'ca')
    objs.append(ca_configmap(INFRA, 'mismatch-ca-certificate', c, k))
    return objs
