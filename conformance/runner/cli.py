"""Command line of the local conformance runner (entry point: conformance/run.py)."""
import argparse
import ipaddress
import os
import shutil
import signal
import sys
import threading
import time

from .cases import PROFILE_CORE, load_cases, selection
from .schema import load_key_index
from .timeouts import Timeouts

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NETNS_MARK = 'GATEHOUSE_CONFORMANCE_NETNS'


def find_shared(*rel):
    """<repo>/../shared/<rel>; from a git worktree (<main>/../wt/<name>) also <repo>/../../shared/<rel>."""
    cands = [os.path.join(REPO, '..', 'shared', *rel), os.path.join(REPO, '..', '..', 'shared', *rel)]
    for c in cands:
        if os.path.exists(c):
            return os.path.normpath(c)
    return os.path.normpath(cands[0])


def csv(s):
    return [x.strip() for x in (s or '').split(',') if x.strip()]


def build_parser():
    p = argparse.ArgumentParser(prog='conformance/run.py',
                                description='Run the Gateway API v1.6.1 conformance case files against gatehouse '
                                            'locally, from a manifest directory or through a fake API server.')
    p.add_argument('--cases', default=find_shared('conformance', 'cases'), help='case file directory')
    p.add_argument('--upstream', default=find_shared('gateway-api', 'v1.6.1', 'conformance'),
                   help='upstream conformance/ directory (manifests)')
    p.add_argument('--format', default=None, help='FORMAT.md holding the key index (default: <cases>/../FORMAT.md)')
    p.add_argument('--gatehouse', default=os.path.join(REPO, 'build', 'gatehouse'), help='gateway binary')
    p.add_argument('--gatehouse-arg', action='append', default=[], help='extra argument for gatehouse serve')
    p.add_argument('--workers', type=int, default=None, help='gatehouse --workers N')
    p.add_argument('--run-test', default='', help='run only these tests (comma-separated); skips the feature check')
    p.add_argument('--profiles', default='', help='conformance profiles, e.g. GATEWAY-HTTP,GATEWAY-GRPC')
    p.add_argument('--supported-features', default='', help='comma-separated supported features')
    p.add_argument('--exempt-features', default='', help='features to treat as unsupported')
    p.add_argument('--all-features', action='store_true', help='treat every feature of the corpus as supported')
    p.add_argument('--skip-tests', default='', help='tests to skip (comma-separated)')
    p.add_argument('--skip-provisional', action='store_true', help='skip provisional tests')
    p.add_argument('--timeout-overrides', default='', help='Name:seconds;Name:seconds (FORMAT §10)')
    p.add_argument('--report', default=os.path.join(REPO, 'out', 'conformance-report.yaml'))
    p.add_argument('--expected-pass', default=None,
                   help='file of test names; exit non-zero iff one of them did not pass')
    p.add_argument('--work-dir', default=os.path.join(REPO, 'out', 'conformance-work'))
    p.add_argument('--gateway-class', default='gatehouse')
    p.add_argument('--controller-name', default='gatehouse.dev/gateway-controller')
    p.add_argument('--admin-address', default='127.0.0.1:15000')
    p.add_argument('--address-pool', default='127.0.1.0/24')
    p.add_argument('--echo-pool', default='127.10.0.0/16')
    p.add_argument('--usable-address', default=None, help='default: the last host address of --address-pool')
    p.add_argument('--unusable-address', default='192.0.2.1')
    p.add_argument('--echo-server', default=os.path.join(REPO, 'conformance', 'echo', 'echo_server.py'))
    p.add_argument('--dns-server', default=os.path.join(REPO, 'conformance', 'echo', 'dns_server.py'))
    p.add_argument('--startup-timeout', type=float, default=60.0, help='seconds to wait for the admin endpoint')
    p.add_argument('--implementation-version', default='dev')
    p.add_argument('--kubernetes', action='store_true',
                   help='Kubernetes mode: objects go to a fake API server (tests/fakekube), status is read from it, '
                        'gatehouse runs with serve --kubernetes')
    p.add_argument('--crds', default=find_shared('gateway-api', 'v1.6.1', 'crd', 'experimental'),
                   help='CRD directory the fake API server installs (Kubernetes mode)')
    p.add_argument('--no-netns', action='store_true', help='do not enter a private network namespace')
    p.add_argument('--validate-only', action='store_true', help='only load and validate the case files')
    p.add_argument('-v', '--verbose', action='store_true')
    return p


