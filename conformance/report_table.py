#!/usr/bin/env python3
"""Prints the README's conformance table (Markdown) from a ConformanceReport YAML file."""
import sys

import yaml


def main(path):
    with open(path) as f:
        report = yaml.safe_load(f)
    print(f"Gateway API {report['gatewayAPIVersion']}, local run of {report['date']} "
          f"(`make conformance`, report in `{path}`):\n")
    print('| profile | core passed / failed / skipped | extended passed / failed / skipped | extended features |')
    print('|---|---|---|---|')
    for p in report['profiles']:
        core = p['core']['statistics']
        ext = p.get('extended', {}).get('statistics', {'Passed': 0, 'Failed': 0, 'Skipped': 0})
        features = len(p.get('extended', {}).get('supportedFeatures', []))
        missing = len(p.get('extended', {}).get('unsupportedFeatures', []))
        print(f"| {p['name']} | {core['Passed']} / {core['Failed']} / {core['Skipped']} "
              f"| {ext['Passed']} / {ext['Failed']} / {ext['Skipped']} | {features} of {features + missing} |")


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'out/conformance-report.yaml')
