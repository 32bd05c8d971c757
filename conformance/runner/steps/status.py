"""Status steps (FORMAT §6)."""
import time

from .. import conditions as C
from ..admin import ReadError
from ..engine import Retry
from ..util import StepFailed, field_as_string, get_field, join_host_port, parse_nsname, parse_ref


def _fresh_or_retry(obj, what):
    g = C.generation(obj)
    conds = C.status(obj).get('conditions')
    if not C.all_fresh(conds, g):
        raise Retry(f'{what}: stale conditions {C.stale_conditions(conds, g)} (generation {g}) {C.describe(conds)}')


def _parents_fresh_or_retry(route, what):
    if not C.parents_fresh(route):
        g = C.generation(route)
        raise Retry(f'{what}: stale parent conditions (generation {g}): ' + '; '.join(
            C.describe(p.get('conditions')) for p in C.status(route).get('parents') or []))


# ------------------------------------------------------------------ §6.1 namespacesReady

def namespaces_ready(run, namespaces):
    t = run.t

    def check():
        for ns in namespaces:
            try:
                gws = run.env.reader.list('Gateway', ns)
            except ReadError as e:
                raise Retry(str(e)) from None
            for gw in gws:
                ann = (gw.get('metadata') or {}).get('annotations') or {}
                if ann.get('gateway-api/skip-this-for-readiness') == 'true':
                    continue
                name = f'Gateway {ns}/{gw["metadata"].get("name")}'
                _fresh_or_retry(gw, name)
                conds = C.status(gw).get('conditions')
                for ctype in ('Accepted', 'Programmed'):
                    if not C.condition_matches({'type': ctype, 'status': 'True'}, conds):
                        return f'{name} not {ctype}: {C.describe(conds)}'
            pods = run.env.fleet.pods(ns)
            if not pods:
                return f'namespace {ns} has no pods'
            notready = [p.name for p in pods if not p.ready()]
            if notready:
                return f'pods not ready in {ns}: {notready}'
        return True

    run.poll(t.NamespacesMustBeReady, t.DefaultPollInterval, check, 'namespaces ready')


# ------------------------------------------------------------------ §6.2 / §6.3

def _address_phase(run, ns, name, listener, use_port):
    t = run.t
    out = {}

    def check():
        gw = run.read('Gateway', ns, name, on_error='abort')
        _fresh_or_retry(gw, f'Gateway {ns}/{name}')
        addrs = [a for a in C.status(gw).get('addresses') or [] if isinstance(a, dict) and a.get('type')]
        if not addrs:
            return f'Gateway {ns}/{name} has no status address with a type: {C.status(gw).get("addresses")}'
        value = addrs[0].get('value', '')
        if use_port:
            listeners = (gw.get('spec') or {}).get('listeners') or []
            chosen = next((l for l in listeners if l.get('name') == listener), None) if listener else None
            if chosen is None:
                chosen = listeners[0] if listeners else None
            if chosen is None:
                raise StepFailed(f'Gateway {ns}/{name} has no spec listeners')
            out['value'] = join_host_port(value, chosen.get('port'))
        else:
            out['value'] = f'[{value}]' if ':' in value else value
        return True

    run.poll(t.GatewayMustHaveAddress, t.DefaultPollInterval, check, f'Gateway {ns}/{name} address')
    return out['value']


def _routes_phase(run, routes, parent_kind, pns, pname):
    t = run.t
    for ref in routes:
        kind, rns, rname = parse_ref(ref)

        def check(kind=kind, rns=rns, rname=rname, ref=ref):
            route = run.read(kind, rns, rname, on_error='abort')
            if kind != 'TLSRoute':
                _parents_fresh_or_retry(route, ref)
            if C.route_accepted_by(route, run.vars['controllerName'], parent_kind, pname, pns):
                return True
            ps = C.status(route).get('parents') or []
            return f'{ref} not accepted by {parent_kind} {pns}/{pname}: ' + ('; '.join(
                f'{(p.get("parentRef") or {}).get("name")} ({p.get("controllerName")}):'
                f'{C.describe(p.get("conditions"))}' for p in ps) or 'status.parents is empty')

        run.poll(t.RouteMustHaveParents, t.DefaultPollInterval, check, f'{ref} accepted')


