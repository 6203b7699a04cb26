"""The launch request as users type it (CLI flags, the dialog's fields, the agent's arguments)
and Dagster's refusals as one line each: no server needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from marimo_tui.dagster.errors import result_error
from marimo_tui.dagster.launch_request import (
    LAUNCH_ID_TAG,
    PARTITION_TAG,
    LaunchRequest,
    RequestError,
    config_from_file,
    config_from_json,
    merge_config,
    parse_range,
    parse_tags,
)
from marimo_tui.tui.screens.launch_dialog import parse_target


def test_a_request_is_assets_or_a_job_with_one_kind_of_partition() -> None:
    with pytest.raises(RequestError, match="assets or a job"):
        LaunchRequest()
    with pytest.raises(RequestError, match="assets or a job"):
        LaunchRequest(assets=(("a",),), job="j")
    with pytest.raises(RequestError, match="not both"):
        LaunchRequest(assets=(("a",),), partition="x", partition_range=("x", "y"))
    with pytest.raises(RequestError, match="not a job"):
        LaunchRequest(job="j", partition_range=("x", "y"))
    with pytest.raises(RequestError, match="twice"):
        LaunchRequest(assets=(("a",), ("a",)))


def test_tags_carry_the_partition_and_a_launch_id_the_user_cannot_override() -> None:
    one = LaunchRequest(
        assets=(("daily",),), partition="2024-01-02", tags={LAUNCH_ID_TAG: "mine", "t": "1"}
    )
    two = LaunchRequest(assets=(("daily",),))
    tags = one.all_tags()
    assert tags[PARTITION_TAG] == "2024-01-02" and tags["t"] == "1"
    assert tags[LAUNCH_ID_TAG] == one.launch_id != "mine"
    assert one.launch_id != two.launch_id and PARTITION_TAG not in two.all_tags()
    assert one.describe() == "daily [2024-01-02]"
    assert LaunchRequest(job="j").describe() == "job j"
    ranged = LaunchRequest(assets=(("a", "b"), ("c",)), partition_range=("x", "y"))
    assert ranged.describe() == "a/b, c [x...y]" and ranged.is_backfill


def test_what_users_type() -> None:
    assert parse_tags(["team=data", "empty=", "eq=a=b"]) == {
        "team": "data",
        "empty": "",
        "eq": "a=b",
    }
    with pytest.raises(RequestError, match="KEY=VALUE"):
        parse_tags(["novalue"])
    assert parse_range("2024-01-02...2024-01-05") == ("2024-01-02", "2024-01-05")
    for bad in ("2024-01-02", "...b", "a..."):
        with pytest.raises(RequestError, match=r"START\.\.\.END"):
            parse_range(bad)
    with pytest.raises(RequestError, match="not JSON"):
        config_from_json("{ops:")
    with pytest.raises(RequestError, match="mapping"):
        config_from_json("[1]")
    assert parse_target("job greet_job") == ((), "greet_job")
    assert parse_target("pair/left, pair/right") == ((("pair", "left"), ("pair", "right")), None)
    with pytest.raises(RequestError, match="name an asset"):
        parse_target("  ")


def test_config_files_merge_under_json_and_say_where_yaml_is_wrong(tmp_path: Path) -> None:
    good = tmp_path / "run.yaml"
    good.write_text("ops:\n  a:\n    config:\n      rows: 5\n      label: file\n")
    merged = merge_config(
        config_from_file(good), config_from_json('{"ops": {"a": {"config": {"label": "json"}}}}')
    )
    assert merged == {"ops": {"a": {"config": {"rows": 5, "label": "json"}}}}
    bad = tmp_path / "bad.yaml"
    bad.write_text("ops:\n  a: [\n")
    with pytest.raises(RequestError, match=r"bad\.yaml: .*\(line \d+\)"):
        config_from_file(bad)
    with pytest.raises(RequestError, match=r"missing\.yaml"):
        config_from_file(tmp_path / "missing.yaml")


def test_dagsters_refusals_are_named_one_line_each() -> None:
    config = result_error(
        {
            "__typename": "RunConfigValidationInvalid",
            "errors": [
                {
                    "message": 'Missing required config entry "rows" at path root:ops:a:config.',
                    "reason": "MISSING_REQUIRED_FIELD",
                    "stack": {
                        "entries": [
                            {"fieldName": "ops"},
                            {"fieldName": "a"},
                            {"fieldName": "config"},
                        ]
                    },
                },
                {
                    "message": "Invalid scalar\nat two lines",
                    "reason": "RUNTIME_TYPE_MISMATCH",
                    "stack": {"entries": [{"fieldName": "xs"}, {"listIndex": 2}]},
                },
            ],
        },
        "launching a",
    )
    assert str(config).splitlines() == [
        "launching a: invalid run config (2 errors):",
        '  ops.a.config: MISSING_REQUIRED_FIELD: Missing required config entry "rows" at path '
        "root:ops:a:config.",
        "  xs[2]: RUNTIME_TYPE_MISMATCH: Invalid scalar at two lines",
    ]
    subset = result_error(
        {
            "__typename": "InvalidSubsetError",
            "message": "dagster._core.errors.DagsterInvalidSubsetError: cannot subset graph_pair",
        },
        "launching pair/left",
    )
    assert str(subset) == (
        "launching pair/left: invalid asset selection: DagsterInvalidSubsetError: "
        "cannot subset graph_pair"
    )
    keys = result_error(
        {
            "__typename": "PartitionKeysNotFoundError",
            "message": "Partition keys not found",
            "partitionKeys": ["2030-01-01"],
        },
        "launching daily",
    )
    assert "PartitionKeyNotFound: 2030-01-01" in str(keys) and "\n" not in str(keys)
