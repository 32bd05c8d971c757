"""Case-file validation against the key index of FORMAT.md §12.

The key index is parsed from FORMAT.md at run time (the contract), then every case document is checked for unknown
keys, types, required and one-of keys, the cross-key rules of §6–§9 that decide whether a case can be executed, and
the variable rules of §1.6. A non-empty error list makes the case result *error* (§3.3).
"""
import os
import re

from .util import VAR_RE, deep_merge, parse_duration, parse_field_path

VAR_NAME_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')
NSNAME_RE = re.compile(r'^[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$')
TARGET_RE = re.compile(r'^\$\{([A-Za-z_][A-Za-z0-9_]*)\}(?::(\d+))?$')
NAMESPACED_KINDS = {'Gateway', 'HTTPRoute', 'GRPCRoute', 'TLSRoute', 'TCPRoute', 'UDPRoute', 'ListenerSet',
                    'ReferenceGrant', 'BackendTLSPolicy', 'Service', 'Secret', 'ConfigMap', 'Namespace', 'Pod',
                    'EndpointSlice', 'Deployment'}
CLUSTER_REF_KINDS = {'GatewayClass'}
TOP_ORDER = ('case', 'upstream', 'features', 'profiles', 'provisional', 'runIf', 'manifests', 'notes', 'vars',
             'steps')
GROUP_KEYS = ('group', 'parallel', 'within', 'steps')
PREDEFINED_VARS = {'controllerName'}
PORTED_ACTIONS = ('grpc', 'tcp', 'udp', 'dns', 'tlsConnect', 'websocket')


class Key:
    __slots__ = ('path', 'type', 'req', 'default', 'use')

    def __init__(self, path, typ, req, default, use):
        self.path, self.type, self.req, self.default, self.use = path, typ, req, default, use


def _split_args(s):
    out, depth, cur = [], 0, ''
    for ch in s:
        depth += ch == '('
        depth -= ch == ')'
        if ch == ',' and depth == 0:
            out.append(cur.strip())
            cur = ''
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def parse_type(text):
    text = text.strip()
    m = re.match(r'^(list|map|enum|ref)\((.*)\)$', text)
    if m:
        if m.group(1) in ('list', 'map'):
            return (m.group(1), parse_type(m.group(2)))
        return (m.group(1), tuple(_split_args(m.group(2))))
    if text in ('string', 'int', 'bool', 'number', 'duration', 'var', 'nsname', 'manifest', 'object', 'k8s', 'any'):
        return (text,)
    if re.match(r'^[A-Z][A-Za-z]*$', text):
        return ('shape', text)
    raise ValueError(f'unknown type {text!r}')


def parse_key_index(text):
    """Parse the §12 tables of FORMAT.md text -> {shape: {keypath: Key}}."""
    m = re.search(r'^## 12\..*$', text, re.M)
    if not m:
        raise ValueError('FORMAT.md has no "## 12." key index')
    body = text[m.end():]
    nxt = re.search(r'^## ', body, re.M)
    if nxt:
        body = body[:nxt.start()]
    shapes, cur = {}, None
    for line in body.splitlines():
        h = re.match(r'^#### Shape `([A-Za-z]+)`', line)
        if h:
            cur = h.group(1)
            shapes[cur] = {}
            continue
        if cur and line.startswith('| `'):
            cells = [c.strip() for c in line.strip().strip('|').split('|')]
            if len(cells) != 6:
                raise ValueError(f'malformed key index row: {line}')
            path = cells[0].strip('`')
            shapes[cur][path] = Key(path, parse_type(cells[1]), cells[2], cells[3], cells[4])
    for need in ('Case', 'Step'):
        if need not in shapes:
            raise ValueError(f'key index lacks shape {need}')
    return shapes


def load_key_index(format_path):
    with open(format_path, encoding='utf-8') as f:
        return parse_key_index(f.read())


def _children(keys, prefix):
    out = {}
    for path, k in keys.items():
        if prefix:
            if not path.startswith(prefix + '.'):
                continue
            rest = path[len(prefix) + 1:]
        else:
            rest = path
        if '.' not in rest:
            out[rest] = k
    return out