def _listeners_ready(obj, what):
    for l in C.status(obj).get('listeners') or []:
        for ctype in ('ResolvedRefs', 'Accepted', 'Programmed'):
            if not C.condition_matches({'type': ctype, 'status': 'True'}, l.get('conditions')):
                return f'{what} listener {l.get("name")!r} not {ctype}: {C.describe(l.get("conditions"))}'
    return True


def accepted(run, v):
    t = run.t
    routes = v.get('routes') or []
    tls = bool(routes) and routes[0].split('/')[0] == 'TLSRoute'
    if 'gateway' in v:
        ns, name = parse_nsname(v['gateway'])
        value = _address_phase(run, ns, name, v.get('listener'), v.get('usePort', True) is not False)
        if v.get('bind'):
            run.vars[v['bind']] = value
        _routes_phase(run, routes, 'Gateway', ns, name)
        if not tls:
            def check():
                gw = run.read('Gateway', ns, name, on_error='abort')
                return _listeners_ready(gw, f'Gateway {ns}/{name}')
            run.poll(t.GatewayListenersMustHaveConditions, t.DefaultPollInterval, check, 'listeners ready')
    else:
        ns, name = parse_nsname(v['listenerSet'])
        _routes_phase(run, routes, 'ListenerSet', ns, name)
        if not tls:
            def check():
                ls = run.read('ListenerSet', ns, name, on_error='retry')
                _fresh_or_retry(ls, f'ListenerSet {ns}/{name}')
                return _listeners_ready(ls, f'ListenerSet {ns}/{name}')
            run.poll(t.ListenerSetListenersMustHaveConditions, t.DefaultPollInterval, check, 'listeners ready')


def gateway_address(run, v):
    ns, name = parse_nsname(v['gateway'])
    value = _address_phase(run, ns, name, v.get('listener'), v.get('usePort', True) is not False)
    if v.get('bind'):
        run.vars[v['bind']] = value


# ------------------------------------------------------------------ §6.4 routeCondition

def route_condition(run, v):
    t = run.t
    kind, rns, rname = parse_ref(v['route'])
    pns, pname = parse_nsname(v['parent'])
    cond = v['condition']
    limit = t.get(f'{kind}MustHaveCondition', t.HTTPRouteMustHaveCondition)

    def check():
        route = run.read(kind, rns, rname, on_error='abort')
        _parents_fresh_or_retry(route, v['route'])
        seen = []
        for p in C.status(route).get('parents') or []:
            ref = p.get('parentRef') or {}
            if ref.get('name') != pname or (ref.get('namespace') is not None and ref.get('namespace') != pns):
                continue
            if C.condition_matches(cond, p.get('conditions')):
                return True
            seen.append(C.describe(p.get('conditions')))
        return f'no parent {pns}/{pname} with {_cond_str(cond)}; parent conditions: {seen}'

    run.poll(limit, t.DefaultPollInterval, check, f'{v["route"]} condition {_cond_str(cond)}')


def _cond_str(c):
    return f'{c.get("type")}={c.get("status", "*")}/{c.get("reason", "*")}'


# ------------------------------------------------------------------ §6.5 parents

def parents(run, v):
    t = run.t
    kind, rns, rname = parse_ref(v['route'])

    def check():
        route = run.read(kind, rns, rname, on_error='abort')
        _parents_fresh_or_retry(route, v['route'])
        ok, why = C.parents_expectation_met(route, v['expect'], bool(v.get('namespaceRequired', False)))
        if ok:
            return True
        return f'{why}; status.parents: ' + '; '.join(
            f'{p.get("parentRef")} {p.get("controllerName")} {C.describe(p.get("conditions"))}'
            for p in C.status(route).get('parents') or [])

    run.poll(t.RouteMustHaveParents, t.DefaultPollInterval, check, f'{v["route"]} parents')


