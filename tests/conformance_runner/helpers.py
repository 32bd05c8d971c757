"""Shared test helpers: locations of the shared corpus (tests needing it are skipped when it is absent)."""
import os

from conformance.runner.cli import find_shared

SHARED_CASES = find_shared('conformance', 'cases')
SHARED_FORMAT = find_shared('conformance', 'FORMAT.md')
SHARED_UPSTREAM = find_shared('gateway-api', 'v1.6.1', 'conformance')
SHARED_CHECKER = find_shared('conformance', 'check_corpus.py')
HAVE_SHARED = os.path.isdir(SHARED_CASES) and os.path.isfile(SHARED_FORMAT)


class FakeResponse:
    def __init__(self, status, headers=(), body=b''):
        self.status = status
        self.headers = list(headers)
        self.body = body

    def header_values(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def header(self, name):
        v = self.header_values(name)
        return v[0] if v else None
