"""The object validation of kube-apiserver that tests of derived names and labels depend on:
object names per kind (DNS-1123 subdomain or label, DNS-1035 label for Services), label keys and
values, annotation size, and the Deployment selector/template rules. Messages are the real ones
(k8s.io/apimachinery/pkg/util/validation)."""

from __future__ import annotations

import json
import re
from typing import Optional

from . import schema
from .errors import ApiError
from .kinds import ResourceType

_LABEL_1123 = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN_1123 = _LABEL_1123 + r"(\." + _LABEL_1123 + ")*"
_LABEL_1035 = "[a-z]([-a-z0-9]*[a-z0-9])?"
_QUALIFIED_NAME = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?"
TOTAL_ANNOTATION_SIZE = 256 * 1024


def _regex_error(msg: str, regex: str, *examples: str) -> str:
    """validation.RegexError, double space before "or" included."""
    return msg + " (e.g. " + " or ".join(f"'{e}', " for e in examples) + f"regex used for validation is '{regex}')"


def _max_len(value: str, limit: int) -> list[str]:
    return [f"must be no more than {limit} characters"] if len(value) > limit else []


def dns1123_label(value: str) -> list[str]:
    return _max_len(value, 63) + ([] if re.fullmatch(_LABEL_1123, value) else [_regex_error(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
        "end with an alphanumeric character", _LABEL_1123, "my-name", "123-abc")])


def dns1123_subdomain(value: str) -> list[str]:
    return _max_len(value, 253) + ([] if re.fullmatch(_SUBDOMAIN_1123, value) else [_regex_error(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
        "start and end with an alphanumeric character", _SUBDOMAIN_1123, "example.com")])


def dns1035_label(value: str) -> list[str]:
    return _max_len(value, 63) + ([] if re.fullmatch(_LABEL_1035, value) else [_regex_error(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
        "character, and end with an alphanumeric character", _LABEL_1035, "my-name", "abc-123")])


def path_segment(value: str) -> list[str]:
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{c}'" for c in ("/", "%") if c in value]


def qualified_name(key: str) -> list[str]:
    """A label or annotation key: an optional DNS subdomain prefix and a name of at most 63."""
    prefix, _, name = key.rpartition("/")
    errs = [f"prefix part {e}" for e in dns1123_subdomain(prefix)] if prefix else []
    if not name:
        return errs + ["name part must be non-empty"]
    errs += [f"name part {e}" for e in _max_len(name, 63)]
    if not re.fullmatch(_QUALIFIED_NAME, name):
        errs.append("name part " + _regex_error(
            "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
            "character", _QUALIFIED_NAME, "MyName", "my.name", "123-abc"))
    return errs


def label_value(value: str) -> list[str]:
    return _max_len(value, 63) + ([] if re.fullmatch(_LABEL_VALUE, value) else [_regex_error(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
        "start and end with an alphanumeric character", _LABEL_VALUE, "MyValue", "my_value", "12345")])


def _name_rule(rt: ResourceType):
    if rt.key == ("", "namespaces"):
        return dns1123_label
    if rt.key == ("", "services"):
        return dns1035_label
    if rt.group == "rbac.authorization.k8s.io":
        return path_segment
    return dns1123_subdomain


def _quote(value) -> str:
    return json.dumps(value) if isinstance(value, str) else str(value)


class _Causes:
    def __init__(self):
        self.items: list[tuple[str, str]] = []  # (field, message)

    def invalid(self, field: str, value, errs: list[str]) -> None:
        self.items += [(field, f"Invalid value: {_quote(value)}: {e}") for e in errs]

    def labels(self, field: str, labels: Optional[dict]) -> None:
        for key, value in (labels or {}).items():
            self.invalid(field, key, qualified_name(key))
            self.invalid(field, value, label_value(str(value)))


