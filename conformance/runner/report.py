"""ConformanceReport output in the upstream format (conformance/apis/v1, gateway.networking.k8s.io/v1)."""
import datetime

import yaml

from .cases import PROFILE_CORE, PROFILE_EXTENDED

GATEWAY_API_VERSION = 'v1.6.1'


def _status():
    return {'result': 'success', 'statistics': {'Failed': 0, 'Passed': 0, 'Skipped': 0}}


def _finish(st):
    s = st['statistics']
    st['result'] = 'failure' if s['Failed'] else 'partial' if s['Skipped'] else 'success'


def _summary_part(st):
    if st['result'] == 'success':
        return 'succeeded'
    if st['result'] == 'partial':
        return f'partially succeeded with {st["statistics"]["Skipped"]} test skips'
    return f'failed with {st["statistics"]["Failed"]} test failures'


def build_report(results, cases, profiles, supported, implementation, mode='default', channel='experimental',
                 date=None):
    """results: list of engine.Result (with .skip_kind 'explicit'|'unsupported' on skips); cases: name -> Case.

    As upstream: a test counts in a profile when the profile lists it; it is *extended* there when the case file
    says so. Passed/failed tests count; skipped tests count only when skipped explicitly (--skip-tests), tests not
    run for lack of features are left out.
    """
    by_profile = {}
    for r in results:
        case = cases.get(r.name)
        if case is None:
            continue
        for prof, level in case.profiles.items():
            if prof not in profiles:
                continue
            rep = by_profile.setdefault(prof, {'name': prof, 'core': _status()})
            if level == 'extended':
                st = rep.setdefault('extended', _status())
            else:
                st = rep['core']
            if r.outcome == 'pass':
                st['statistics']['Passed'] += 1
            elif r.outcome in ('fail', 'error'):
                st['statistics']['Failed'] += 1
                st.setdefault('failedTests', []).append(r.name)
            elif r.outcome == 'skip' and getattr(r, 'skip_kind', None) == 'explicit':
                st['statistics']['Skipped'] += 1
                st.setdefault('skippedTests', []).append(r.name)
    out_profiles = []
    for prof in sorted(by_profile):
        rep = by_profile[prof]
        _finish(rep['core'])
        summary = f'Core tests {_summary_part(rep["core"])}'
        if 'extended' in rep:
            ext = rep['extended']
            _finish(ext)
            summary += f'. Extended tests {_summary_part(ext)}'
            feats = [f for f in PROFILE_EXTENDED.get(prof, []) if f not in PROFILE_CORE.get(prof, [])]
            sup = sorted(f for f in feats if f in supported)
            unsup = sorted(f for f in feats if f not in supported)
            if sup:
                ext['supportedFeatures'] = sup
            if unsup:
                ext['unsupportedFeatures'] = unsup
        rep['summary'] = summary + '.'
        ordered = {'name': rep['name'], 'summary': rep['summary'], 'core': _order(rep['core'])}
        if 'extended' in rep:
            ordered['extended'] = _order(rep['extended'])
        out_profiles.append(ordered)
    doc = {
        'apiVersion': 'gateway.networking.k8s.io/v1',
        'kind': 'ConformanceReport',
        'date': date or datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
        'implementation': implementation,
        'gatewayAPIVersion': GATEWAY_API_VERSION,
        'gatewayAPIChannel': channel,
        'mode': mode,
        'profiles': out_profiles,
    }
    prov = sorted(r.name for r in results if r.outcome == 'pass' and cases.get(r.name) is not None
                  and cases[r.name].provisional)
    if prov:
        doc['succeededProvisionalTests'] = prov
    return doc


def _order(st):
    out = {'result': st['result'], 'statistics': st['statistics']}
    for k in ('failedTests', 'skippedTests', 'supportedFeatures', 'unsupportedFeatures'):
        if k in st:
            out[k] = st[k]
    return out


def dump(doc):
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=False)
