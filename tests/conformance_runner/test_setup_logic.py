import base64
import os
import random
import re
import shutil
import tempfile
import unittest

import yaml

from conformance.runner import fleet, manifests
from conformance.runner.cases import Case
from conformance.runner.certs import san_entry
from conformance.runner.engine import Result
from conformance.runner.report import build_report
from conformance.runner.steps.mutation import edit_object

S = manifests.ApplySettings('gatehouse', 'gatehouse.dev/gateway-controller', '127.0.1.254', '192.0.2.1')


class RewriteTest(unittest.TestCase):
    def test_gateway_class_name(self):
        gw = {'kind': 'Gateway', 'metadata': {'name': 'g'}, 'spec': {'gatewayClassName': '{GATEWAY_CLASS_NAME}'}}
        out = manifests.rewrite(gw, S)
        self.assertEqual(out['spec'], {'gatewayClassName': 'gatehouse'})
        self.assertEqual(gw['spec']['gatewayClassName'], '{GATEWAY_CLASS_NAME}')   # input untouched

    def test_addresses(self):
        gw = {'kind': 'Gateway', 'spec': {'gatewayClassName': 'x', 'addresses': [
            {'type': 'IPAddress', 'value': 'PLACEHOLDER_USABLE_ADDRS'},
            {'value': 'PLACEHOLDER_UNUSABLE_ADDRS'},
            {'type': 'test/fake-invalid-type', 'value': '1.2.3.4'},
            {'type': 'Hostname', 'value': 'dropped.example'}]}}
        self.assertEqual(manifests.rewrite(gw, S)['spec']['addresses'], [
            {'type': 'test/fake-invalid-type', 'value': '1.2.3.4'},
            {'type': 'IPAddress', 'value': '192.0.2.1'},
            {'type': 'IPAddress', 'value': '127.0.1.254'}])

    def test_value_less_addresses_are_dropped(self):
        gw = {'kind': 'Gateway', 'spec': {'addresses': [{'type': 'IPAddress'}]}}
        self.assertEqual(manifests.rewrite(gw, S)['spec']['addresses'], [])
        gw = {'kind': 'Gateway', 'spec': {'addresses': []}}
        self.assertEqual(manifests.rewrite(gw, S)['spec']['addresses'], [])

    def test_gatewayclass_and_namespace(self):
        gwc = {'kind': 'GatewayClass', 'metadata': {'name': 'x'}, 'spec': {'controllerName': 'example.com/other'}}
        self.assertEqual(manifests.rewrite(gwc, S)['spec']['controllerName'], 'gatehouse.dev/gateway-controller')
        s2 = manifests.ApplySettings('g', 'c', None, None, {'extra': 'l'}, {'a': 'b'})
        ns = manifests.rewrite({'kind': 'Namespace', 'metadata': {'name': 'n', 'labels': {'k': 'v'}}}, s2)
        self.assertEqual(ns['metadata'], {'name': 'n', 'labels': {'k': 'v', 'extra': 'l'}, 'annotations': {'a': 'b'}})
        svc = {'kind': 'Service', 'metadata': {'name': 's'}}
        self.assertEqual(manifests.rewrite(svc, S), svc)


class StoreTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_write_replace_delete(self):
        st = manifests.DirectoryStore(self.dir)
        key = st.write({'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': 'c'}, 'data': {'a': '1'}})
        self.assertEqual(key, ('ConfigMap', 'default', 'c'))
        self.assertEqual(os.listdir(self.dir), ['configmap.default.c.yaml'])
        st.write({'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': 'c', 'namespace': 'default'},
                  'data': {'a': '2'}})
        with open(os.path.join(self.dir, 'configmap.default.c.yaml')) as f:
            self.assertEqual(yaml.safe_load(f)['data'], {'a': '2'})
        self.assertTrue(st.delete(key))
        self.assertFalse(st.delete(key))
        self.assertEqual(os.listdir(self.dir), [])

    def test_file_name(self):
        self.assertEqual(manifests.file_name(('GatewayClass', '', 'GC_1')), 'gatewayclass.gc_1.yaml')


