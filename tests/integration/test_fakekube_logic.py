"""The fake Kubernetes API server's selector and patch logic on its own (tests/fakekube): label
selector operators, RFC 7386 merge patch, RFC 6902 JSON patch, strategic merge and the server-side
apply approximation."""

from __future__ import annotations

import unittest

from tests.fakekube import patch, selectors
from tests.fakekube.errors import ApiError


class SelectorLogicTest(unittest.TestCase):
    def match(self, selector: str, labels: dict) -> bool:
        return selectors.parse_labels(selector)({"metadata": {"labels": labels}})

    def test_label_operators(self):
        cases = [("a=b", {"a": "b"}, True), ("a==b", {"a": "c"}, False), ("a!=b", {}, True),
                 ("a in (x, y)", {"a": "y"}, True), ("a notin (x)", {"a": "x"}, False), ("a", {"a": ""}, True),
                 ("!a", {"a": "1"}, False), ("a=b,c", {"a": "b"}, False), ("", {}, True)]
        for selector, labels, want in cases:
            self.assertEqual(self.match(selector, labels), want, (selector, labels))

    def test_bad_label_selector_is_a_bad_request(self):
        with self.assertRaises(ApiError) as ctx:
            selectors.parse_labels("a b")
        self.assertEqual(ctx.exception.code, 400)


class PatchLogicTest(unittest.TestCase):
    def test_merge_patch_rfc7386(self):
        self.assertEqual(patch.merge_patch({"a": {"b": 1, "c": 2}, "l": [1]}, {"a": {"b": None, "d": 3}, "l": [2]}),
                         {"a": {"c": 2, "d": 3}, "l": [2]})

    def test_json_patch_rfc6902(self):
        doc = {"spec": {"items": ["a", "b"]}}
        out = patch.json_patch(doc, [{"op": "add", "path": "/spec/items/-", "value": "c"},
                                     {"op": "remove", "path": "/spec/items/0"},
                                     {"op": "add", "path": "/spec/x", "value": 0},
                                     {"op": "replace", "path": "/spec/x", "value": 1},
                                     {"op": "move", "from": "/spec/x", "path": "/spec/y"},
                                     {"op": "test", "path": "/spec/y", "value": 1}])
        self.assertEqual(out, {"spec": {"items": ["b", "c"], "y": 1}})
        with self.assertRaises(ApiError):
            patch.json_patch(doc, [{"op": "test", "path": "/spec/items/0", "value": "z"}])

    def test_strategic_merge_merges_containers_by_name_and_ports_by_container_port(self):
        live = {"spec": {"containers": [{"name": "a", "image": "a:1", "ports": [{"containerPort": 80}]},
                                        {"name": "b", "image": "b:1"}]}}
        out = patch.strategic_merge_patch(live, {"spec": {"containers": [
            {"name": "a", "image": "a:2", "ports": [{"containerPort": 443}]}, {"name": "b", "$patch": "delete"}]}})
        self.assertEqual(out, {"spec": {"containers": [
            {"name": "a", "image": "a:2", "ports": [{"containerPort": 80}, {"containerPort": 443}]}]}})

    def test_strategic_merge_directives(self):
        live = {"metadata": {"finalizers": ["x", "y"]}, "spec": {"args": ["1"], "m": {"k": "v"}}}
        out = patch.strategic_merge_patch(live, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["x"]},
                                                 "spec": {"args": ["2"], "m": {"$patch": "replace", "n": "w"}}})
        self.assertEqual(out, {"metadata": {"finalizers": ["y"]}, "spec": {"args": ["2"], "m": {"n": "w"}}})

    def test_apply_removes_fields_the_manager_stopped_applying_and_keeps_others(self):
        live = {"metadata": {"labels": {"mine": "1", "theirs": "2"}}, "spec": {"a": 1}}
        out = patch.apply_patch(live, previous_applied={"metadata": {"labels": {"mine": "1"}}, "spec": {"a": 1}},
                                applied={"spec": {"a": 2}}, strategic=False)
        self.assertEqual(out, {"metadata": {"labels": {"theirs": "2"}}, "spec": {"a": 2}})


if __name__ == "__main__":
    unittest.main()