class Validator:
    """Validate case documents. `upstream` (conformance dir) enables the manifest existence check."""

    def __init__(self, shapes, upstream=None):
        self.shapes = shapes
        self.upstream = upstream

    # ---------------------------------------------------------------- entry point

    def validate(self, doc):
        self.errors = []
        if not isinstance(doc, dict):
            return ['document is not a map']
        keys = [k for k in doc if k in TOP_ORDER]
        if keys != sorted(keys, key=TOP_ORDER.index):
            self.err(f'top-level keys out of canonical order: {keys}')
        top = {k: v for k, v in doc.items() if k != 'steps'}
        self.check_object(top, 'Case', '', 'case', require=False)
        for k, key in _children(self.shapes['Case'], '').items():
            if key.req == 'yes' and k not in doc:
                self.err(f'missing required top-level key {k!r}')
        self.bound = {}           # var -> carries a port
        if 'steps' in doc:
            self.check_steps(doc['steps'], 'steps')
        return self.errors

    def err(self, msg):
        self.errors.append(msg)

    # ---------------------------------------------------------------- generic typing

    def check_type(self, v, typ, path, shape, keypath, require=True):
        t = typ[0]
        if t == 'string':
            ok = isinstance(v, str)
        elif t == 'int':
            ok = isinstance(v, int) and not isinstance(v, bool)
        elif t == 'number':
            ok = isinstance(v, (int, float)) and not isinstance(v, bool)
        elif t == 'bool':
            ok = isinstance(v, bool)
        elif t == 'duration':
            try:
                parse_duration(v)
                ok = True
            except ValueError:
                ok = False
        elif t == 'var':
            ok = isinstance(v, str) and bool(VAR_NAME_RE.match(v))
        elif t == 'nsname':
            ok = isinstance(v, str) and (bool(NSNAME_RE.match(v)) or '${' in v)
        elif t == 'manifest':
            ok = isinstance(v, str)
            if ok and self.upstream and not os.path.isfile(os.path.join(self.upstream, v)):
                self.err(f'{path}: manifest {v} not found under {self.upstream}')
        elif t == 'any':
            ok = True
        elif t == 'k8s':
            ok = isinstance(v, dict) and bool(v.get('apiVersion')) and bool(v.get('kind')) and \
                isinstance(v.get('metadata'), dict) and bool(v['metadata'].get('name'))
        elif t == 'enum':
            ok = isinstance(v, str) and v in typ[1]
        elif t == 'ref':
            self.check_ref(v, typ[1], path)
            return
        elif t == 'list':
            if not isinstance(v, list):
                self.err(f'{path}: expected list, got {type(v).__name__}')
                return
            for i, item in enumerate(v):
                self.check_type(item, typ[1], f'{path}[{i}]', shape, keypath, require)
            return
        elif t == 'map':
            if not isinstance(v, dict):
                self.err(f'{path}: expected map, got {type(v).__name__}')
                return
            for k, item in v.items():
                if not isinstance(k, str):
                    self.err(f'{path}: map key {k!r} is not a string')
                self.check_type(item, typ[1], f'{path}.{k}', shape, keypath, require)
            return
        elif t == 'object':
            self.check_object(v, shape, keypath, path, require)
            return
        elif t == 'shape':
            self.check_object(v, typ[1], '', path, require)
            return
        else:
            raise AssertionError(typ)
        if not ok:
            self.err(f'{path}: expected {t}{"(" + ", ".join(typ[1]) + ")" if t == "enum" else ""}, got {v!r}')

    def check_ref(self, v, kinds, path):
        if not isinstance(v, str):
            self.err(f'{path}: expected an object reference, got {v!r}')
            return
        parts = v.split('/')
        if parts[0] in CLUSTER_REF_KINDS:
            ok = len(parts) == 2 and all(parts)
        else:
            ok = len(parts) == 3 and all(parts) and parts[0] in NAMESPACED_KINDS
        if not ok:
            self.err(f'{path}: malformed reference {v!r}')
        elif '*' not in kinds and parts[0] not in kinds:
            self.err(f'{path}: kind {parts[0]} not allowed here (allowed: {", ".join(kinds)})')

    def check_object(self, v, shape, prefix, path, require=True):
        if not isinstance(v, dict):
            self.err(f'{path}: expected map, got {type(v).__name__}')
            return
        rows = _children(self.shapes[shape], prefix)
        for k, item in v.items():
            if k not in rows:
                self.err(f'{path}: unknown key {k!r}')
                continue
            if shape == 'Step' and rows[k].path in ('http.default', 'http.cases', 'grpc.default', 'grpc.cases'):
                continue          # checked after merging (semantic_http / semantic_grpc)
            self.check_type(item, rows[k].type, f'{path}.{k}', shape, rows[k].path, require)
        if require:
            for k, key in rows.items():
                if key.req == 'yes' and k not in v:
                    self.err(f'{path}: missing required key {k!r}')
            oneof = [k for k, key in rows.items() if key.req == 'one-of']
            if oneof and shape != 'Step':
                have = [k for k in oneof if k in v]
                if len(have) != 1:
                    self.err(f'{path}: exactly one of {oneof} required, found {have}')

    # ---------------------------------------------------------------- steps

    def check_steps(self, steps, path):
        if not isinstance(steps, list):
            self.err(f'{path}: expected a list of steps')
            return
        rows = _children(self.shapes['Step'], '')
        actions = [k for k, key in rows.items() if key.req == 'one-of']
        for i, st in enumerate(steps):
            p = f'{path}[{i}]'
            if not isinstance(st, dict):
                self.err(f'{p}: a step must be a map')
                continue
            unknown = [k for k in st if k not in rows]
            if unknown:
                self.err(f'{p}: unknown step key(s) {unknown}')
            present = [k for k in st if k in actions]
            if len(present) != 1:
                self.err(f'{p}: a step needs exactly one action, found {present}')
                continue
            action = present[0]
            if action == 'group':
                extra = [k for k in st if k not in GROUP_KEYS]
                if extra:
                    self.err(f'{p}: group has extra keys {extra}')
                self.check_type(st['group'], rows['group'].type, f'{p}.group', 'Step', 'group')
                for k in ('parallel', 'within'):
                    if k in st:
                        self.check_type(st[k], rows[k].type, f'{p}.{k}', 'Step', k)
                if 'steps' not in st:
                    self.err(f'{p}: group without steps')
                else:
                    self.check_steps(st['steps'], f'{p}.steps')
                continue
            extra = [k for k in st if k != action]
            if extra:
                self.err(f'{p}: step {action} has extra keys {extra}')
            val = st[action]
            key = rows[action]
            self.check_type(val, key.type, f'{p}.{action}', 'Step', action)
            if key.type[0] == 'object' and isinstance(val, dict):
                sub = _children(self.shapes['Step'], action)
                oneof = [k for k, kk in sub.items() if kk.req == 'one-of']
                if oneof:
                    have = [k for k in oneof if k in val]
                    if len(have) != 1:
                        self.err(f'{p}.{action}: exactly one of {oneof} required, found {have}')
            if isinstance(val, dict):
                self.semantic(action, val, f'{p}.{action}')
            self.check_vars(action, val, p)

    # ---------------------------------------------------------------- cross-key rules needed to execute

    def semantic(self, action, v, p):
        if action == 'accepted':
            routes = v.get('routes') or []
            kinds = {r.split('/')[0] for r in routes if isinstance(r, str)}
            if len(kinds) > 1:
                self.err(f'{p}.routes: routes of several kinds {sorted(kinds)}')
            if 'listenerSet' in v:
                for k in ('listener', 'usePort', 'bind'):
                    if k in v:
                        self.err(f'{p}.{k}: not allowed with listenerSet')
        elif action == 'condition':
            ref = v.get('ref')
            kind = ref.split('/')[0] if isinstance(ref, str) else None
            if kind == 'BackendTLSPolicy' and 'ancestor' not in v:
                self.err(f'{p}: ancestor is required for BackendTLSPolicy')
            if kind != 'BackendTLSPolicy' and 'ancestor' in v:
                self.err(f'{p}.ancestor: only for BackendTLSPolicy')
            if kind == 'GatewayClass':
                c = v.get('condition') or {}
                if not isinstance(c, dict) or c.get('type') != 'Accepted' or 'reason' in c:
                    self.err(f'{p}.condition: GatewayClass allows only type Accepted without reason')
        elif action in ('capture', 'compare', 'edit'):
            paths = [v['field']] if isinstance(v.get('field'), str) else []
            for k in ('set', 'append', 'removeWhere'):
                if isinstance(v.get(k), dict):
                    paths += list(v[k])
            for fp in paths:
                try:
                    parse_field_path(fp)
                except (ValueError, TypeError):
                    self.err(f'{p}: malformed field path {fp!r}')
        elif action == 'http':
            self.semantic_http(v, p)
        elif action == 'grpc':
            self.semantic_grpc(v, p)
        elif action == 'tcp':
            mode = v.get('mode')
            exp = v.get('expect')
            if 'tls' in v and (mode or 'weights' in v):
                self.err(f'{p}.tls: only in full-exchange mode')
            if mode == 'connect' and ('expect' in v or 'weights' in v):
                self.err(f'{p}: connect mode takes no expect/weights')
            if mode != 'once' and ('repeat' in v or 'requestTimeout' in v):
                self.err(f'{p}: repeat/requestTimeout only in once mode')
            if 'weights' in v and ('expect' in v or mode):
                self.err(f'{p}: weights exclude expect and mode')
            if mode is None and 'weights' not in v and not (isinstance(exp, dict) and exp.get('backend')):
                self.err(f'{p}: full-exchange mode needs expect.backend')
            if mode == 'once' and isinstance(exp, dict) and set(exp) - {'backend', 'namespace'}:
                self.err(f'{p}.expect: once mode checks only backend/namespace')
        elif action == 'udp':
            if 'weights' in v:
                for k in ('expect', 'probes', 'onMismatch', 'within'):
                    if k in v:
                        self.err(f'{p}.{k}: not allowed with weights')
        for wk in ('weights',):
            if isinstance(v.get(wk), dict):
                total = sum(x for x in v[wk].values() if isinstance(x, (int, float)) and not isinstance(x, bool))
                if abs(total - 1.0) > 1e-6:
                    self.err(f'{p}.weights: shares sum to {total}, not 1')

    def semantic_http(self, v, p):
        mode = v.get('mode', 'consistent')
        default = v.get('default', {})
        cases = v.get('cases')
        if 'default' in v:
            self.check_object(default, 'HttpCase', '', f'{p}.default', require=False)
        if not isinstance(cases, list) or not cases:
            self.err(f'{p}.cases: at least one case required')
            return
        if 'repeat' in v and mode != 'once':
            self.err(f'{p}.repeat: only in once mode')
        special = [k for k in ('weights', 'mirrorDistribution') if k in v]
        if len(special) > 1:
            self.err(f'{p}: weights and mirrorDistribution exclude each other')
        if special:
            if len(cases) != 1:
                self.err(f'{p}: {special[0]} needs exactly one case')
            if 'mode' in v:
                self.err(f'{p}: {special[0]} takes no mode')
        for i, c in enumerate(cases):
            cp = f'{p}.cases[{i}]'
            if not isinstance(c, dict):
                self.err(f'{cp}: a case must be a map')
                continue
            merged = deep_merge(default, c) if isinstance(default, dict) else c
            self.check_object(merged, 'HttpCase', '', cp)
            req = merged.get('request') if isinstance(merged.get('request'), dict) else {}
            exp = merged.get('expect') if isinstance(merged.get('expect'), dict) else {}
            if req.get('scheme') == 'https':
                for k in ('sni', 'trust'):
                    if k not in req:
                        self.err(f'{cp}.request.{k}: required with scheme https')
            else:
                for k in ('sni', 'trust', 'clientCert'):
                    if k in req:
                        self.err(f'{cp}.request.{k}: only with scheme https')
            if req.get('protocol') == 'H2' and req.get('scheme') != 'https':
                self.err(f'{cp}.request.protocol: H2 requires https')
            if req.get('protocol') == 'H2C' and req.get('scheme') == 'https':
                self.err(f'{cp}.request.protocol: H2C requires http')
            if mode in ('failure', 'tlsFailure') and ('expect' in merged or 'mirrors' in merged):
                self.err(f'{cp}: expect/mirrors not allowed in {mode} mode')
            if mode == 'tlsFailure' and req.get('scheme') != 'https':
                self.err(f'{cp}: tlsFailure needs scheme https')
            if 'backendFromRequestHeader' in exp:
                if mode != 'once':
                    self.err(f'{cp}.expect.backendFromRequestHeader: once mode only')
                if set(exp) != {'backendFromRequestHeader'}:
                    self.err(f'{cp}.expect: backendFromRequestHeader excludes other keys')
            mirrors = merged.get('mirrors') or []
            if mirrors and not req.get('requestId'):
                self.err(f'{cp}: mirrors need request.requestId')
            for j, m in enumerate(mirrors if isinstance(mirrors, list) else []):
                if not isinstance(m, dict):
                    continue
                if 'mirrorDistribution' in v and 'percent' not in m:
                    self.err(f'{cp}.mirrors[{j}].percent: required with mirrorDistribution')
                if 'mirrorDistribution' not in v and 'percent' in m:
                    self.err(f'{cp}.mirrors[{j}].percent: only with mirrorDistribution')
            if 'mirrorDistribution' in v and not mirrors:
                self.err(f'{cp}: mirrorDistribution needs mirrors')
            if 'weights' in v and mirrors:
                self.err(f'{cp}.mirrors: not allowed with weights')

    def semantic_grpc(self, v, p):
        default = v.get('default', {})
        cases = v.get('cases')
        if 'default' in v:
            self.check_object(default, 'GrpcCase', '', f'{p}.default', require=False)
        if not isinstance(cases, list) or not cases:
            self.err(f'{p}.cases: at least one case required')
            return
        if 'weights' in v and len(cases) != 1:
            self.err(f'{p}: weights need exactly one case')
        for i, c in enumerate(cases):
            cp = f'{p}.cases[{i}]'
            if not isinstance(c, dict):
                self.err(f'{cp}: a case must be a map')
                continue
            merged = deep_merge(default, c) if isinstance(default, dict) else c
            self.check_object(merged, 'GrpcCase', '', cp)
            m = merged.get('method')
            if isinstance(m, str) and not re.match(r'^[A-Za-z0-9_.]+/[A-Za-z0-9_]+$', m):
                self.err(f'{cp}.method: expected <package.Service>/<Method>, got {m!r}')

    # ---------------------------------------------------------------- variables

    def check_vars(self, action, val, p):
        for name in _refs(val):
            if not VAR_NAME_RE.match(name):
                self.err(f'{p}: malformed variable reference ${{{name}}}')
            elif name not in self.bound and name not in PREDEFINED_VARS:
                self.err(f'{p}: variable ${{{name}}} is not bound by an earlier step')
        if not isinstance(val, dict):
            return
        if 'target' in val:
            t = val['target']
            m = TARGET_RE.match(t) if isinstance(t, str) else None
            if not m:
                self.err(f'{p}.{action}.target: expected "${{var}}" or "${{var}}:<port>", got {t!r}')
            elif m.group(1) in self.bound:
                has_port = self.bound[m.group(1)]
                if m.group(2) and has_port:
                    self.err(f'{p}.{action}.target: ${{{m.group(1)}}} already carries a port')
                if not m.group(2) and not has_port and action in PORTED_ACTIONS:
                    self.err(f'{p}.{action}.target: no port')
        if action in ('accepted', 'gatewayAddress') and isinstance(val.get('bind'), str):
            self.bound[val['bind']] = val.get('usePort', True) is not False
        if action == 'capture' and isinstance(val.get('as'), str):
            self.bound[val['as']] = False


def _refs(node):
    out = []
    if isinstance(node, str):
        out.extend(VAR_RE.findall(node))
    elif isinstance(node, dict):
        for v in node.values():
            out.extend(_refs(v))
    elif isinstance(node, list):
        for v in node:
            out.extend(_refs(v))
    return out