class EditTest(unittest.TestCase):
    OBJ = {'kind': 'Gateway', 'spec': {'listeners': [{'name': 'https', 'port': 443}, {'name': 'http', 'port': 80}],
                                       'addresses': [{'value': 'a'}, {'value': 'b', 'type': 'IPAddress'}]}}

    def test_set(self):
        out = edit_object(self.OBJ, {'set': {'spec.listeners[1].port': 8080, 'spec.infrastructure.labels': {'k': 'v'}}})
        self.assertEqual(out['spec']['listeners'][1], {'name': 'http', 'port': 8080})
        self.assertEqual(out['spec']['infrastructure'], {'labels': {'k': 'v'}})
        self.assertEqual(self.OBJ['spec']['listeners'][1]['port'], 80)

    def test_append_and_remove(self):
        out = edit_object(self.OBJ, {'append': {'spec.listeners': [{'name': 'x'}], 'spec.new': [1]}})
        self.assertEqual([l['name'] for l in out['spec']['listeners']], ['https', 'http', 'x'])
        self.assertEqual(out['spec']['new'], [1])
        out = edit_object(self.OBJ, {'removeWhere': {'spec.listeners': {'name': 'https'},
                                                     'spec.addresses': {'value': 'b', 'type': 'IPAddress'}}})
        self.assertEqual(out['spec']['listeners'], [{'name': 'http', 'port': 80}])
        self.assertEqual(out['spec']['addresses'], [{'value': 'a'}])

    def test_merge(self):
        out = edit_object({'data': {'ca.crt': 'X', 'k': 'v'}}, {'merge': {'data': {'ca.crt': ''}}})
        self.assertEqual(out, {'data': {'ca.crt': '', 'k': 'v'}})


