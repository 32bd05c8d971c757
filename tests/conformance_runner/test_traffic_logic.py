import json
import math
import unittest

from conformance.runner.traffic import httpcheck as H
from conformance.runner.traffic.grpcclient import decode_echo_response, grpc_target
from conformance.runner.traffic.loops import consistent_loop, mirror_bounds, weights_verdict
from conformance.runner.traffic.other import udp_classify
from conformance.runner.traffic.tlsutil import go_verify_hostname

from .helpers import FakeResponse

JSON = [('Content-Type', 'application/json')]


def echo(**kw):
    d = {'path': '/', 'host': '127.0.1.2', 'method': 'GET', 'headers': {}, 'namespace': 'infra',
         'pod': 'infra-backend-v1-0123456789-abcde'}
    d.update(kw)
    return FakeResponse(200, JSON, json.dumps(d).encode())


class WeightsTest(unittest.TestCase):
    W = {'v1': 0.7, 'v2': 0.3, 'v3': 0.0}

    def test_within_tolerance(self):
        self.assertIsNone(weights_verdict({'v1': 350, 'v2': 150}, self.W, 500))
        self.assertIsNone(weights_verdict({'v1': 325, 'v2': 175}, self.W, 500))   # 0.65 / 0.35: exactly ±0.05
        self.assertIsNone(weights_verdict({'v1': 375, 'v2': 125}, self.W, 500))

    def test_outside_tolerance(self):
        self.assertIn('backend v1 got 0.648', weights_verdict({'v1': 324, 'v2': 176}, self.W, 500))

    def test_zero_weight_must_get_nothing(self):
        self.assertIn('backends hit', weights_verdict({'v1': 350, 'v2': 149, 'v3': 1}, self.W, 500))

    def test_missing_and_unknown_backend(self):
        self.assertIn('backends hit', weights_verdict({'v1': 500}, self.W, 500))
        self.assertIn('unexpected backends', weights_verdict({'v1': 350, 'x': 150}, self.W, 500))

    def test_mirror_bounds(self):
        lo, hi = mirror_bounds(500, 20, 3)
        self.assertAlmostEqual(lo, 100 - 3 * math.sqrt(80))
        self.assertAlmostEqual(hi, 100 + 3 * math.sqrt(80))


class ConsistentLoopTest(unittest.TestCase):
    def test_needs_n_in_a_row(self):
        results = iter([None, 'x', None, None, None])
        calls = []

        def attempt():
            calls.append(1)
            return next(results)
        self.assertIsNone(consistent_loop(attempt, 3, 10, pause=0))
        self.assertEqual(len(calls), 5)

    def test_gives_up(self):
        r = consistent_loop(lambda: 'nope', 3, 0.05, pause=0.01)
        self.assertTrue(r.startswith('nope (gave up'), r)


class GoHostnameTest(unittest.TestCase):
    SANS = ['*.org', '*.wildcard.org']

    def test_wildcards(self):
        self.assertIsNone(go_verify_hostname(self.SANS, [], 'example.org'))          # Go accepts *.org
        self.assertIsNone(go_verify_hostname(self.SANS, [], 'second-example.org'))
        self.assertIsNone(go_verify_hostname(self.SANS, [], 'fourth-example.wildcard.org'))
        self.assertIsNone(go_verify_hostname(self.SANS, [], 'EXAMPLE.org.'))
        self.assertIsNotNone(go_verify_hostname(self.SANS, [], 'a.b.example.org'))
        self.assertIsNotNone(go_verify_hostname(self.SANS, [], 'org'))
        self.assertIsNotNone(go_verify_hostname(['*'], [], 'example.org'))           # bare * is not a pattern

    def test_exact_and_ip(self):
        self.assertIsNone(go_verify_hostname(['abc.example.com', 'other.example.com'], [], 'other.example.com'))
        self.assertIsNotNone(go_verify_hostname(['abc.example.com'], [], 'abd.example.com'))
        self.assertIsNone(go_verify_hostname([], ['127.0.0.1'], '127.0.0.1'))
        self.assertIsNotNone(go_verify_hostname(['127.0.0.1'], [], '127.0.0.1'))
        self.assertIsNone(go_verify_hostname(['under_score.example'], [], 'under_score.example'))


class QueryTest(unittest.TestCase):
    def test_sorted_and_escaped(self):
        self.assertEqual(H.add_query_params('/mirror', {'gateway-api-conformance-request-id': 'u-1'}),
                         '/mirror?gateway-api-conformance-request-id=u-1')
        self.assertEqual(H.add_query_params('/retry/x?responseCode=500&succeedAfter=2', {'uuid': 'U'}),
                         '/retry/x?responseCode=500&succeedAfter=2&uuid=U')
        self.assertEqual(H.add_query_params('/p?b=2&a=x y', {'c': 'a/b'}), '/p?a=x+y&b=2&c=a%2Fb')
        self.assertEqual(H.add_query_params('/p?a=1', {}), '/p?a=1')

    def test_authority(self):
        self.assertEqual(H.url_authority('http', '127.0.1.2:80'), '127.0.1.2')
        self.assertEqual(H.url_authority('http', '127.0.1.2:8080'), '127.0.1.2:8080')
        self.assertEqual(H.url_authority('https', '127.0.1.2:443'), '127.0.1.2')
        self.assertEqual(H.url_authority('https', '127.0.1.2:80'), '127.0.1.2:80')
        self.assertEqual(H.url_authority('https', '127.0.1.2'), '127.0.1.2')


