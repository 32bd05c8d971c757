import unittest

from conformance.runner import util
from conformance.runner.timeouts import DEFAULTS, Timeouts, parse_overrides
from conformance.runner.util import CaseError


class DurationTest(unittest.TestCase):
    def test_units(self):
        self.assertEqual(util.parse_duration('100ms'), 0.1)
        self.assertEqual(util.parse_duration('1s'), 1.0)
        self.assertEqual(util.parse_duration('2m'), 120.0)
        self.assertEqual(util.parse_duration('1.5s'), 1.5)
        self.assertEqual(util.parse_duration(3), 3.0)
        self.assertEqual(util.parse_duration('7'), 7.0)

    def test_invalid(self):
        for bad in ('1h', '', 's', '-1s', True, None, [1]):
            with self.assertRaises(ValueError, msg=repr(bad)):
                util.parse_duration(bad)


class VariableTest(unittest.TestCase):
    def test_whole_and_embedded(self):
        v = {'gw': '127.0.1.2:80', 'g0': '3'}
        self.assertEqual(util.substitute('${gw}', v), '127.0.1.2:80')
        self.assertEqual(util.substitute('${gw}:443', {'gw': '127.0.1.2'}), '127.0.1.2:443')
        self.assertEqual(util.substitute({'a': ['x${g0}y', 5, True], 'k${gw}': 'z'}, v),
                         {'a': ['x3y', 5, True], 'k${gw}': 'z'})

    def test_unbound_is_case_error(self):
        with self.assertRaises(CaseError) as cm:
            util.substitute({'t': '${nope}'}, {})
        self.assertIn('${nope}', str(cm.exception))

    def test_referenced(self):
        self.assertEqual(util.referenced_vars({'a': '${x}', 'b': ['${y}:1', {'c': 'n'}]}), {'x', 'y'})


class MergeTest(unittest.TestCase):
    def test_deep_merge(self):
        default = {'request': {'scheme': 'https', 'headers': {'A': '1'}}, 'expect': {'status': [200], 'x': 1}}
        case = {'request': {'headers': {'B': '2'}, 'path': '/'}, 'expect': {'status': [404]}}
        out = util.deep_merge(default, case)
        self.assertEqual(out, {'request': {'scheme': 'https', 'headers': {'A': '1', 'B': '2'}, 'path': '/'},
                               'expect': {'status': [404], 'x': 1}})
        self.assertEqual(default['request']['headers'], {'A': '1'})   # inputs untouched

    def test_deep_merge_lists_replace(self):
        self.assertEqual(util.deep_merge({'a': [1, 2]}, {'a': [3]}), {'a': [3]})
        self.assertEqual(util.deep_merge({'a': {'b': 1}}, {'a': 'x'}), {'a': 'x'})

    def test_merge_patch(self):
        target = {'data': {'ca.crt': 'PEM', 'other': 'x'}, 'l': [1, 2]}
        self.assertEqual(util.merge_patch(target, {'data': {'ca.crt': ''}}),
                         {'data': {'ca.crt': '', 'other': 'x'}, 'l': [1, 2]})
        self.assertEqual(util.merge_patch(target, {'data': {'other': None}, 'l': [3]}),
                         {'data': {'ca.crt': 'PEM'}, 'l': [3]})


