"""Kubernetes mode's object store and status reader against the real fake API server (tests/fakekube)."""
import http.server
import json
import os
import shutil
import tempfile
import threading
import time
import unittest

from conformance.runner.admin import Admin, ReadError
from conformance.runner.cli import find_shared
from conformance.runner.kube_api import ApiError, ApiServer
from conformance.runner.kube_store import KubeStatusReader, KubeStore, update_body
from conformance.runner.manifests import StoreError

CRDS = find_shared('gateway-api', 'v1.6.1', 'crd', 'experimental')
GATEWAYS = '/apis/gateway.networking.k8s.io/v1/namespaces/default/gateways'


def gateway(name, listener_port=80, namespace='default'):
    return {'apiVersion': 'gateway.networking.k8s.io/v1', 'kind': 'Gateway',
            'metadata': {'name': name, 'namespace': namespace},
            'spec': {'gatewayClassName': 'gatehouse',
                     'listeners': [{'name': 'http', 'port': listener_port, 'protocol': 'HTTP'}]}}


def service(name, cluster_ip=None):
    spec = {'selector': {'app': name}, 'ports': [{'port': 8080}]}
    if cluster_ip:
        spec['clusterIP'] = cluster_ip
    return {'apiVersion': 'v1', 'kind': 'Service', 'metadata': {'name': name, 'namespace': 'default'}, 'spec': spec}