class PreparedTest(unittest.TestCase):
    def test_defaults_and_expectation(self):
        p = H.Prepared({'request': {'path': '/a', 'headers': {'Version': 'one'}, 'requestId': True}}, '127.0.1.2:80')
        self.assertEqual((p.scheme, p.protocol, p.method, p.host, p.conn_host, p.conn_port),
                         ('http', 'HTTP/1.1', 'GET', '127.0.1.2', '127.0.1.2', 80))
        params = p.params('RID', 'U')
        self.assertEqual(params, {'gateway-api-conformance-request-id': 'RID'})
        exp = p.expected_backend(params)
        self.assertEqual(exp['path'], '/a?gateway-api-conformance-request-id=RID')
        self.assertEqual(exp['headers'], {'Version': 'one'})
        self.assertIsNone(exp['host'])
        self.assertEqual(p.send_headers(), [('Version', 'one'), ('X-Echo-Set-Header', '')])
        self.assertEqual(p.send_headers(jitter=7), [('X-Jitter', '7'), ('X-Echo-Set-Header', '')])

    def test_explicit_backend_request(self):
        p = H.Prepared({'request': {'path': '/x', 'host': 'h.example', 'echoSetResponseHeaders': {'A': '1', 'B': '2'}},
                        'expect': {'backendRequest': {'path': '/y', 'headers': {'H': 'v'}}}}, '127.0.1.2:8080')
        self.assertEqual(p.host, 'h.example')
        self.assertEqual(p.echo_set_header(), 'A:1,B:2')
        exp = p.expected_backend({})
        self.assertEqual((exp['path'], exp['method'], exp['host'], exp['headers']), ('/y', 'GET', None, {'H': 'v'}))


class EvaluateTest(unittest.TestCase):
    def ev(self, case, resp, url='http://127.0.1.2/'):
        p = H.Prepared(case, '127.0.1.2:80')
        return H.evaluate(p, p.expected_backend({}), resp, p.method, url)

    def test_pass(self):
        case = {'request': {'path': '/', 'headers': {'x-a': 'v'}},
                'expect': {'namespace': 'infra', 'backend': 'infra-backend-v1'}}
        self.assertIsNone(self.ev(case, echo(headers={'X-A': ['v']})))

    def test_differences(self):
        base = {'request': {'path': '/'}, 'expect': {'namespace': 'infra', 'backend': 'infra-backend-v2'}}
        self.assertEqual(self.ev(base, echo()), "served by pod 'infra-backend-v1-0123456789-abcde', expected backend "
                                                "'infra-backend-v2'")
        self.assertEqual(self.ev({'request': {'path': '/'}}, echo()), "namespace 'infra', expected ''")
        self.assertEqual(self.ev(base, FakeResponse(404)), 'status 404, expected [200]')
        case = {'request': {'path': '/', 'headers': {'x-a': 'v'}}, 'expect': {'namespace': 'infra'}}
        self.assertEqual(self.ev(case, echo(headers={'X-A': ['v', 'w']})),
                         "backend request header x-a: 'v,w', expected 'v'")
        case = {'request': {'path': '/'}, 'expect': {'namespace': 'infra', 'backendRequest': {
            'path': '/', 'absentHeaders': ['X-Gone']}}}
        self.assertIn('expected absent', self.ev(case, echo(headers={'x-gone': ['1']})))

    def test_non_echo_response_on_200(self):
        # a 200 that is not echo JSON: path "" only matches an expected "" path
        case = {'request': {'path': '/'}, 'expect': {'backendRequest': {'path': ''}}}
        self.assertIsNone(self.ev(case, FakeResponse(200, [('Content-Type', 'text/plain')], b'hi')))
        self.assertEqual(self.ev({'request': {'path': '/'}}, FakeResponse(200, [], b'')),
                         "backend path '', expected '/'")
        self.assertIn('unparsable echo JSON', self.ev({'request': {'path': '/'}}, FakeResponse(200, JSON, b'{')))

    def test_timeouts(self):
        case = {'request': {'path': '/'}, 'expect': {'status': [504]}}
        self.assertIsNone(self.ev(case, FakeResponse(408)))
        self.assertIsNone(self.ev(case, FakeResponse(504)))
        self.assertEqual(self.ev({'request': {'path': '/'}, 'expect': {'status': [503]}}, FakeResponse(504)),
                         'status 504, expected [503]')

    def test_response_headers(self):
        resp = echo()
        resp.headers += [('X-Multi', 'a'), ('x-multi', 'b'), ('Access-Control-Allow-Methods', 'GET, POST')]
        case = {'request': {'path': '/'}, 'expect': {'namespace': 'infra', 'response': {
            'headers': {'X-MULTI': 'a,b'}, 'absentHeaders': ['X-None'],
            'anyOf': {'access-control-allow-methods': ['GET,POST', 'POST,GET']}, 'ignoreWhitespace': True}}}
        self.assertIsNone(self.ev(case, resp))
        case['expect']['response']['ignoreWhitespace'] = False
        self.assertIn('expected one of', self.ev(case, resp))

    def test_redirect(self):
        def red(loc, status=302):
            return FakeResponse(status, [('Location', loc)])
        case = {'request': {'path': '/x?q=1', 'followRedirects': False},
                'expect': {'status': [302], 'redirect': {'host': 'example.org'}}}
        self.assertIsNone(self.ev(case, red('http://example.org/x')))
        self.assertIsNone(self.ev(case, red('http://example.org:80/x')))
        self.assertEqual(self.ev(case, red('http://example.org:8080/x')), "redirect port '8080', expected none")
        self.assertEqual(self.ev(case, red('https://example.org/x')), "redirect scheme 'https', expected 'http'")
        case2 = {'request': {'path': '/x', 'followRedirects': False},
                 'expect': {'status': [301], 'redirect': {'scheme': 'https', 'port': '8443', 'path': '/y'}}}
        self.assertIsNone(self.ev(case2, red('https://example.org:8443/y', 301)))
        self.assertEqual(self.ev(case2, red('https://example.org:8443/z', 301)),
                         "redirect path '/z', expected '/y'")
        # relative Location resolved against the request URL; no host expectation = not compared
        case3 = {'request': {'path': '/x', 'followRedirects': False}, 'expect': {'status': [302], 'redirect': {}}}
        self.assertIsNone(self.ev(case3, red('/x'), url='http://127.0.1.2/x'))
        self.assertEqual(self.ev(case3, FakeResponse(302)), 'status 302 without a Location header')

    def test_backend_from_header(self):
        self.assertIsNone(H.backend_from_header_check(
            {'headers': {'Backend': ['infra-backend-v1']}, 'pod': 'infra-backend-v1-1-2'}, 'backend'))
        self.assertIn('exactly one', H.backend_from_header_check({'headers': {}, 'pod': 'x'}, 'Backend'))
        self.assertIn('says', H.backend_from_header_check(
            {'headers': {'Backend': ['infra-backend-v2']}, 'pod': 'infra-backend-v1-1-2'}, 'Backend'))