def validate(rt: ResourceType, obj: dict) -> None:
    """Raises 422 Invalid, listing every cause, when obj would be refused by kube-apiserver."""
    meta = obj["metadata"]
    causes = _Causes()
    causes.invalid("metadata.name", meta["name"], _name_rule(rt)(meta["name"]))
    causes.labels("metadata.labels", meta.get("labels"))
    annotations = meta.get("annotations") or {}
    for key in annotations:
        causes.invalid("metadata.annotations", key, qualified_name(key))
    if sum(len(k) + len(str(v)) for k, v in annotations.items()) > TOTAL_ANNOTATION_SIZE:
        causes.items.append(("metadata.annotations", f"Too long: must have at most {TOTAL_ANNOTATION_SIZE} bytes"))
    if rt.key == ("apiextensions.k8s.io", "customresourcedefinitions"):
        _crd(meta["name"], obj.get("spec") or {}, causes)
    elif rt.key == ("apps", "deployments"):
        _deployment(obj.get("spec") or {}, causes)
    elif rt.key == ("", "services"):
        causes.labels("spec.selector", (obj.get("spec") or {}).get("selector"))
    causes.items += schema.validate(obj, rt.schema)
    if causes.items:
        raise _invalid(rt, meta["name"], causes.items)


def _crd(name: str, spec: dict, causes: _Causes) -> None:
    names = spec.get("names") or {}
    for field, value in (("spec.group", spec.get("group")), ("spec.names.plural", names.get("plural")),
                         ("spec.names.kind", names.get("kind"))):
        if not value:
            causes.items.append((field, "Required value"))
    if spec.get("scope") not in ("Namespaced", "Cluster"):
        causes.items.append(("spec.scope", f'Unsupported value: {_quote(spec.get("scope", ""))}: supported values: '
                                           '"Cluster", "Namespaced"'))
    versions = spec.get("versions") or []
    if not versions:
        causes.items.append(("spec.versions", "Invalid value: []: must have exactly one version marked as storage "
                                              "version"))
    elif sum(1 for v in versions if v.get("storage")) != 1:
        causes.items.append(("spec.versions", "Invalid value: must have exactly one version marked as storage version"))
    if name != f"{names.get('plural')}.{spec.get('group')}":
        causes.items.append(("metadata.name", f'Invalid value: "{name}": must be spec.names.plural+"."+spec.group'))


def _deployment(spec: dict, causes: _Causes) -> None:
    template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    causes.labels("spec.template.metadata.labels", template_labels)
    selector = (spec.get("selector") or {}).get("matchLabels")
    if not spec.get("selector"):
        causes.items.append(("spec.selector", "Required value"))
    elif selector and any(template_labels.get(k) != v for k, v in selector.items()):
        go_map = "map[string]string{" + ", ".join(f'"{k}":"{v}"' for k, v in sorted(template_labels.items())) + "}"
        causes.items.append(("spec.template.metadata.labels",
                             f"Invalid value: {go_map}: `selector` does not match template `labels`"))
    for i, c in enumerate(((spec.get("template") or {}).get("spec") or {}).get("containers") or []):
        causes.invalid(f"spec.template.spec.containers[{i}].name", c.get("name", ""), dns1123_label(c.get("name", "")))


_CAUSE_REASONS = {"Invalid value": "FieldValueInvalid", "Required value": "FieldValueRequired",
                  "Too long": "FieldValueTooLong", "Too many": "FieldValueTooMany",
                  "Unsupported value": "FieldValueNotSupported"}


def _invalid(rt: ResourceType, name: str, items: list[tuple[str, str]]) -> ApiError:
    qualified = f"{rt.kind}.{rt.group}" if rt.group else rt.kind
    texts = [f"{f}: {m}" for f, m in items]
    summary = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    causes = [{"reason": _CAUSE_REASONS.get(m.split(":")[0], "FieldValueInvalid"), "message": m, "field": f}
              for f, m in items]
    details = {"name": name, "kind": rt.kind, "causes": causes}
    if rt.group:
        details["group"] = rt.group
    return ApiError(422, "Invalid", f'{qualified} "{name}" is invalid: {summary}', details)