class FleetTest(unittest.TestCase):
    def test_pod_name_shape(self):
        rnd = random.Random(1)
        rs = fleet.new_rs_hash(rnd)
        name = fleet.pod_name('infra-backend-v1', rs, rnd)
        self.assertRegex(name, r'^infra-backend-v1-[0-9a-f]{10}-[a-z0-9]{5}$')
        self.assertEqual(name.rsplit('-', 2)[1], rs)

    def test_env_and_mounts(self):
        d = tempfile.mkdtemp()
        try:
            pod = fleet.Pod('tls-backend-0123456789-abcde', 'infra', 'tls-backend', '127.10.0.9', {}, d)
            st = manifests.DirectoryStore(os.path.join(d, 'm'))
            st.write({'apiVersion': 'v1', 'kind': 'Secret', 'metadata': {'name': 's', 'namespace': 'infra'},
                      'data': {'tls.crt': base64.b64encode(b'CRT').decode(), 'tls.key': base64.b64encode(b'KEY').decode()}})
            spec = {'volumes': [{'name': 'secret-volume', 'secret': {'secretName': 's', 'items': [
                {'key': 'tls.crt', 'path': 'crt'}, {'key': 'tls.key', 'path': 'key'}]}}]}
            container = {'volumeMounts': [{'name': 'secret-volume', 'mountPath': '/etc/secret-volume'}],
                         'env': [{'name': 'POD_NAME', 'valueFrom': {'fieldRef': {'fieldPath': 'metadata.name'}}},
                                 {'name': 'NAMESPACE', 'valueFrom': {'fieldRef': {'fieldPath': 'metadata.namespace'}}},
                                 {'name': 'TLS_SERVER_CERT', 'value': '/etc/secret-volume/crt'},
                                 {'name': 'SERVICE_NAME', 'value': 'svc'}]}
            mounts = fleet.write_volumes(spec, container, pod, st)
            env = fleet.container_env(container, pod, st, mounts)
            host = os.path.join(d, 'volumes', 'secret-volume')
            self.assertEqual(env, {'POD_NAME': 'tls-backend-0123456789-abcde', 'NAMESPACE': 'infra',
                                   'TLS_SERVER_CERT': host + '/crt', 'SERVICE_NAME': 'svc'})
            with open(os.path.join(host, 'key'), 'rb') as f:
                self.assertEqual(f.read(), b'KEY')
        finally:
            shutil.rmtree(d)

    def test_map_mount_path(self):
        m = {'/etc/secret-volume': '/w/v1', '/etc': '/w/etc'}
        self.assertEqual(fleet.map_mount_path('/etc/secret-volume/crt', m), '/w/v1/crt')
        self.assertEqual(fleet.map_mount_path('/etc/other', m), '/w/etc/other')
        self.assertEqual(fleet.map_mount_path('/etc-x', m), '/etc-x')

    def test_endpoint_slice(self):
        f = fleet.Fleet(tempfile.mkdtemp(), 'echo', 'dns')
        try:
            p1 = fleet.Pod('web-0123456789-aaaaa', 'ns', 'web', '127.10.0.5', {'app': 'web'}, f.dir)
            p2 = fleet.Pod('web-0123456789-bbbbb', 'ns', 'web', '127.10.0.6', {'app': 'web'}, f.dir)
            p1.ready = p2.ready = lambda: True
            f.deployments[('ns', 'web')] = [p2, p1]
            svc = {'kind': 'Service', 'metadata': {'name': 'web', 'namespace': 'ns'},
                   'spec': {'selector': {'app': 'web'}, 'ports': [
                       {'name': 'http', 'port': 8080, 'targetPort': 3000, 'protocol': 'TCP'},
                       {'port': 8081, 'targetPort': 3001, 'appProtocol': 'kubernetes.io/h2c'}]}}
            sl = f.endpoint_slice_for(svc)
            self.assertEqual(sl['metadata']['labels']['kubernetes.io/service-name'], 'web')
            self.assertEqual(sl['addressType'], 'IPv4')
            self.assertEqual([e['addresses'] for e in sl['endpoints']], [['127.10.0.5'], ['127.10.0.6']])
            self.assertEqual(sl['endpoints'][0]['conditions'], {'ready': True, 'serving': True, 'terminating': False})
            self.assertEqual(sl['endpoints'][0]['targetRef']['name'], 'web-0123456789-aaaaa')
            self.assertEqual(sl['ports'], [{'name': 'http', 'protocol': 'TCP', 'port': 3000},
                                           {'name': '', 'protocol': 'TCP', 'port': 3001,
                                            'appProtocol': 'kubernetes.io/h2c'}])
            self.assertEqual(f.endpoint_slice_for(svc)['metadata']['name'], sl['metadata']['name'])
        finally:
            shutil.rmtree(f.dir)

    def test_logs(self):
        self.assertEqual(fleet.parse_log_time('2026-01-02T03:04:05.123456Z Echoing'), 1767323045)
        self.assertEqual(fleet.parse_log_time('2026-01-02T05:04:05+02:00 x'), 1767323045)
        self.assertIsNone(fleet.parse_log_time('garbage'))
        d = tempfile.mkdtemp()
        try:
            p = os.path.join(d, 'log')
            with open(p, 'w') as f:
                f.write('2026-01-02T03:04:04.9Z old\n2026-01-02T03:04:05.0Z same-second\n2026-01-02T03:04:06Z new\n')
            self.assertEqual(fleet.read_log_since(p, 1767323045.7),
                             ['2026-01-02T03:04:05.0Z same-second', '2026-01-02T03:04:06Z new'])
            self.assertEqual(fleet.read_log_since(os.path.join(d, 'missing'), 0), [])
        finally:
            shutil.rmtree(d)

    def test_dns_packets(self):
        q = fleet.dns_query_packet('foo.bar.com.', 0x1234)
        self.assertEqual(q[:12], bytes.fromhex('123401000001000000000000'))
        self.assertEqual(q[12:], b'\x03foo\x03bar\x03com\x00\x00\x01\x00\x01')
        reply = bytes.fromhex('123481800001000000000000') + q[12:]
        self.assertTrue(fleet.dns_reply_ok(reply, 0x1234))
        self.assertFalse(fleet.dns_reply_ok(reply, 0x1235))
        self.assertFalse(fleet.dns_reply_ok(q, 0x1234))          # not a response
        self.assertFalse(fleet.dns_reply_ok(reply[:14], 0x1234))  # truncated question