# ------------------------------------------------------------------ §6.6 noAcceptedParents

def no_accepted_parents(run, v):
    t = run.t
    kind, rns, rname = parse_ref(v['route'])
    state = {'empty_before': False}

    def check():
        route = run.read(kind, rns, rname, on_error='abort')
        ps = C.status(route).get('parents') or []
        if not ps:
            if state['empty_before']:
                return True
            state['empty_before'] = True
            return 'status.parents empty on the first poll'
        if len(ps) > 1:
            return f'{len(ps)} parents in status'
        _parents_fresh_or_retry(route, v['route'])
        if C.condition_matches({'type': 'Accepted', 'status': 'False'}, ps[0].get('conditions')):
            return True
        return f'parent conditions {C.describe(ps[0].get("conditions"))}'

    run.poll(t.HTTPRouteMustNotHaveParents, 1.0, check, f'{v["route"]} has no accepted parents')


# ------------------------------------------------------------------ §6.7 zeroRoutes

def zero_routes(run, v):
    t = run.t
    ns, name = parse_nsname(v['gateway'])

    def check():
        gw = run.read('Gateway', ns, name, on_error='abort')
        _fresh_or_retry(gw, f'Gateway {ns}/{name}')
        ls = C.status(gw).get('listeners') or []
        if not ls or (len(ls) == 1 and ls[0].get('attachedRoutes') == 0):
            return True
        return f'listeners: {[(l.get("name"), l.get("attachedRoutes")) for l in ls]}'

    run.poll(t.GatewayStatusMustHaveListeners, t.DefaultPollInterval, check, f'Gateway {ns}/{name} zero routes')


# ------------------------------------------------------------------ §6.8 listeners

def listeners(run, v):
    t = run.t
    if 'gateway' in v:
        kind, (ns, name), limit = 'Gateway', parse_nsname(v['gateway']), t.GatewayStatusMustHaveListeners
    else:
        kind, (ns, name), limit = 'ListenerSet', parse_nsname(v['listenerSet']), t.ListenerSetListenersMustHaveConditions

    def check():
        obj = run.read(kind, ns, name, on_error='abort')
        _fresh_or_retry(obj, f'{kind} {ns}/{name}')
        ok, why = C.listeners_match(v['exact'], C.status(obj).get('listeners'))
        return True if ok else why

    run.poll(limit, t.DefaultPollInterval, check, f'{kind} {ns}/{name} listeners')


# ------------------------------------------------------------------ §6.9 listenerConditions

def listener_conditions(run, v):
    t = run.t
    kind, ns, name = parse_ref(v['ref'])
    gw = kind == 'Gateway'
    limit = t.GatewayListenersMustHaveConditions if gw else t.ListenerSetListenersMustHaveConditions

    def check():
        obj = run.read(kind, ns, name, on_error='abort' if gw else 'retry')
        if not gw:
            _fresh_or_retry(obj, f'{kind} {ns}/{name}')
        by_name = {l.get('name'): l for l in C.status(obj).get('listeners') or []}
        for ln in v['listeners']:
            l = by_name.get(ln)
            if l is None:
                return f'listener {ln!r} not in status'
            for c in v['conditions']:
                if not C.condition_matches(c, l.get('conditions')):
                    return f'listener {ln!r} lacks {_cond_str(c)}: {C.describe(l.get("conditions"))}'
        return True

    run.poll(limit, t.DefaultPollInterval, check, f'{v["ref"]} listener conditions')


# ------------------------------------------------------------------ §6.10 condition

