"""Configurable timeouts (FORMAT §10)."""

DEFAULTS = {
    'DefaultPollInterval': 0.1,
    'GWCMustBeAccepted': 180.0,
    'GatewayMustHaveAddress': 180.0,
    'GatewayMustHaveCondition': 180.0,
    'ListenerSetMustHaveCondition': 180.0,
    'NamespacesMustBeReady': 300.0,
    'RouteMustHaveParents': 60.0,
    'HTTPRouteMustHaveCondition': 60.0,
    'TLSRouteMustHaveCondition': 60.0,
    'TCPRouteMustHaveCondition': 60.0,
    'UDPRouteMustHaveCondition': 60.0,
    'GatewayListenersMustHaveConditions': 60.0,
    'ListenerSetListenersMustHaveConditions': 60.0,
    'GatewayStatusMustHaveListeners': 60.0,
    'HTTPRouteMustNotHaveParents': 60.0,
    'LatestObservedGenerationSet': 60.0,
    'DefaultTestTimeout': 60.0,
    'CreateTimeout': 60.0,
    'DeleteTimeout': 10.0,
    'GetTimeout': 10.0,
    'MaxTimeToConsistency': 30.0,
    'RequiredConsecutiveSuccesses': 3,
    'RequestTimeout': 10.0,
    'TestIsolation': 0.0,
}


class Timeouts(dict):
    """dict of name -> seconds (RequiredConsecutiveSuccesses is a count)."""

    def __init__(self, overrides=''):
        super().__init__(DEFAULTS)
        if overrides:
            self.update(parse_overrides(overrides))

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def parse_overrides(text):
    """`Name:seconds;Name:seconds` -> dict; unknown names and bad numbers raise ValueError."""
    out = {}
    for part in text.split(';'):
        part = part.strip()
        if not part:
            continue
        if ':' not in part:
            raise ValueError(f'timeout override {part!r}: expected Name:seconds')
        name, val = (x.strip() for x in part.split(':', 1))
        if name not in DEFAULTS:
            raise ValueError(f'unknown timeout name {name!r}')
        try:
            num = float(val)
        except ValueError:
            raise ValueError(f'timeout override {part!r}: {val!r} is not a number') from None
        if num < 0:
            raise ValueError(f'timeout override {part!r}: negative')
        out[name] = int(num) if name == 'RequiredConsecutiveSuccesses' else num
    return out
