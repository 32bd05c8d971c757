"""Case lifecycle (FORMAT §3), step execution, groups (§5.2), outcomes (§5.3) and polling (§5.4)."""
import math
import os
import time
import traceback

from .admin import ReadError
from .manifests import load_manifest, normalize, rewrite
from .util import CaseError, StepFailed, key_str, obj_key, parse_duration, parse_ref, substitute


class Retry(Exception):
    """This poll does not pass; keep polling."""


def describe_step(step):
    if not isinstance(step, dict):
        return 'step'
    for k in step:
        if k not in ('parallel', 'within', 'steps'):
            return k if k != 'group' else f'group "{step["group"]}"'
    return 'step'


class Result:
    def __init__(self, name, outcome, message=''):
        self.name, self.outcome, self.message = name, outcome, message   # pass | fail | skip | error

    def line(self):
        if self.outcome == 'pass':
            return f'PASS {self.name}'
        if self.outcome == 'skip':
            return f'SKIP {self.name}: {self.message}'
        if self.outcome == 'error':
            return f'ERROR {self.name}: {self.message}'
        return f'FAIL {self.name}: {self.message}'


class CaseRun:
    """State of one case: variables, objects to clean up, the group deadline stack."""

    def __init__(self, env, case):
        self.env = env
        self.case = case
        self.t = env.timeouts
        self.vars = {'controllerName': env.controller_name}
        self.written = []              # keys written by manifests/apply, in order
        self.deleted = set()
        self.deadlines = []            # (absolute monotonic deadline, label)
        self.failures = []             # (where, message)
        self.step_path = []

    # -------------------------------------------------------------------- lifecycle

    def run(self):
        from . import steps  # noqa: F401  (registers the step handlers)
        self._fail_where = None
        try:
            for rel in self.case.manifests:
                self.apply_file(rel, replace=True)
            self.run_steps(self.case.steps, top=True)
        except StepFailed as e:
            self.failures.append((self._fail_where or self.where(), str(e)))
        finally:
            if self.failures:
                self.env.log_failure_diagnostics(self.written)
            self.cleanup()
        if self.failures:
            where, msg = self.failures[0]
            return Result(self.case.name, 'fail', f'{where}: {msg}')
        return Result(self.case.name, 'pass')

    def cleanup(self):
        for key in reversed(self.written):
            if key in self.deleted or key in self.env.protected:
                continue
            self.deleted.add(key)
            try:
                self.env.delete_object(key)
            except Exception as e:     # cleanup never stops the run
                self.env.log(f'cleanup of {key_str(key)} failed: {e}')

    # -------------------------------------------------------------------- writing

    def apply_file(self, rel, replace):
        path = os.path.join(self.env.upstream, rel)
        try:
            docs = load_manifest(path)
        except (OSError, ValueError) as e:
            raise CaseError(f'cannot read manifest {rel}: {e}') from None
        self.apply_objects(docs, replace)

    def apply_objects(self, objs, replace):
        """§2.3 for a batch of documents; replace=False leaves existing objects unchanged (apply step)."""
        batch = []
        for o in objs:
            o = normalize(rewrite(o, self.env.apply_settings))
            key = obj_key(o)
            if not replace and self.env.store.exists(key):
                continue
            batch.append(o)
            if key not in self.written:     # before writing: a batch that fails halfway is cleaned up too
                self.written.append(key)
            self.deleted.discard(key)
        try:
            self.env.write_objects(batch)
        except OSError as e:
            raise StepFailed(f'write: {e}') from None

    # -------------------------------------------------------------------- steps

    def where(self):
        return ' > '.join(self.step_path) if self.step_path else 'manifests'

    def deadline(self):
        return min((d for d, _ in self.deadlines), default=math.inf)

    def deadline_label(self):
        if not self.deadlines:
            return None
        return min(self.deadlines)[1]

    def check_budget(self):
        if time.monotonic() >= self.deadline():
            raise StepFailed(f'time budget of {self.deadline_label()} expired')

    def run_steps(self, steps, top=False):
        for i, st in enumerate(steps):
            self.step_path.append(f'step {i + 1} ({describe_step(st)})')
            try:
                if isinstance(st, dict) and 'group' in st:
                    self.run_group(st)
                else:
                    self.run_step(st)
            finally:
                self.step_path.pop()

    def run_group(self, g):
        within = g.get('within')
        if within is not None:
            self.deadlines.append((time.monotonic() + parse_duration(within),
                                   f'group "{g["group"]}" (within {within})'))
        try:
            self.run_steps(g['steps'])
        except StepFailed as e:
            # the rest of this group is skipped; execution continues after it (§5.3)
            self.failures.append((self.where_inner(), str(e)))
        finally:
            if within is not None:
                self.deadlines.pop()

    def where_inner(self):
        return getattr(self, '_fail_where', None) or self.where()

    def run_step(self, st):
        from .steps import HANDLERS
        action = describe_step(st)
        value = substitute(st[action], self.vars)
        self.current_action = action
        handler = HANDLERS.get(action)
        if handler is None:
            raise CaseError(f'no handler for step {action}')
        try:
            self.check_budget()
            handler(self, value)
        except StepFailed:
            self._fail_where = self.where()
            raise
        except (CaseError, KeyboardInterrupt):
            raise
        except Exception as e:   # a runner bug must not hide as a pass
            self._fail_where = self.where()
            self.env.log(traceback.format_exc())
            raise StepFailed(f'runner exception: {type(e).__name__}: {e}') from None

    # -------------------------------------------------------------------- polling

    def poll(self, limit, interval, fn, what):
        """Evaluate fn() at t=0 and then every interval (start to start) until it returns True.

        fn returns True, or a string saying why not yet; it raises Retry (not yet) or StepFailed (abort).
        """
        start = time.monotonic()
        step_deadline = start + limit
        deadline = min(step_deadline, self.deadline())
        last = 'no poll completed'
        while True:
            t0 = time.monotonic()
            try:
                res = fn()
            except Retry as e:
                res = str(e)
            if res is True:
                return
            last = res
            nxt = t0 + interval
            if nxt >= deadline:
                if deadline < step_deadline:
                    raise StepFailed(f'{what}: time budget of {self.deadline_label()} expired; last: {last}')
                raise StepFailed(f'{what}: not met within {limit:g}s; last: {last}')
            time.sleep(max(0.0, nxt - time.monotonic()))

    def limit(self, seconds):
        """Seconds left for something with its own limit, cut by the group budget."""
        return max(0.0, min(seconds, self.deadline() - time.monotonic()))

    # -------------------------------------------------------------------- reading

    def read(self, kind, ns, name, on_error='abort'):
        ref = key_str((kind, ns, name))
        try:
            obj = self.env.reader.get(kind, ns, name)
        except ReadError as e:
            if on_error == 'retry':
                raise Retry(f'read {ref}: {e}') from None
            raise StepFailed(f'read {ref}: {e}') from None
        if obj is None:
            if self.env.store.exists((kind, ns, name)):
                raise Retry(f'{ref} not found (yet)')
            if on_error == 'retry':
                raise Retry(f'{ref} not found')
            raise StepFailed(f'{ref} not found')
        return obj

    def read_ref(self, ref, on_error='abort'):
        return self.read(*parse_ref(ref), on_error=on_error)

    def read_any(self, ref):
        """capture/compare read: admin kinds from the gateway, other kinds from the runner's copy (§6.12)."""
        from .util import ADMIN_KINDS
        kind, ns, name = parse_ref(ref)
        if kind in ADMIN_KINDS:
            return self.read(kind, ns, name, on_error='abort')
        obj = self.env.store.get((kind, ns, name))
        if obj is None:
            raise StepFailed(f'{ref}: the runner holds no such object')
        return obj
