import time
import unittest
from unittest import mock

from conformance.runner import engine
from conformance.runner.cases import Case
from conformance.runner.manifests import ApplySettings, StoreError
from conformance.runner.timeouts import Timeouts
from conformance.runner.util import CaseError, StepFailed


class FakeStore:
    def __init__(self):
        self.objects = {}

    def exists(self, key):
        return key in self.objects


class FakeEnv:
    def __init__(self):
        self.timeouts = Timeouts()
        self.controller_name = 'ctrl'
        self.store = FakeStore()
        self.protected = {('Namespace', '', 'base')}
        self.deleted = []
        self.logged = []

    def delete_object(self, key):
        self.deleted.append(key)

    def log_failure_diagnostics(self, keys):
        self.logged.append(f'diagnostics for {len(keys)} objects')

    def log(self, msg):
        self.logged.append(msg)


def make_case(steps):
    return Case('x.case.yaml', {'case': 'X', 'features': [], 'profiles': {}, 'provisional': False,
                                'manifests': [], 'steps': steps})


class EngineTest(unittest.TestCase):
    def setUp(self):
        self.calls = []

        def record(run, v):
            self.calls.append(v)

        def fail(run, v):
            self.calls.append(v)
            raise StepFailed(f'boom {v}')

        def bind(run, v):
            run.vars[v['as']] = v['value']

        self.handlers = {'ok': record, 'bad': fail, 'bind': bind,
                         'sleep': __import__('conformance.runner.steps.mutation', fromlist=['sleep']).sleep}

    def run_case(self, steps, env=None):
        env = env or FakeEnv()
        with mock.patch.dict('conformance.runner.steps.HANDLERS', self.handlers, clear=True):
            return engine.CaseRun(env, make_case(steps)).run(), env

    def test_pass(self):
        res, _ = self.run_case([{'ok': 1}, {'group': 'g', 'steps': [{'ok': 2}]}])
        self.assertEqual((res.outcome, res.line()), ('pass', 'PASS X'))
        self.assertEqual(self.calls, [1, 2])

    def test_failure_in_group_continues_after_group(self):
        res, _ = self.run_case([{'group': 'g1', 'steps': [{'ok': 1}, {'bad': 2}, {'ok': 3}]},
                                {'ok': 4},
                                {'group': 'g2', 'steps': [{'bad': 5}]}])
        self.assertEqual(self.calls, [1, 2, 4, 5])
        self.assertEqual(res.outcome, 'fail')
        self.assertEqual(res.line(), 'FAIL X: step 1 (group "g1") > step 2 (bad): boom 2')

    def test_failure_outside_group_ends_case(self):
        res, _ = self.run_case([{'ok': 1}, {'bad': 2}, {'ok': 3}])
        self.assertEqual(self.calls, [1, 2])
        self.assertEqual(res.message, 'step 2 (bad): boom 2')

    def test_variables(self):
        res, _ = self.run_case([{'bind': {'as': 'gw', 'value': '1.2.3.4:80'}}, {'ok': {'t': '${gw}', 'c': '${controllerName}'}}])
        self.assertEqual(res.outcome, 'pass')
        self.assertEqual(self.calls, [{'t': '1.2.3.4:80', 'c': 'ctrl'}])
        with self.assertRaises(CaseError):
            self.run_case([{'ok': '${unbound}'}])

    def test_within_budget_cuts_the_group(self):
        t0 = time.monotonic()
        res, _ = self.run_case([{'group': 'g', 'within': '200ms', 'steps': [{'sleep': '5s'}, {'ok': 1}]}, {'ok': 2}])
        self.assertLess(time.monotonic() - t0, 2.0)
        self.assertEqual(self.calls, [2])
        self.assertIn('time budget of group "g" (within 200ms) expired', res.message)

    def test_cleanup_newest_first_skipping_deleted_and_base(self):
        env = FakeEnv()
        run = engine.CaseRun(env, make_case([]))
        run.written = [('A', 'n', '1'), ('Namespace', '', 'base'), ('B', 'n', '2'), ('C', 'n', '3')]
        run.deleted = {('B', 'n', '2')}
        run.cleanup()
        self.assertEqual(env.deleted, [('C', 'n', '3'), ('A', 'n', '1')])

    def test_failed_write_fails_the_step_and_the_batch_is_cleaned_up(self):
        env = FakeEnv()
        env.apply_settings = ApplySettings('gc', 'ctrl', None, None)

        def write_objects(objs):
            raise StoreError('POST ConfigMap/default/b: HTTP 500: injected')
        env.write_objects = write_objects
        self.handlers['apply'] = __import__('conformance.runner.steps.mutation', fromlist=['apply']).apply
        res, _ = self.run_case([{'apply': {'objects': [
            {'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': 'a'}},
            {'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': 'b'}}]}}], env)
        self.assertEqual(res.message, 'step 1 (apply): write: POST ConfigMap/default/b: HTTP 500: injected')
        self.assertEqual(env.deleted, [('ConfigMap', 'default', 'b'), ('ConfigMap', 'default', 'a')])

    def test_runner_exception_is_a_failure(self):
        def broken(run, v):
            raise ZeroDivisionError('x')
        self.handlers['broken'] = broken
        res, env = self.run_case([{'broken': 1}])
        self.assertEqual(res.message, 'step 1 (broken): runner exception: ZeroDivisionError: x')


class PollTest(unittest.TestCase):
    def run_(self):
        return engine.CaseRun(FakeEnv(), make_case([]))

    def test_passes_on_a_later_poll(self):
        seq = iter(['not yet', engine.Retry('still not'), True])
        n = []

        def fn():
            n.append(1)
            v = next(seq)
            if isinstance(v, Exception):
                raise v
            return v
        self.run_().poll(5, 0.01, fn, 'thing')
        self.assertEqual(len(n), 3)

    def test_times_out_with_last_reason(self):
        with self.assertRaises(StepFailed) as cm:
            self.run_().poll(0.05, 0.01, lambda: 'nope', 'thing')
        self.assertEqual(str(cm.exception), 'thing: not met within 0.05s; last: nope')

    def test_abort(self):
        def fn():
            raise StepFailed('abort now')
        t0 = time.monotonic()
        with self.assertRaises(StepFailed):
            self.run_().poll(10, 0.01, fn, 'thing')
        self.assertLess(time.monotonic() - t0, 1)


if __name__ == '__main__':
    unittest.main()
