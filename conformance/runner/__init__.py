"""Gatehouse local conformance runner: executes the Gateway API v1.6.1 conformance case files
(../shared/conformance/FORMAT.md) against the gatehouse binary without Kubernetes."""