class FieldPathTest(unittest.TestCase):
    def test_parse(self):
        self.assertEqual(util.parse_field_path('metadata.generation'), ['metadata', 'generation'])
        self.assertEqual(util.parse_field_path('spec.addresses[2].value'), ['spec', 'addresses', 2, 'value'])
        self.assertEqual(util.parse_field_path('data["ca.crt"]'), ['data', 'ca.crt'])
        for bad in ('', '.a', 'a..b', 'a[x]'):
            with self.assertRaises(ValueError, msg=bad):
                util.parse_field_path(bad)

    def test_get(self):
        obj = {'metadata': {'generation': 4}, 'spec': {'addresses': [{'value': 'a'}, {'value': 'b'}]},
               'data': {'ca.crt': 'PEM'}}
        self.assertEqual(util.get_field(obj, 'metadata.generation'), 4)
        self.assertEqual(util.get_field(obj, 'spec.addresses[1].value'), 'b')
        self.assertEqual(util.get_field(obj, 'data["ca.crt"]'), 'PEM')
        with self.assertRaises(KeyError):
            util.get_field(obj, 'spec.addresses[2].value')
        self.assertEqual(util.field_as_string(4), '4')

    def test_set(self):
        obj = {'spec': {'validation': {}}}
        util.set_field(obj, 'spec.validation.caCertificateRefs', [{'name': 'x'}])
        util.set_field(obj, 'spec.new.deep', 1)
        self.assertEqual(obj, {'spec': {'validation': {'caCertificateRefs': [{'name': 'x'}]}, 'new': {'deep': 1}}})
        util.set_field(obj, 'spec.validation.caCertificateRefs[0].name', 'y')
        self.assertEqual(obj['spec']['validation']['caCertificateRefs'], [{'name': 'y'}])


class RefTest(unittest.TestCase):
    def test_refs(self):
        self.assertEqual(util.parse_ref('HTTPRoute/ns/r'), ('HTTPRoute', 'ns', 'r'))
        self.assertEqual(util.parse_ref('GatewayClass/gc'), ('GatewayClass', '', 'gc'))
        for bad in ('HTTPRoute/r', 'a/b/c/d', 'Gateway//x'):
            with self.assertRaises(CaseError):
                util.parse_ref(bad)
        self.assertEqual(util.parse_nsname('ns/n'), ('ns', 'n'))

    def test_obj_key(self):
        self.assertEqual(util.obj_key({'kind': 'Service', 'metadata': {'name': 's'}}), ('Service', 'default', 's'))
        self.assertEqual(util.obj_key({'kind': 'Namespace', 'metadata': {'name': 'n'}}), ('Namespace', '', 'n'))


class MiscTest(unittest.TestCase):
    def test_strip_pod_hash(self):
        self.assertEqual(util.strip_pod_hash('infra-backend-v1-3828fbed4d-zqrmr'), 'infra-backend-v1')
        self.assertEqual(util.strip_pod_hash('a-b-c'), 'a')
        self.assertEqual(util.strip_pod_hash('nohash'), '')

    def test_canonical_header(self):
        self.assertEqual(util.canonical_header_name('x-foo-BAR'), 'X-Foo-Bar')
        self.assertEqual(util.canonical_header_name('version'), 'Version')
        self.assertEqual(util.canonical_header_name('bad header'), 'bad header')

    def test_split_target(self):
        self.assertEqual(util.split_target('127.0.1.2:8080'), ('127.0.1.2', 8080))
        self.assertEqual(util.split_target('127.0.1.2', 80), ('127.0.1.2', 80))
        self.assertEqual(util.split_target('[::1]:443'), ('::1', 443))
        self.assertEqual(util.join_host_port('::1', 80), '[::1]:80')


class TimeoutsTest(unittest.TestCase):
    def test_overrides(self):
        self.assertEqual(parse_overrides('DefaultPollInterval:0.1;MaxTimeToConsistency:45'),
                         {'DefaultPollInterval': 0.1, 'MaxTimeToConsistency': 45.0})
        t = Timeouts('RequiredConsecutiveSuccesses:5;')
        self.assertEqual(t.RequiredConsecutiveSuccesses, 5)
        self.assertEqual(t.GWCMustBeAccepted, 180.0)
        self.assertEqual(len(DEFAULTS), 24)
        for bad in ('Nope:1', 'MaxTimeToConsistency', 'MaxTimeToConsistency:x', 'GetTimeout:-1'):
            with self.assertRaises(ValueError, msg=bad):
                parse_overrides(bad)


if __name__ == '__main__':
    unittest.main()
