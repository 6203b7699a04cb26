"""The captured kernel payloads of tests/outputs_corpus (real marimo outputs), for the tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from marimo_tui.runtime.outputs import Output, convert_output

CORPUS = Path(__file__).parent / "outputs_corpus"
PNG = b"\x89PNG\r\n\x1a\n"


def fixture(case: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CORPUS / f"{case}.json").read_text())
    return data


def output_of(case: str) -> Output:
    """The case's output converted (its console not applied)."""
    out = fixture(case)["output"]
    return convert_output(out["mimetype"], out["data"])