def condition(run, v):
    t = run.t
    kind, ns, name = parse_ref(v['ref'])
    cond = v['condition']
    what = f'{v["ref"]} condition {_cond_str(cond)}'
    if kind == 'BackendTLSPolicy':
        ans, aname = parse_nsname(v['ancestor'])

        def check():
            pol = run.read(kind, ns, name, on_error='abort')
            g = C.generation(pol)
            ancestors = C.status(pol).get('ancestors') or []
            for a in ancestors:
                if not C.all_fresh(a.get('conditions'), g):
                    raise Retry(f'stale ancestor conditions {C.describe(a.get("conditions"))} (generation {g})')
            for a in ancestors:
                ref = a.get('ancestorRef') or {}
                if ref.get('name') == aname and ref.get('namespace') in (None, ans):
                    if C.condition_matches(cond, a.get('conditions')):
                        return True
            return f'ancestors: ' + '; '.join(f'{(a.get("ancestorRef") or {}).get("name")}:'
                                              f'{C.describe(a.get("conditions"))}' for a in ancestors)

        run.poll(t.HTTPRouteMustHaveCondition, t.DefaultPollInterval, check, what)
        return

    limit = {'Gateway': t.GatewayMustHaveCondition, 'GatewayClass': t.GWCMustBeAccepted,
             'ListenerSet': t.ListenerSetMustHaveCondition}[kind]

    def check():
        obj = run.read(kind, ns, name, on_error='retry' if kind == 'ListenerSet' else 'abort')
        g = C.generation(obj)
        conds = C.status(obj).get('conditions')
        if not C.all_fresh(conds, g):
            if kind == 'Gateway':
                raise StepFailed(f'{v["ref"]}: stale conditions {C.describe(conds)} (generation {g})')
            raise Retry(f'stale conditions {C.describe(conds)} (generation {g})')
        if C.condition_matches(cond, conds):
            return True
        return f'conditions {C.describe(conds)}'

    run.poll(limit, t.DefaultPollInterval, check, what)


# ------------------------------------------------------------------ §6.11 latestGeneration

def _all_conditions(kind, obj):
    st = C.status(obj)
    if kind == 'HTTPRoute':
        return [c for p in st.get('parents') or [] for c in p.get('conditions') or []]
    if kind == 'BackendTLSPolicy':
        return [c for a in st.get('ancestors') or [] for c in a.get('conditions') or []]
    return st.get('conditions') or []


def latest_generation(run, v):
    t = run.t
    kind, ns, name = parse_ref(v['ref'])

    def check():
        obj = run.read(kind, ns, name, on_error='abort')
        g = C.generation(obj)
        conds = _all_conditions(kind, obj)
        if C.all_fresh(conds, g):
            return True
        msg = f'stale conditions {C.describe(conds)} (generation {g})'
        if v.get('once'):
            raise StepFailed(msg)
        return msg

    if v.get('once'):
        try:
            res = check()
        except Retry as e:
            raise StepFailed(str(e)) from None
        return res
    run.poll(t.LatestObservedGenerationSet, t.DefaultPollInterval, check, f'{v["ref"]} observedGeneration')


# ------------------------------------------------------------------ §6.12 capture / §6.13 compare

def _read_field(run, v):
    deadline = time.monotonic() + run.t.GetTimeout
    while True:
        try:
            obj = run.read_any(v['ref'])
            break
        except Retry as e:
            if time.monotonic() >= deadline:
                raise StepFailed(str(e)) from None
            time.sleep(run.t.DefaultPollInterval)
    try:
        return field_as_string(get_field(obj, v['field']))
    except (KeyError, ValueError):
        raise StepFailed(f'{v["ref"]}: field {v["field"]} missing or not a scalar') from None


def capture(run, v):
    run.vars[v['as']] = _read_field(run, v)


def compare(run, v):
    val = _read_field(run, v)
    if 'notEqual' in v and val == v['notEqual']:
        raise StepFailed(f'{v["ref"]} {v["field"]} is {val!r}, expected a different value')
    if 'equal' in v and val != v['equal']:
        raise StepFailed(f'{v["ref"]} {v["field"]} is {val!r}, expected {v["equal"]!r}')


