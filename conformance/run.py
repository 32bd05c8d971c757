#!/usr/bin/python3
"""Local Gateway API conformance runner for Gatehouse. See conformance/README.md."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from conformance.runner.cli import main  # noqa: E402

if __name__ == '__main__':
    sys.exit(main())
