"""Loading case files (FORMAT §1.1) and selecting them (§3.1)."""
import glob
import os

import yaml

from .schema import Validator

PROFILE_CORE = {
    'GATEWAY-HTTP': ['Gateway', 'ReferenceGrant', 'HTTPRoute'],
    'GATEWAY-GRPC': ['Gateway', 'ReferenceGrant', 'GRPCRoute'],
    'GATEWAY-TLS': ['Gateway', 'ReferenceGrant', 'TLSRoute'],
    'GATEWAY-TCP': ['Gateway', 'ReferenceGrant', 'TCPRoute'],
    'GATEWAY-UDP': ['Gateway', 'ReferenceGrant', 'UDPRoute'],
}

_GATEWAY_EXT = ['GatewayPort8080', 'GatewayStaticAddresses', 'GatewayHTTPListenerIsolation',
                'GatewayHTTPSListenerDetectMisdirectedRequests', 'GatewayInfrastructurePropagation',
                'GatewayAddressEmpty', 'GatewayBackendClientCertificate', 'GatewayFrontendClientCertificateValidation',
                'GatewayFrontendClientCertificateValidationInsecureFallback', 'ListenerSet']
#: Extended features per profile (PORTING.md §1.1), used for the report's supported/unsupported feature lists.
PROFILE_EXTENDED = {
    'GATEWAY-HTTP': _GATEWAY_EXT + [
        'BackendTLSPolicy', 'BackendTLSPolicySANValidation', 'HTTPRouteDestinationPortMatching',
        'HTTPRouteBackendRequestHeaderModification', 'HTTPRouteQueryParamMatching', 'HTTPRouteMethodMatching',
        'HTTPRouteResponseHeaderModification', 'HTTPRoutePortRedirect', 'HTTPRouteSchemeRedirect',
        'HTTPRoutePathRedirect', 'HTTPRouteHostRewrite', 'HTTPRoutePathRewrite', 'HTTPRouteRequestMirror',
        'HTTPRouteRequestMultipleMirrors', 'HTTPRouteRequestPercentageMirror', 'HTTPRouteRequestTimeout',
        'HTTPRouteBackendTimeout', 'HTTPRouteParentRefPort', 'HTTPRouteBackendProtocolH2C',
        'HTTPRouteBackendProtocolWebSocket', 'HTTPRouteNamedRouteRule', 'HTTPRouteCORS',
        'HTTPRoute303RedirectStatusCode', 'HTTPRoute307RedirectStatusCode', 'HTTPRoute308RedirectStatusCode',
        'HTTPRouteRetry', 'HTTPRouteRetryBackendTimeout', 'HTTPRouteRetryConnectionError'],
    'GATEWAY-GRPC': list(_GATEWAY_EXT),
    'GATEWAY-TLS': _GATEWAY_EXT + ['TLSRouteModeTerminate', 'TLSRouteModeMixed'],
    'GATEWAY-TCP': list(_GATEWAY_EXT),
    'GATEWAY-UDP': list(_GATEWAY_EXT),
}


class Case:
    def __init__(self, path, doc=None, errors=None):
        self.path = path
        self.doc = doc if isinstance(doc, dict) else {}
        self.errors = errors or []
        d = self.doc
        self.name = d.get('case') if isinstance(d.get('case'), str) else os.path.basename(path)
        self.features = list(d.get('features') or [])
        self.profiles = dict(d.get('profiles') or {}) if isinstance(d.get('profiles'), dict) else {}
        self.provisional = bool(d.get('provisional'))
        self.run_if = d.get('runIf') or {}
        self.manifests = list(d.get('manifests') or [])
        self.steps = d.get('steps') or []

    def __repr__(self):
        return f'Case({self.name})'


def load_case(path, validator):
    try:
        with open(path, encoding='utf-8') as f:
            doc = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        return Case(path, None, [f'cannot load: {e}'])
    errors = validator.validate(doc)
    return Case(path, doc, errors)


def load_cases(cases_dir, shapes, upstream=None):
    """Load and validate every *.case.yaml of cases_dir (sorted by file name)."""
    v = Validator(shapes, upstream)
    files = sorted(glob.glob(os.path.join(cases_dir, '*.case.yaml')))
    return [load_case(f, v) for f in files]


def selection(case, supported, explicit=False):
    """Return None when the case runs, else the reason it is skipped (§3.1)."""
    if not explicit:
        missing = [f for f in case.features if f not in supported]
        if missing:
            return f'unsupported features: {", ".join(missing)}'
    need = (case.run_if or {}).get('supported') or []
    forbid = (case.run_if or {}).get('unsupported') or []
    miss = [f for f in need if f not in supported]
    if miss:
        return f'runIf.supported not met: {", ".join(miss)}'
    have = [f for f in forbid if f in supported]
    if have:
        return f'runIf.unsupported not met: {", ".join(have)} supported'
    return None