def ensure_netns(argv):
    """Re-execute under `unshare -n` (root) / `unshare -rn` unless already inside; then bring lo up."""
    if os.environ.get(NETNS_MARK) != '1':
        env = dict(os.environ)
        env[NETNS_MARK] = '1'
        cmd = ['unshare', '-n'] if os.geteuid() == 0 else ['unshare', '-rn']
        script = os.path.join(REPO, 'conformance', 'run.py')
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            os.execvpe('unshare', cmd + ['/usr/bin/python3', script] + argv, env)
        except OSError as e:
            sys.exit(f'cannot enter a network namespace with {" ".join(cmd)}: {e}')
    from .environment import ip_link_up
    ip_link_up()


class Config:
    pass


def make_config(a, all_feature_names):
    c = Config()
    c.cases, c.upstream, c.gatehouse = a.cases, a.upstream, os.path.abspath(a.gatehouse)
    c.gatehouse_args = a.gatehouse_arg
    c.workers = a.workers
    c.work_dir = os.path.abspath(a.work_dir)
    c.gateway_class, c.controller_name = a.gateway_class, a.controller_name
    c.admin_address, c.address_pool, c.echo_pool = a.admin_address, a.address_pool, a.echo_pool
    hosts = list(ipaddress.ip_network(a.address_pool).hosts())
    c.usable_address = a.usable_address or str(hosts[-1])
    c.unusable_address = a.unusable_address
    c.echo_server, c.dns_server = os.path.abspath(a.echo_server), os.path.abspath(a.dns_server)
    c.startup_timeout = a.startup_timeout
    c.kubernetes, c.crds = a.kubernetes, os.path.abspath(a.crds)
    c.profiles = csv(a.profiles)
    c.supported_features = csv(a.supported_features)
    c.exempt_features = csv(a.exempt_features)
    c.all_features = a.all_features
    c.all_feature_names = all_feature_names
    return c


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    a = build_parser().parse_args(argv)
    for prof in csv(a.profiles):
        if prof not in PROFILE_CORE:
            sys.exit(f'unknown profile {prof!r} (known: {", ".join(PROFILE_CORE)})')
    try:
        timeouts = Timeouts(a.timeout_overrides)
    except ValueError as e:
        sys.exit(f'--timeout-overrides: {e}')
    fmt = a.format or os.path.join(os.path.dirname(os.path.abspath(a.cases)), 'FORMAT.md')
    try:
        shapes = load_key_index(fmt)
    except (OSError, ValueError) as e:
        sys.exit(f'cannot read the key index from {fmt}: {e}')
    cases = load_cases(a.cases, shapes, a.upstream)
    if not cases:
        sys.exit(f'no case files in {a.cases}')
    invalid = [c for c in cases if c.errors]
    if a.validate_only:
        for c in invalid:
            for e in c.errors:
                print(f'{os.path.basename(c.path)}: {e}')
        print(f'{len(cases)} case files loaded, {len(cases) - len(invalid)} valid, {len(invalid)} invalid')
        return 1 if invalid else 0

    names = csv(a.run_test)
    by_name = {c.name: c for c in cases}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        sys.exit(f'--run-test: unknown test(s) {", ".join(unknown)}')
    expected = None
    if a.expected_pass:
        try:
            with open(a.expected_pass) as f:
                expected = [ln.split('#', 1)[0].strip() for ln in f if ln.split('#', 1)[0].strip()]
        except OSError as e:
            sys.exit(f'--expected-pass: {e}')

    if not a.no_netns:
        ensure_netns(argv)

    all_features = sorted({f for c in cases for f in c.features})
    cfg = make_config(a, all_features)
    if os.path.exists(cfg.work_dir):
        shutil.rmtree(cfg.work_dir)
    os.makedirs(cfg.work_dir)
    return run(a, cfg, timeouts, cases, names, expected)


