"""Pure helpers shared by the runner: durations, variables, field paths, merging, references.

Everything here is side-effect free so it can be unit-tested without a gateway.
"""
import copy
import re

GATEWAY_GROUP = 'gateway.networking.k8s.io'

#: Kinds in API group gateway.networking.k8s.io (FORMAT §1.3).
GATEWAY_KINDS = ('GatewayClass', 'Gateway', 'ListenerSet', 'HTTPRoute', 'GRPCRoute', 'TLSRoute', 'TCPRoute',
                 'UDPRoute', 'ReferenceGrant', 'BackendTLSPolicy')
#: Kinds the gateway's admin endpoint serves (§2.2); everything else is read from the runner's own copy.
ADMIN_KINDS = ('GatewayClass', 'Gateway', 'ListenerSet', 'HTTPRoute', 'GRPCRoute', 'TLSRoute', 'TCPRoute',
               'UDPRoute', 'BackendTLSPolicy', 'ReferenceGrant')
CLUSTER_KINDS = ('GatewayClass', 'Namespace')


class CaseError(Exception):
    """The runner cannot execute the case file (result *error*, FORMAT §3.3)."""


class StepFailed(Exception):
    """A step failed (result *fail*)."""


# ---------------------------------------------------------------------------------------------------------------
# Durations (§1.4)
# ---------------------------------------------------------------------------------------------------------------

_DURATION_RE = re.compile(r'^(\d+(?:\.\d+)?)(ms|s|m)?$')


def parse_duration(value):
    """Return seconds (float) for `100ms`, `1s`, `2m` or a bare number (seconds)."""
    if isinstance(value, bool):
        raise ValueError(f'not a duration: {value!r}')
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(f'negative duration: {value!r}')
        return float(value)
    if not isinstance(value, str):
        raise ValueError(f'not a duration: {value!r}')
    m = _DURATION_RE.match(value.strip())
    if not m:
        raise ValueError(f'not a duration: {value!r}')
    n = float(m.group(1))
    unit = m.group(2) or 's'
    return n / 1000.0 if unit == 'ms' else n * 60.0 if unit == 'm' else n


# ---------------------------------------------------------------------------------------------------------------
# Variables (§1.6)
# ---------------------------------------------------------------------------------------------------------------

VAR_RE = re.compile(r'\$\{([^}]*)\}')


def substitute(node, variables):
    """Replace every ${name} inside string scalars (not map keys) of node; returns a new structure.

    An unbound name raises CaseError.
    """
    if isinstance(node, str):
        def repl(m):
            name = m.group(1)
            if name not in variables:
                raise CaseError(f'unbound variable ${{{name}}}')
            return str(variables[name])
        return VAR_RE.sub(repl, node)
    if isinstance(node, dict):
        return {k: substitute(v, variables) for k, v in node.items()}
    if isinstance(node, list):
        return [substitute(v, variables) for v in node]
    return node


def referenced_vars(node):
    """All variable names referenced in string scalars of node."""
    out = set()
    if isinstance(node, str):
        out.update(VAR_RE.findall(node))
    elif isinstance(node, dict):
        for v in node.values():
            out |= referenced_vars(v)
    elif isinstance(node, list):
        for v in node:
            out |= referenced_vars(v)
    return out


# ---------------------------------------------------------------------------------------------------------------
# Merging (§8.1 deep merge of `default`, §7.2 JSON merge patch)
# ---------------------------------------------------------------------------------------------------------------

def deep_merge(base, override):
    """Maps merge recursively; on scalars and lists `override` wins. Inputs are not modified."""
    if isinstance(base, dict) and isinstance(override, dict):
        out = copy.deepcopy(base)
        for k, v in override.items():
            out[k] = deep_merge(base[k], v) if k in base else copy.deepcopy(v)
        return out
    return copy.deepcopy(override)


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


# ---------------------------------------------------------------------------------------------------------------
# Field paths (§6.12): a.b[0].c, data["ca.crt"]
# ---------------------------------------------------------------------------------------------------------------

_TOKEN_RE = re.compile(r'\["([^"]+)"\]|\[(\d+)\]|\.?([A-Za-z_][\w-]*)')


def parse_field_path(path):
    """Split a field path into a list of str (map key) / int (list index) tokens."""
    tokens, pos = [], 0
    while pos < len(path):
        m = _TOKEN_RE.match(path, pos)
        if not m or m.end() == pos:
            raise ValueError(f'malformed field path {path!r} at {pos}')
        if m.group(3) is not None and pos == 0 and path[0] == '.':
            raise ValueError(f'malformed field path {path!r}')
        if m.group(1) is not None:
            tokens.append(m.group(1))
        elif m.group(2) is not None:
            tokens.append(int(m.group(2)))
        else:
            if pos > 0 and path[pos] != '.':
                raise ValueError(f'malformed field path {path!r} at {pos}')
            tokens.append(m.group(3))
        pos = m.end()
    if not tokens:
        raise ValueError('empty field path')
    return tokens