def _ld(num, payload):
    return bytes([num << 3 | 2, len(payload)]) + payload


class GrpcDecodeTest(unittest.TestCase):
    def test_decode(self):
        ctx = _ld(1, b'infra') + _ld(3, b'svc') + _ld(4, b'grpc-infra-backend-v1-0123456789-abcde')
        header = _ld(1, b':authority') + _ld(2, b'example.com')
        assertions = _ld(1, b'/pkg.Svc/Echo') + _ld(2, header) + _ld(3, b'example.com') + _ld(4, ctx)
        out = decode_echo_response(_ld(1, assertions))
        self.assertEqual(out['fully_qualified_method'], '/pkg.Svc/Echo')
        self.assertEqual(out['headers'], [(':authority', 'example.com')])
        self.assertEqual(out['authority'], 'example.com')
        self.assertEqual(out['context'], {'namespace': 'infra', 'ingress': '', 'service_name': 'svc',
                                          'pod': 'grpc-infra-backend-v1-0123456789-abcde'})
        self.assertEqual(decode_echo_response(b'')['context']['pod'], '')

    def test_target(self):
        self.assertEqual(grpc_target('127.0.1.2:80'), 'ipv4:127.0.1.2:80')
        self.assertEqual(grpc_target('[::1]:80'), 'ipv6:[::1]:80')


class UdpTest(unittest.TestCase):
    def test_classify(self):
        reply = json.dumps({'request': 'x', 'namespace': 'infra', 'service': 'udp-svc',
                            'pod': 'udp-backend-v1-0123456789-abcde'}).encode()
        self.assertEqual(udp_classify(b'anything', None), 'match')
        self.assertEqual(udp_classify(reply, {'backend': 'udp-backend-v1', 'namespace': 'infra'}), 'match')
        self.assertEqual(udp_classify(reply, {'backend': 'udp-backend-v2'}), 'mismatch')
        self.assertEqual(udp_classify(reply, {'service': 'other'}), 'mismatch')
        self.assertEqual(udp_classify(b'nope', {'service': 'x'}), 'error:reply is not JSON')
        self.assertEqual(udp_classify(json.dumps({'pod': ''}).encode(), {'backend': 'x'}), 'error:empty pod')


if __name__ == '__main__':
    unittest.main()