class StatusEndpoint(http.server.ThreadingHTTPServer):
    """An admin endpoint that serves a fixed GET /status list."""

    def __init__(self, items):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = json.dumps({'items': items}).encode()
                self.send_response(200)
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass
        super().__init__(('127.0.0.1', 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def admin(self):
        return Admin(f'127.0.0.1:{self.server_address[1]}')


class UpdateBodyTest(unittest.TestCase):
    LIVE_SERVICE = {'metadata': {'resourceVersion': '42'},
                    'spec': {'clusterIP': '10.96.0.11', 'clusterIPs': ['10.96.0.11'], 'type': 'ClusterIP'}}

    def test_carries_the_live_resource_version(self):
        desired = gateway('g')
        body = update_body(desired, {'metadata': {'resourceVersion': '7'}, 'spec': {}})
        self.assertEqual(body['metadata'], {'name': 'g', 'namespace': 'default', 'resourceVersion': '7'})
        self.assertEqual(body['spec'], desired['spec'])
        self.assertNotIn('resourceVersion', desired['metadata'])      # the runner's copy stays as written

    def test_service_keeps_its_allocated_cluster_ip(self):
        body = update_body(service('s'), self.LIVE_SERVICE)
        self.assertEqual(body['spec']['clusterIP'], '10.96.0.11')
        self.assertEqual(body['spec']['clusterIPs'], ['10.96.0.11'])
        self.assertNotIn('type', body['spec'])                         # only allocated fields are carried over

    def test_an_explicit_cluster_ip_wins(self):
        body = update_body(service('s', cluster_ip='None'), self.LIVE_SERVICE)
        self.assertEqual(body['spec']['clusterIP'], 'None')


@unittest.skipUnless(os.path.isdir(CRDS), f'needs the upstream CRDs in {CRDS}')
class KubeStoreTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix='kube-store-test-')
        cls.api = ApiServer.start(os.path.join(cls.dir, 'state'), CRDS, os.path.join(cls.dir, 'fakekube.log'))

    @classmethod
    def tearDownClass(cls):
        cls.api.stop()
        shutil.rmtree(cls.dir)

    def setUp(self):
        self.logged = []
        self.store = KubeStore(self.api, self.logged.append, gone_timeout=10)
        self.reader = KubeStatusReader(self.api, admin=None)

    def server_copy(self, path):
        status, doc = self.api.request('GET', path)
        self.assertEqual(status, 200, doc)
        return doc

    def test_paths_of_namespaced_and_cluster_kinds(self):
        self.assertEqual(self.api.path('v1', 'Namespace', 'ignored', 'n'), '/api/v1/namespaces/n')
        self.assertEqual(self.api.path('discovery.k8s.io/v1', 'EndpointSlice', 'ns'),
                         '/apis/discovery.k8s.io/v1/namespaces/ns/endpointslices')
        self.assertEqual(self.api.path('gateway.networking.k8s.io/v1', 'GatewayClass', '', 'gc'),
                         '/apis/gateway.networking.k8s.io/v1/gatewayclasses/gc')
        with self.assertRaises(ApiError) as e:
            self.api.path('gateway.networking.k8s.io/v1', 'Mesh', 'ns')
        self.assertEqual(str(e.exception), "the API server does not serve Mesh in gateway.networking.k8s.io/v1: 'Mesh'")

    def test_write_creates_then_replaces(self):
        key = self.store.write(gateway('create-replace'))
        self.assertEqual(key, ('Gateway', 'default', 'create-replace'))
        first = self.server_copy(f'{GATEWAYS}/create-replace')
        self.assertEqual(first['metadata']['generation'], 1)
        self.store.write(gateway('create-replace', listener_port=8080))
        second = self.server_copy(f'{GATEWAYS}/create-replace')
        self.assertEqual(second['spec']['listeners'][0]['port'], 8080)
        self.assertEqual(second['metadata']['generation'], 2)
        self.assertEqual(second['metadata']['uid'], first['metadata']['uid'])
        self.assertEqual(self.store.get(key)['spec']['listeners'][0]['port'], 8080)

    def test_write_replaces_an_object_it_did_not_create(self):
        status, _ = self.api.request('POST', GATEWAYS, gateway('foreign', listener_port=9000))
        self.assertEqual(status, 201)
        self.store.write(gateway('foreign'))
        self.assertEqual(self.server_copy(f'{GATEWAYS}/foreign')['spec']['listeners'][0]['port'], 80)

    def test_update_after_a_status_write_and_a_conflict(self):
        self.store.write(gateway('conflicted'))
        live = self.server_copy(f'{GATEWAYS}/conflicted')
        live['status'] = {'conditions': []}
        status, _ = self.api.request('PUT', f'{GATEWAYS}/conflicted/status', live)   # moves resourceVersion
        self.assertEqual(status, 200)
        status, _ = self.api.request('POST', '/_fake/fail', query={
            'verb': 'update', 'resource': 'gateways', 'name': 'conflicted', 'code': '409'})
        self.assertEqual(status, 200)
        self.store.write(gateway('conflicted', listener_port=8081))
        self.assertEqual(self.server_copy(f'{GATEWAYS}/conflicted')['spec']['listeners'][0]['port'], 8081)
        self.assertEqual(self.logged, ['update of Gateway/default/conflicted conflicted; reading it again'])

    def test_endless_conflicts_fail_the_write(self):
        self.store.write(gateway('always-conflicted'))
        status, _ = self.api.request('POST', '/_fake/fail', query={
            'verb': 'update', 'resource': 'gateways', 'name': 'always-conflicted', 'code': '409',
            'count': str(KubeStore.CONFLICT_RETRIES)})
        self.assertEqual(status, 200)
        with self.assertRaises(StoreError) as e:
            self.store.write(gateway('always-conflicted', listener_port=8082))
        self.assertEqual(str(e.exception), 'Gateway/default/always-conflicted: still conflicting after 10 attempts')
        self.assertEqual(self.store.get(('Gateway', 'default', 'always-conflicted'))['spec']['listeners'][0]['port'],
                         80)     # the runner's copy is what the server holds

    def test_rewrite_recreates_an_object_deleted_behind_the_runners_back(self):
        self.store.write(gateway('recreated'))
        first_uid = self.server_copy(f'{GATEWAYS}/recreated')['metadata']['uid']
        status, _ = self.api.request('DELETE', f'{GATEWAYS}/recreated')
        self.assertEqual(status, 200)
        self.store.write(gateway('recreated'))
        self.assertNotEqual(self.server_copy(f'{GATEWAYS}/recreated')['metadata']['uid'], first_uid)

    def test_service_rewrite_keeps_cluster_ip(self):
        self.store.write(service('keeps-ip'))
        ip = self.server_copy('/api/v1/namespaces/default/services/keeps-ip')['spec']['clusterIP']
        changed = service('keeps-ip')
        changed['spec']['ports'] = [{'port': 9090}]
        self.store.write(changed)
        after = self.server_copy('/api/v1/namespaces/default/services/keeps-ip')
        self.assertEqual((after['spec']['clusterIP'], after['spec']['ports'][0]['port']), (ip, 9090))

    def test_namespace_recreated_after_its_deletion_finishes(self):
        ns = {'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': 'recreated'}}
        self.store.write(ns)
        self.assertTrue(self.store.delete(('Namespace', '', 'recreated')))
        self.assertIn('deletionTimestamp', self.server_copy('/api/v1/namespaces/recreated')['metadata'])
        self.store.write(ns)
        self.assertEqual(self.logged, ['Namespace/recreated is being deleted; waiting until it is gone'])
        time.sleep(1.5)       # past the fake's Terminating phase: the new namespace is not the one going away
        again = self.server_copy('/api/v1/namespaces/recreated')
        self.assertNotIn('deletionTimestamp', again['metadata'])
        self.assertEqual(again['status'], {'phase': 'Active'})

    def test_delete_tolerates_an_object_already_gone(self):
        key = self.store.write(gateway('gone-already'))
        status, _ = self.api.request('DELETE', f'{GATEWAYS}/gone-already')
        self.assertEqual(status, 200)
        self.assertTrue(self.store.delete(key))
        self.assertFalse(self.store.exists(key))
        self.assertFalse(self.store.delete(key))

    def test_write_into_a_missing_namespace_fails(self):
        with self.assertRaises(StoreError) as e:
            self.store.write(gateway('nowhere', namespace='missing'))
        self.assertEqual(str(e.exception), 'POST Gateway/missing/nowhere: HTTP 404: namespaces "missing" not found')
        self.assertFalse(self.store.exists(('Gateway', 'missing', 'nowhere')))

    def test_reader_gets_lists_and_reports_errors(self):
        self.store.write(gateway('read-me'))
        self.assertIsNone(self.reader.get('Gateway', 'default', 'absent'))
        got = self.reader.get('Gateway', 'default', 'read-me')
        self.assertEqual(got['status']['conditions'][0]['reason'], 'Pending')   # the CRD's default status
        listed = self.reader.list('Gateway', 'default')
        self.assertIn('read-me', [o['metadata']['name'] for o in listed])
        self.assertEqual({o['kind'] for o in listed}, {'Gateway'})     # list items lack a kind on the wire
        status, _ = self.api.request('POST', '/_fake/fail', query={
            'verb': 'get', 'resource': 'gateways', 'name': 'read-me', 'code': '500'})
        self.assertEqual(status, 200)
        with self.assertRaises(ReadError) as e:
            self.reader.get('Gateway', 'default', 'read-me')
        self.assertEqual(str(e.exception), f'GET {GATEWAYS}/read-me: HTTP 500: fakekube: injected 500 for '
                                           'get gateways.gateway.networking.k8s.io "read-me"')

    def test_differences_from_admin_name_objects_whose_status_differs(self):
        self.store.write(gateway('compared'))
        self.store.write(gateway('same'))
        served = self.reader.get('Gateway', 'default', 'compared')
        computed = dict(served, status={'conditions': [{'type': 'Accepted', 'status': 'True'}]})
        endpoint = StatusEndpoint([computed, self.reader.get('Gateway', 'default', 'same')])
        try:
            reader = KubeStatusReader(self.api, endpoint.admin())
            lines = reader.differences_from_admin([('Gateway', 'default', 'compared'), ('Gateway', 'default', 'same'),
                                                   ('Service', 'default', 'not-a-status-kind')])
        finally:
            endpoint.shutdown()
            endpoint.server_close()
        self.assertEqual(lines, [
            f'Gateway/default/compared: status on the API server {json.dumps(served["status"])} differs from the '
            'admin endpoint\'s {"conditions": [{"type": "Accepted", "status": "True"}]}'])

    def test_request_log(self):
        self.store.write(gateway('logged'))
        path = os.path.join(self.dir, 'requests.log')
        self.api.write_request_log(path)
        with open(path) as f:
            lines = f.read().splitlines()
        self.assertIn(f'admin POST {GATEWAYS} -> 201', [ln.split(' ', 1)[1] for ln in lines])


if __name__ == '__main__':
    unittest.main()