def run(a, cfg, timeouts, cases, names, expected):
    from .engine import CaseRun, Result
    from .environment import Environment, SetupError
    from .report import build_report, dump
    from .util import CaseError

    log_lock = threading.Lock()
    log_file = open(os.path.join(cfg.work_dir, 'runner.log'), 'a')

    def log(msg):
        with log_lock:
            now = time.time()
            stamp = time.strftime('%H:%M:%S', time.localtime(now)) + f'.{int(now % 1 * 1000):03d}'
            if log_file:
                log_file.write(f'{stamp} {msg}\n')
                log_file.flush()
            if a.verbose:
                print(f'  [{stamp}] {msg}', file=sys.stderr, flush=True)

    env = Environment(cfg, timeouts, log)

    def on_signal(signum, _frame):
        raise KeyboardInterrupt()
    signal.signal(signal.SIGTERM, on_signal)

    results = []
    try:
        try:
            env.setup(lambda s: log(f'setup: {s}'))
        except SetupError as e:
            print(f'SETUP FAILED: {e}', flush=True)
            glog = os.path.join(cfg.work_dir, 'gatehouse.log')
            if os.path.isfile(glog) and os.path.getsize(glog):
                with open(glog, errors='replace') as f:
                    tail = f.read().splitlines()[-15:]
                print('gatehouse.log (last lines):\n  ' + '\n  '.join(tail), file=sys.stderr, flush=True)
            print('0 passed, 0 failed, 0 skipped', flush=True)
            return 2
        skip = set(csv(a.skip_tests))
        selected = [c for c in cases if not names or c.name in names]
        for case in selected:
            if case.errors:
                res = Result(case.name, 'error', f'invalid case file: {case.errors[0]}'
                             + (f' (+{len(case.errors) - 1} more)' if len(case.errors) > 1 else ''))
            elif case.name in skip:
                res = Result(case.name, 'skip', 'listed in --skip-tests')
                res.skip_kind = 'explicit'
            elif a.skip_provisional and case.provisional:
                res = Result(case.name, 'skip', 'provisional test (--skip-provisional)')
                res.skip_kind = 'explicit'
            else:
                reason = selection(case, env.supported, explicit=bool(names))
                if reason:
                    res = Result(case.name, 'skip', reason)
                    res.skip_kind = 'unsupported'
                elif not env.gateway.alive():
                    res = Result(case.name, 'error', f'gateway process exited ({env.gateway.proc.returncode})')
                else:
                    log(f'=== {case.name}')
                    started = time.monotonic()
                    try:
                        res = CaseRun(env, case).run()
                    except CaseError as e:
                        res = Result(case.name, 'error', str(e))
                    log(f'=== {case.name}: {res.outcome} in {time.monotonic() - started:.1f}s')
                    if timeouts['TestIsolation']:
                        time.sleep(timeouts['TestIsolation'])
            results.append(res)
            print(res.line(), flush=True)
    except KeyboardInterrupt:
        print('interrupted', flush=True)
    finally:
        env.teardown()
        log_file.close()

    passed = sum(1 for r in results if r.outcome == 'pass')
    failed = sum(1 for r in results if r.outcome in ('fail', 'error'))
    skipped = sum(1 for r in results if r.outcome == 'skip')
    profiles = cfg.profiles or sorted({p for c in cases for p in c.profiles})
    report = build_report(results, {c.name: c for c in cases}, profiles, env.supported,
                          {'organization': 'gatehouse', 'project': 'gatehouse',
                           'url': 'https://github.com/gatehouse-dev/gatehouse',
                           'version': a.implementation_version, 'contact': []})
    os.makedirs(os.path.dirname(os.path.abspath(a.report)) or '.', exist_ok=True)
    with open(a.report, 'w') as f:
        f.write(dump(report))
    print(f'{passed} passed, {failed} failed, {skipped} skipped', flush=True)
    if expected is not None:
        outcome = {r.name: r.outcome for r in results}
        missing = [n for n in expected if outcome.get(n) != 'pass']
        newly = sorted(n for n, o in outcome.items() if o == 'pass' and n not in expected)
        if newly:
            print(f'passing but not in {a.expected_pass} (add them): {", ".join(newly)}', file=sys.stderr, flush=True)
        if missing:
            print(f'expected to pass but did not: {", ".join(missing)}', file=sys.stderr, flush=True)
            return 1
        return 0
    return 1 if failed else 0
