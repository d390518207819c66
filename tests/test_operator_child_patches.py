"""The write path's patches: only the fields of the desired manifest that differ, lists
judged as subsets of their defaulted live form, fields of others left alone."""

from __future__ import annotations

from archivestream.operator import children

DESIRED = {
    "metadata": {"name": "api", "labels": {"a": "1"}},
    "spec": {
        "replicas": 2,
        "template": {"spec": {"containers": [{"name": "api", "image": "img:1"}]}},
    },
}


def test_defaults_and_foreign_fields_are_no_difference() -> None:
    live = {
        "metadata": {"name": "api", "labels": {"a": "1", "other": "x"}, "uid": "u"},
        "spec": {
            "replicas": 2,
            "revisionHistoryLimit": 10,
            "template": {
                "spec": {
                    "containers": [
                        {"name": "api", "image": "img:1", "imagePullPolicy": "IfNotPresent"}
                    ]
                }
            },
        },
        "status": {"readyReplicas": 2},
    }
    assert children.merge_patch(live, DESIRED) == {}


def test_only_differing_fields_are_patched_and_lists_replaced_whole() -> None:
    live = {
        "metadata": {"name": "api", "labels": {"a": "2"}},
        "spec": {
            "replicas": 5,
            "template": {"spec": {"containers": [{"name": "api", "image": "evil"}]}},
        },
    }
    assert children.merge_patch(live, DESIRED) == {
        "metadata": {"labels": {"a": "1"}},
        "spec": {
            "replicas": 2,
            "template": {"spec": {"containers": [{"name": "api", "image": "img:1"}]}},
        },
    }


def test_fields_others_own_are_left_out() -> None:
    live = {
        "metadata": {"name": "api", "labels": {"a": "1"}},
        "spec": {"replicas": 9, "template": DESIRED["spec"]["template"]},
    }
    desired = children.without(DESIRED, [("spec", "replicas")])
    assert children.merge_patch(live, desired) == {}
    assert DESIRED["spec"]["replicas"] == 2  # the desired manifest itself is untouched


def test_a_list_of_another_length_differs() -> None:
    assert not children.covers([1, 2], [1])
    assert children.covers([{"a": 1, "b": 2}], [{"a": 1}])
    assert not children.covers({"a": 1}, {"a": 1, "b": None})
