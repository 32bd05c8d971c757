"""Condition matching and freshness (FORMAT §1.5) and the pure predicates of the status steps (§6)."""
from .util import GATEWAY_GROUP


def condition_matches(expected, actual_list):
    """Some actual entry has the same type, status (if given) and reason (if given)."""
    for a in actual_list or []:
        if not isinstance(a, dict) or a.get('type') != expected.get('type'):
            continue
        if expected.get('status') is not None and a.get('status') != expected['status']:
            continue
        if expected.get('reason') is not None and a.get('reason') != expected['reason']:
            continue
        return True
    return False


def conditions_match(expected_list, actual_list):
    """Every expected entry matches and the actual list is at least as long as the expected one."""
    actual_list = actual_list or []
    if len(actual_list) < len(expected_list):
        return False
    return all(condition_matches(e, actual_list) for e in expected_list)


def all_fresh(conditions, generation):
    """Every condition's observedGeneration equals generation (vacuously true for an empty list)."""
    return all(isinstance(c, dict) and c.get('observedGeneration') == generation for c in conditions or [])


def stale_conditions(conditions, generation):
    return [c.get('type') for c in conditions or [] if not isinstance(c, dict) or
            c.get('observedGeneration') != generation]


def describe(conditions):
    """Compact form for failure messages: Type=Status/Reason@gen."""
    out = []
    for c in conditions or []:
        if isinstance(c, dict):
            out.append(f'{c.get("type")}={c.get("status")}/{c.get("reason")}@{c.get("observedGeneration")}')
    return '[' + ', '.join(out) + ']'


def generation(obj):
    return ((obj or {}).get('metadata') or {}).get('generation')


def status(obj):
    return (obj or {}).get('status') or {}


def parents_fresh(route):
    """All conditions of every status.parents[] entry are fresh w.r.t. the route's generation."""
    g = generation(route)
    return all(all_fresh(p.get('conditions'), g) for p in status(route).get('parents') or [])


def parent_ref_matches_route_parent(parent, controller, kind, name, namespace, route_namespace, strict_ns=False):
    """The §6.2 phase 2 / §6.5 parentRef comparison (sectionName and port are not compared)."""
    if parent.get('controllerName') != controller:
        return False
    ref = parent.get('parentRef') or {}
    if ref.get('group') != GATEWAY_GROUP or ref.get('kind') != kind or ref.get('name') != name:
        return False
    if 'namespace' in ref and ref.get('namespace') is not None:
        return ref['namespace'] == namespace
    return (not strict_ns) and route_namespace == namespace


def supported_kinds_match(expected_kinds, actual):
    """§6.8: every expected kind is present (group defaults to gateway.networking.k8s.io); [] requires []."""
    actual = actual or []
    if not expected_kinds:
        return len(actual) == 0
    have = set()
    for a in actual:
        if isinstance(a, dict):
            have.add(((a.get('group') or GATEWAY_GROUP), a.get('kind')))
    return all((GATEWAY_GROUP, k) in have for k in expected_kinds)


def listeners_match(expected, actual):
    """§6.8 exact listener comparison; returns (ok, reason)."""
    actual = actual or []
    if len(actual) != len(expected):
        return False, f'{len(actual)} listeners in status, expected {len(expected)}'
    by_name = {a.get('name'): a for a in actual if isinstance(a, dict)}
    for e in expected:
        a = by_name.get(e['name'])
        if a is None:
            return False, f'listener {e["name"]!r} missing from status'
        if not supported_kinds_match(e.get('supportedKinds') or [], a.get('supportedKinds')):
            return False, f'listener {e["name"]!r}: supportedKinds {a.get("supportedKinds")} vs {e["supportedKinds"]}'
        if a.get('attachedRoutes') != e['attachedRoutes']:
            return False, f'listener {e["name"]!r}: attachedRoutes {a.get("attachedRoutes")} != {e["attachedRoutes"]}'
        if not conditions_match(e.get('conditions') or [], a.get('conditions')):
            return False, f'listener {e["name"]!r}: conditions {describe(a.get("conditions"))}'
    return True, ''


def route_accepted_by(route, controller, kind, name, namespace):
    """§6.2 phase 2 predicate (without the freshness part)."""
    rns = (route.get('metadata') or {}).get('namespace')
    for p in status(route).get('parents') or []:
        if not isinstance(p, dict):
            continue
        if parent_ref_matches_route_parent(p, controller, kind, name, namespace, rns) and \
                conditions_match([{'type': 'Accepted', 'status': 'True', 'reason': 'Accepted'}], p.get('conditions')):
            return True
    return False


def parents_expectation_met(route, expect, namespace_required):
    """§6.5: every expected entry is matched by some actual status.parents[] entry."""
    parents = [p for p in status(route).get('parents') or [] if isinstance(p, dict)]
    for e in expect:
        pr = e['parentRef']
        found = False
        for p in parents:
            if p.get('controllerName') != e['controllerName']:
                continue
            ref = p.get('parentRef') or {}
            if ref.get('group') != pr['group'] or ref.get('kind') != pr['kind'] or ref.get('name') != pr['name']:
                continue
            if ref.get('namespace') is not None:
                if ref['namespace'] != pr['namespace']:
                    continue
            elif namespace_required:
                continue
            if not conditions_match(e.get('conditions') or [], p.get('conditions')):
                continue
            found = True
            break
        if not found:
            return False, f'no status parent matches {pr["kind"]} {pr["namespace"]}/{pr["name"]}'
    return True, ''