_MISSING = object()


def get_field(obj, path):
    """Value at path or raise KeyError."""
    cur = obj
    for t in parse_field_path(path):
        if isinstance(t, int):
            if not isinstance(cur, list) or t >= len(cur):
                raise KeyError(path)
            cur = cur[t]
        else:
            if not isinstance(cur, dict) or t not in cur:
                raise KeyError(path)
            cur = cur[t]
    return cur


def field_as_string(value):
    """String form of a captured field (§6.12): integers in decimal."""
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, (int, float, str)):
        return str(value)
    raise ValueError(f'field value is not a scalar: {value!r}')


def set_field(obj, path, value):
    """Set the value at path, creating missing maps (lists must exist up to the index)."""
    tokens = parse_field_path(path)
    cur = obj
    for i, t in enumerate(tokens):
        last = i == len(tokens) - 1
        if isinstance(t, int):
            if not isinstance(cur, list) or t >= len(cur):
                raise KeyError(f'{path}: no list element [{t}]')
            if last:
                cur[t] = copy.deepcopy(value)
            else:
                if not isinstance(cur[t], (dict, list)):
                    cur[t] = {}
                cur = cur[t]
        else:
            if not isinstance(cur, dict):
                raise KeyError(f'{path}: {t!r} is not inside a map')
            if last:
                cur[t] = copy.deepcopy(value)
            else:
                nxt = tokens[i + 1]
                if t not in cur or not isinstance(cur[t], (dict, list)):
                    if isinstance(nxt, int):
                        raise KeyError(f'{path}: no list at {t!r}')
                    cur[t] = {}
                cur = cur[t]


def get_list_for_edit(obj, path, create):
    """The list at path (created as [] when absent and create is true)."""
    try:
        cur = get_field(obj, path)
    except KeyError:
        if not create:
            raise
        set_field(obj, path, [])
        cur = get_field(obj, path)
    if cur is None and create:
        set_field(obj, path, [])
        cur = get_field(obj, path)
    if not isinstance(cur, list):
        raise KeyError(f'{path} is not a list')
    return cur


# ---------------------------------------------------------------------------------------------------------------
# Object references (§1.3)
# ---------------------------------------------------------------------------------------------------------------

def parse_ref(ref):
    """`Kind/ns/name` or `GatewayClass/name` -> (kind, namespace, name); namespace '' for cluster kinds."""
    if not isinstance(ref, str):
        raise CaseError(f'malformed reference {ref!r}')
    parts = ref.split('/')
    if len(parts) == 2 and parts[0] in CLUSTER_KINDS and parts[1]:
        return parts[0], '', parts[1]
    if len(parts) == 3 and all(parts):
        return parts[0], parts[1], parts[2]
    raise CaseError(f'malformed reference {ref!r}')


def parse_nsname(value):
    if not isinstance(value, str) or value.count('/') != 1:
        raise CaseError(f'malformed namespace/name {value!r}')
    ns, name = value.split('/')
    if not ns or not name:
        raise CaseError(f'malformed namespace/name {value!r}')
    return ns, name


def obj_key(obj):
    """(kind, namespace, name) of a Kubernetes object ('' namespace for cluster-scoped kinds)."""
    kind = obj.get('kind', '')
    md = obj.get('metadata') or {}
    ns = '' if kind in CLUSTER_KINDS else (md.get('namespace') or 'default')
    return kind, ns, md.get('name', '')


def key_str(key):
    kind, ns, name = key
    return f'{kind}/{ns}/{name}' if ns else f'{kind}/{name}'


# ---------------------------------------------------------------------------------------------------------------
# Misc
# ---------------------------------------------------------------------------------------------------------------

def strip_pod_hash(pod):
    """Pod name without its last two '-'-separated segments (§2.5, §9.1)."""
    parts = pod.split('-')
    if len(parts) < 3:
        return ''
    return '-'.join(parts[:-2])


def canonical_header_name(name):
    """Go's textproto.CanonicalMIMEHeaderKey: x-foo-bar -> X-Foo-Bar (unchanged if it has invalid bytes)."""
    for ch in name:
        if not (ch.isalnum() or ch in "!#$%&'*+-.^_`|~") or ord(ch) > 127:
            return name
    out, upper = [], True
    for ch in name:
        out.append(ch.upper() if upper else ch.lower())
        upper = ch == '-'
    return ''.join(out)


def split_target(target, default_port=None):
    """'host:port' / '[v6]:port' / 'host' -> (host, port or default_port)."""
    if target.startswith('['):
        end = target.index(']')
        host = target[1:end]
        rest = target[end + 1:]
        port = int(rest[1:]) if rest.startswith(':') else default_port
        return host, port
    if target.count(':') == 1:
        host, port = target.split(':')
        return host, int(port)
    return target, default_port


def join_host_port(host, port):
    if ':' in host:
        return f'[{host}]:{port}'
    return f'{host}:{port}'
