import unittest

from conformance.runner import conditions as C

G = 'gateway.networking.k8s.io'


def cond(t, s='True', r=None, g=1):
    return {'type': t, 'status': s, 'reason': r or t, 'observedGeneration': g}


class MatchTest(unittest.TestCase):
    def test_single(self):
        actual = [cond('Accepted'), cond('ResolvedRefs', 'False', 'RefNotPermitted')]
        self.assertTrue(C.condition_matches({'type': 'Accepted'}, actual))
        self.assertTrue(C.condition_matches({'type': 'Accepted', 'status': 'True', 'reason': 'Accepted'}, actual))
        self.assertFalse(C.condition_matches({'type': 'Accepted', 'status': 'False'}, actual))
        self.assertTrue(C.condition_matches({'type': 'ResolvedRefs', 'status': 'False'}, actual))
        self.assertFalse(C.condition_matches({'type': 'ResolvedRefs', 'reason': 'ResolvedRefs'}, actual))
        self.assertFalse(C.condition_matches({'type': 'Programmed'}, actual))
        self.assertFalse(C.condition_matches({'type': 'Accepted'}, None))

    def test_list_needs_enough_actual_entries(self):
        exp = [{'type': 'Accepted'}, {'type': 'Accepted', 'status': 'True'}]
        self.assertFalse(C.conditions_match(exp, [cond('Accepted')]))
        self.assertTrue(C.conditions_match(exp, [cond('Accepted'), cond('Programmed')]))
        self.assertTrue(C.conditions_match([], []))

    def test_freshness(self):
        self.assertTrue(C.all_fresh([], 3))
        self.assertTrue(C.all_fresh([cond('A', g=3), cond('B', g=3)], 3))
        self.assertFalse(C.all_fresh([cond('A', g=3), cond('B', g=2)], 3))
        self.assertEqual(C.stale_conditions([cond('A', g=3), cond('B', g=2)], 3), ['B'])
        self.assertFalse(C.all_fresh([{'type': 'A', 'status': 'True'}], 1))    # missing observedGeneration

    def test_parents_fresh(self):
        route = {'metadata': {'generation': 2}, 'status': {'parents': [{'conditions': [cond('Accepted', g=2)]},
                                                                      {'conditions': [cond('Accepted', g=1)]}]}}
        self.assertFalse(C.parents_fresh(route))
        route['status']['parents'][1]['conditions'][0]['observedGeneration'] = 2
        self.assertTrue(C.parents_fresh(route))


class ListenerTest(unittest.TestCase):
    def listener(self, name, kinds, attached, conds):
        return {'name': name, 'supportedKinds': kinds, 'attachedRoutes': attached, 'conditions': conds}

    def test_supported_kinds(self):
        self.assertTrue(C.supported_kinds_match(['HTTPRoute'], [{'group': G, 'kind': 'HTTPRoute'},
                                                                {'kind': 'GRPCRoute'}]))
        self.assertTrue(C.supported_kinds_match(['GRPCRoute'], [{'kind': 'GRPCRoute'}]))
        self.assertFalse(C.supported_kinds_match(['HTTPRoute'], [{'group': 'other', 'kind': 'HTTPRoute'}]))
        self.assertTrue(C.supported_kinds_match([], []))
        self.assertFalse(C.supported_kinds_match([], [{'kind': 'HTTPRoute'}]))

    def test_listeners_match(self):
        ok = [{'type': 'Accepted', 'status': 'True'}, {'type': 'ResolvedRefs', 'status': 'True'}]
        exp = [{'name': 'http', 'supportedKinds': ['HTTPRoute'], 'attachedRoutes': 1, 'conditions': ok}]
        actual = [self.listener('http', [{'group': G, 'kind': 'HTTPRoute'}], 1,
                                [cond('Accepted'), cond('ResolvedRefs'), cond('Programmed')])]
        self.assertEqual(C.listeners_match(exp, actual), (True, ''))
        actual[0]['attachedRoutes'] = 2
        self.assertEqual(C.listeners_match(exp, actual), (False, "listener 'http': attachedRoutes 2 != 1"))
        self.assertEqual(C.listeners_match(exp, actual + actual)[0], False)
        self.assertEqual(C.listeners_match(exp, [])[1], '0 listeners in status, expected 1')


class RouteTest(unittest.TestCase):
    def route(self, parents, ns='infra', gen=1):
        return {'metadata': {'namespace': ns, 'generation': gen}, 'status': {'parents': parents}}

    def parent(self, name, ns=None, kind='Gateway', group=G, ctrl='c', conds=None):
        ref = {'name': name, 'kind': kind, 'group': group}
        if ns is not None:
            ref['namespace'] = ns
        return {'parentRef': ref, 'controllerName': ctrl, 'conditions': conds or [cond('Accepted')]}

    def test_accepted_by(self):
        r = self.route([self.parent('gw', 'infra')])
        self.assertTrue(C.route_accepted_by(r, 'c', 'Gateway', 'gw', 'infra'))
        self.assertFalse(C.route_accepted_by(r, 'other', 'Gateway', 'gw', 'infra'))
        self.assertFalse(C.route_accepted_by(r, 'c', 'ListenerSet', 'gw', 'infra'))
        # namespace absent: only when the route lives in the Gateway's namespace
        self.assertTrue(C.route_accepted_by(self.route([self.parent('gw')]), 'c', 'Gateway', 'gw', 'infra'))
        self.assertFalse(C.route_accepted_by(self.route([self.parent('gw')], ns='app'), 'c', 'Gateway', 'gw',
                                             'infra'))
        # group/kind must be present
        self.assertFalse(C.route_accepted_by(self.route([self.parent('gw', 'infra', group=None)]), 'c', 'Gateway',
                                             'gw', 'infra'))
        not_acc = self.route([self.parent('gw', 'infra', conds=[cond('Accepted', 'False', 'NotAllowedByListeners')])])
        self.assertFalse(C.route_accepted_by(not_acc, 'c', 'Gateway', 'gw', 'infra'))

    def test_parents_expectation(self):
        exp = [{'parentRef': {'group': G, 'kind': 'Gateway', 'name': 'gw', 'namespace': 'infra'},
                'controllerName': 'c', 'conditions': [{'type': 'Accepted', 'status': 'True'}]}]
        self.assertTrue(C.parents_expectation_met(self.route([self.parent('gw', 'infra')]), exp, False)[0])
        self.assertTrue(C.parents_expectation_met(self.route([self.parent('gw')]), exp, False)[0])
        self.assertFalse(C.parents_expectation_met(self.route([self.parent('gw')]), exp, True)[0])
        self.assertFalse(C.parents_expectation_met(self.route([self.parent('gw', 'other')]), exp, False)[0])
        self.assertFalse(C.parents_expectation_met(self.route([]), exp, False)[0])


if __name__ == '__main__':
    unittest.main()