# ------------------------------------------------------------------ §6.14 addresses

def addresses(run, v):
    t = run.t
    ns, name = parse_nsname(v['gateway'])
    holder = {}

    def check():
        gw = run.read('Gateway', ns, name, on_error='retry')
        addrs = C.status(gw).get('addresses') or []
        if 'count' in v and len(addrs) != v['count']:
            return f'{len(addrs)} status addresses, expected {v["count"]}: {addrs}'
        holder['addrs'] = addrs
        return True

    run.poll(t.GatewayMustHaveAddress, t.DefaultPollInterval, check, f'Gateway {ns}/{name} addresses')
    addrs = holder['addrs']
    values = [a.get('value') for a in addrs]
    for c in v.get('contains') or []:
        if c not in values:
            raise StepFailed(f'status addresses {values} lack {c!r}')
    for c in v.get('notContains') or []:
        if c in values:
            raise StepFailed(f'status addresses {values} contain {c!r}')
    for ty in v.get('types') or []:
        for a in addrs:
            if a.get('value') == ty['value'] and a.get('type') != ty['type']:
                raise StepFailed(f'address {ty["value"]} has type {a.get("type")!r}, expected {ty["type"]!r}')


# ------------------------------------------------------------------ §6.15 infrastructure

def infrastructure(run, v):
    t = run.t
    ns, name = parse_nsname(v['gateway'])
    holder = {}

    def check():
        try:
            objs = run.env.reader.infrastructure(ns)
        except ReadError as e:
            raise StepFailed(f'infrastructure read: {e}') from None
        mine = [o for o in objs if ((o.get('metadata') or {}).get('labels') or {}).get(
            'gateway.networking.k8s.io/gateway-name') == name and o.get('kind') in ('ServiceAccount', 'Pod', 'Service')]
        if not mine:
            return f'no data-plane object labelled gateway-name={name} in {ns}'
        holder['objs'] = mine
        return True

    run.poll(t.DefaultTestTimeout, t.DefaultPollInterval, check, f'Gateway {ns}/{name} infrastructure')
    for kind in ('ServiceAccount', 'Pod', 'Service'):
        obj = next((o for o in holder['objs'] if o.get('kind') == kind), None)
        if obj is None:
            continue
        md = obj.get('metadata') or {}
        for field, want in (('labels', v.get('labels') or {}), ('annotations', v.get('annotations') or {})):
            have = md.get(field) or {}
            for k, val in want.items():
                if have.get(k) != val:
                    raise StepFailed(f'{kind} {md.get("name")}: {field[:-1]} {k}={have.get(k)!r}, expected {val!r}')


# ------------------------------------------------------------------ §6.16 attachedListenerSets

def attached_listener_sets(run, v):
    t = run.t
    ns, name = parse_nsname(v['gateway'])

    def check():
        gw = run.read('Gateway', ns, name, on_error='retry')
        _fresh_or_retry(gw, f'Gateway {ns}/{name}')
        n = C.status(gw).get('attachedListenerSets') or 0
        return True if n == v['count'] else f'attachedListenerSets {n}, expected {v["count"]}'

    run.poll(t.GatewayStatusMustHaveListeners, t.DefaultPollInterval, check, f'Gateway {ns}/{name} ListenerSets')


HANDLERS = {
    'namespacesReady': namespaces_ready,
    'accepted': accepted,
    'gatewayAddress': gateway_address,
    'routeCondition': route_condition,
    'parents': parents,
    'noAcceptedParents': no_accepted_parents,
    'zeroRoutes': zero_routes,
    'listeners': listeners,
    'listenerConditions': listener_conditions,
    'condition': condition,
    'latestGeneration': latest_generation,
    'capture': capture,
    'compare': compare,
    'addresses': addresses,
    'infrastructure': infrastructure,
    'attachedListenerSets': attached_listener_sets,
}