class CertTest(unittest.TestCase):
    def test_san_entries(self):
        self.assertEqual(san_entry('*'), 'URI:*')
        self.assertEqual(san_entry('*.org'), 'DNS:*.org')
        self.assertEqual(san_entry('abc.example.com'), 'DNS:abc.example.com')
        self.assertEqual(san_entry('spiffe://abc.example.com/test-identity'),
                         'URI:spiffe://abc.example.com/test-identity')


class ReportTest(unittest.TestCase):
    def case(self, name, profiles, provisional=False):
        return Case(f'{name}.case.yaml', {'case': name, 'features': ['Gateway'], 'profiles': profiles,
                                          'provisional': provisional, 'manifests': [], 'steps': []})

    def test_report(self):
        cases = {c.name: c for c in [
            self.case('A', {'GATEWAY-HTTP': 'core'}),
            self.case('B', {'GATEWAY-HTTP': 'extended', 'GATEWAY-TLS': 'extended'}, provisional=True),
            self.case('C', {'GATEWAY-HTTP': 'core'}),
            self.case('D', {'GATEWAY-HTTP': 'extended'}),
            self.case('E', {'GATEWAY-HTTP': 'core'})]}
        results = [Result('A', 'pass'), Result('B', 'pass'), Result('C', 'error', 'x'), Result('D', 'skip', 'u'),
                   Result('E', 'skip', 'listed')]
        results[3].skip_kind = 'unsupported'
        results[4].skip_kind = 'explicit'
        doc = build_report(results, cases, ['GATEWAY-HTTP'], {'Gateway', 'HTTPRoute', 'GatewayPort8080'},
                           {'organization': 'o', 'project': 'p', 'url': 'u', 'version': 'v', 'contact': []},
                           date='2026-01-01T00:00:00Z')
        self.assertEqual(doc['apiVersion'], 'gateway.networking.k8s.io/v1')
        self.assertEqual(doc['kind'], 'ConformanceReport')
        self.assertEqual(doc['gatewayAPIVersion'], 'v1.6.1')
        self.assertEqual(doc['mode'], 'default')
        self.assertEqual(len(doc['profiles']), 1)
        http = doc['profiles'][0]
        self.assertEqual(http['name'], 'GATEWAY-HTTP')
        self.assertEqual(http['core'], {'result': 'failure', 'statistics': {'Failed': 1, 'Passed': 1, 'Skipped': 1},
                                        'failedTests': ['C'], 'skippedTests': ['E']})
        self.assertEqual(http['extended']['result'], 'success')
        self.assertEqual(http['extended']['statistics'], {'Failed': 0, 'Passed': 1, 'Skipped': 0})
        self.assertEqual(http['extended']['supportedFeatures'], ['GatewayPort8080'])
        self.assertIn('HTTPRouteRetry', http['extended']['unsupportedFeatures'])
        self.assertEqual(http['summary'], 'Core tests failed with 1 test failures. Extended tests succeeded.')
        self.assertEqual(doc['succeededProvisionalTests'], ['B'])
        self.assertTrue(re.match(r'^\d{4}-\d\d-\d\dT', doc['date']))


if __name__ == '__main__':
    unittest.main()
