import os
import subprocess
import unittest

import yaml

from conformance.runner import schema
from conformance.runner.cases import Case, load_cases, selection

from .helpers import HAVE_SHARED, SHARED_CASES, SHARED_CHECKER, SHARED_FORMAT, SHARED_UPSTREAM

MINI_FORMAT = """
# doc
## 11. Something
text
## 12. Key index

#### Shape `Case`

| Key | Type | Req. | Default | Use | § |
|---|---|---|---|---|---|
| `case` | string | yes | – | used | 4 |
| `features` | list(string) | yes | – | used | 3.1 |
| `manifests` | list(manifest) | yes | – | used | 3.2 |
| `steps` | list(Step) | yes | – | used | 5 |

#### Shape `Step`

| Key | Type | Req. | Default | Use | § |
|---|---|---|---|---|---|
| `group` | string | one-of | – | used | 5.2 |
| `within` | duration | cond | none | used | 5.2 |
| `steps` | list(Step) | cond | – | used | 5.2 |
| `sleep` | duration | one-of | – | used | 7.4 |
| `gatewayAddress` | object | one-of | – | used | 6.3 |
| `gatewayAddress.gateway` | nsname | yes | – | used | 6.3 |
| `gatewayAddress.usePort` | bool | no | true | used | 6.3 |
| `gatewayAddress.bind` | var | no | – | used | 6.3 |
| `condition` | object | one-of | – | used | 6.10 |
| `condition.ref` | ref(Gateway, GatewayClass) | yes | – | used | 6.10 |
| `condition.condition` | Condition | yes | – | used | 6.10 |
| `tcp` | object | one-of | – | used | 8.3 |
| `tcp.target` | string | yes | – | used | 8.0 |
| `tcp.mode` | enum(once, connect) | no | full | used | 8.3 |

#### Shape `Condition`

| Key | Type | Req. | Default | Use | § |
|---|---|---|---|---|---|
| `type` | string | yes | – | used | 1.5 |
| `status` | enum(True, False) | no | any | used | 1.5 |
| `reason` | string | no | any | used | 1.5 |
"""


def doc(steps, **top):
    d = {'case': 'X', 'features': ['Gateway'], 'manifests': [], 'steps': steps}
    d.update(top)
    return d


class KeyIndexTest(unittest.TestCase):
    def setUp(self):
        self.shapes = schema.parse_key_index(MINI_FORMAT)
        self.v = schema.Validator(self.shapes)

    def test_parse(self):
        self.assertEqual(sorted(self.shapes), ['Case', 'Condition', 'Step'])
        self.assertEqual(self.shapes['Step']['condition.ref'].type, ('ref', ('Gateway', 'GatewayClass')))
        self.assertEqual(self.shapes['Case']['steps'].type, ('list', ('shape', 'Step')))
        self.assertEqual(self.shapes['Step']['gatewayAddress'].req, 'one-of')
        self.assertEqual(schema.parse_type('map(list(string))'), ('map', ('list', ('string',))))

    def test_valid(self):
        d = doc([{'gatewayAddress': {'gateway': 'ns/gw', 'bind': 'gw'}},
                 {'tcp': {'target': '${gw}', 'mode': 'connect'}},
                 {'group': 'g', 'within': '60s', 'steps': [{'sleep': '1s'}]}])
        self.assertEqual(self.v.validate(d), [])

    def test_unknown_and_missing_keys(self):
        errs = self.v.validate(doc([{'gatewayAddress': {'gateway': 'ns/gw', 'extra': 1}}], bogus=1))
        self.assertIn("case: unknown key 'bogus'", errs)
        self.assertIn("steps[0].gatewayAddress: unknown key 'extra'", errs)
        errs = self.v.validate({'case': 'X', 'features': [], 'steps': []})
        self.assertIn("missing required top-level key 'manifests'", errs)

    def test_unquoted_condition_status_is_a_type_error(self):
        errs = self.v.validate(doc([{'condition': {'ref': 'Gateway/ns/gw',
                                                   'condition': {'type': 'Accepted', 'status': True}}}]))
        self.assertEqual(len(errs), 1)
        self.assertIn('steps[0].condition.condition.status', errs[0])

    def test_ref_kind_and_shape(self):
        errs = self.v.validate(doc([{'condition': {'ref': 'HTTPRoute/ns/r', 'condition': {'type': 'A'}}}]))
        self.assertEqual(errs, ['steps[0].condition.ref: kind HTTPRoute not allowed here (allowed: Gateway, '
                                'GatewayClass)'])
        errs = self.v.validate(doc([{'condition': {'ref': 'GatewayClass/gc', 'condition': {'type': 'Accepted',
                                                                                            'reason': 'x'}}}]))
        self.assertEqual(len(errs), 1)
        self.assertIn('GatewayClass allows only type Accepted without reason', errs[0])

    def test_one_action_per_step(self):
        errs = self.v.validate(doc([{'sleep': '1s', 'tcp': {'target': 'x', 'mode': 'connect'}}, {}]))
        self.assertTrue(any('exactly one action' in e and 'steps[0]' in e for e in errs), errs)
        self.assertTrue(any('exactly one action' in e and 'steps[1]' in e for e in errs), errs)
        errs = self.v.validate(doc([{'sleep': '1s', 'within': '1s'}]))
        self.assertEqual(errs, ["steps[0]: step sleep has extra keys ['within']"])

    def test_durations(self):
        self.assertEqual(self.v.validate(doc([{'sleep': 2}])), [])
        errs = self.v.validate(doc([{'sleep': '1h'}]))
        self.assertEqual(len(errs), 1)

    def test_variable_binding(self):
        errs = self.v.validate(doc([{'tcp': {'target': '${gw}', 'mode': 'connect'}}]))
        self.assertEqual(errs, ['steps[0]: variable ${gw} is not bound by an earlier step'])
        errs = self.v.validate(doc([{'gatewayAddress': {'gateway': 'ns/gw', 'bind': 'gw'}},
                                    {'tcp': {'target': '${gw}:80', 'mode': 'connect'}}]))
        self.assertEqual(errs, ['steps[1].tcp.target: ${gw} already carries a port'])
        errs = self.v.validate(doc([{'gatewayAddress': {'gateway': 'ns/gw', 'bind': 'gw', 'usePort': False}},
                                    {'tcp': {'target': '${gw}', 'mode': 'connect'}}]))
        self.assertEqual(errs, ['steps[1].tcp.target: no port'])
        errs = self.v.validate(doc([{'gatewayAddress': {'gateway': 'ns/gw', 'bind': 'gw'}},
                                    {'tcp': {'target': 'x${gw}', 'mode': 'connect'}}]))
        self.assertEqual(len(errs), 1)
        self.assertIn('expected "${var}" or "${var}:<port>"', errs[0])

    def test_top_level_order(self):
        d = {'steps': [], 'case': 'X', 'features': [], 'manifests': []}
        self.assertTrue(any('canonical order' in e for e in self.v.validate(d)))


class SelectionTest(unittest.TestCase):
    def case(self, features, run_if=None):
        d = {'case': 'T', 'features': features, 'profiles': {}, 'provisional': False, 'manifests': [], 'steps': []}
        if run_if:
            d['runIf'] = run_if
        return Case('t.case.yaml', d)

    def test_features(self):
        sup = {'Gateway', 'HTTPRoute'}
        self.assertIsNone(selection(self.case(['Gateway', 'HTTPRoute']), sup))
        self.assertEqual(selection(self.case(['Gateway', 'TLSRoute']), sup), 'unsupported features: TLSRoute')
        self.assertIsNone(selection(self.case(['Gateway', 'TLSRoute']), sup, explicit=True))

    def test_run_if(self):
        sup = {'Gateway', 'TLSRoute'}
        self.assertIsNone(selection(self.case(['Gateway'], {'unsupported': ['TLSRouteModeTerminate']}), sup))
        self.assertIn('runIf.unsupported', selection(self.case(['Gateway'], {'unsupported': ['TLSRoute']}), sup))
        self.assertIn('runIf.supported', selection(self.case(['Gateway'], {'supported': ['UDPRoute']}), sup))
        # runIf is checked even for an explicitly requested case
        self.assertIsNotNone(selection(self.case(['Gateway'], {'supported': ['UDPRoute']}), sup, explicit=True))


@unittest.skipUnless(HAVE_SHARED, 'shared conformance corpus not available')
class CorpusTest(unittest.TestCase):
    def test_all_case_files_valid(self):
        shapes = schema.load_key_index(SHARED_FORMAT)
        cases = load_cases(SHARED_CASES, shapes, SHARED_UPSTREAM)
        self.assertEqual(len(cases), 131)
        errors = {c.name: c.errors for c in cases if c.errors}
        self.assertEqual(errors, {})
        self.assertEqual(len({c.name for c in cases}), 131)

    def test_validator_rejects_mutated_case(self):
        shapes = schema.load_key_index(SHARED_FORMAT)
        v = schema.Validator(shapes, SHARED_UPSTREAM)
        with open(os.path.join(SHARED_CASES, 'httproute-matching.case.yaml')) as f:
            d = yaml.safe_load(f)
        self.assertEqual(v.validate(d), [])
        d['steps'][0]['accepted']['routez'] = []
        d['manifests'] = ['tests/does-not-exist.yaml']
        errs = v.validate(d)
        self.assertTrue(any("unknown key 'routez'" in e for e in errs), errs)
        self.assertTrue(any('does-not-exist.yaml not found' in e for e in errs), errs)

    @unittest.skipUnless(os.path.isfile(SHARED_CHECKER), 'check_corpus.py not available')
    def test_cross_check_with_check_corpus(self):
        r = subprocess.run(['/usr/bin/python3', SHARED_CHECKER, '-q'], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout[-2000:])
        self.assertIn('131 passed, 0 failed; 0 errors', r.stdout)


if __name__ == '__main__':
    unittest.main()
