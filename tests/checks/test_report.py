"""Report output: the console table, JSON records, the HTML and Markdown report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from theory.checks import CheckResult, ErrorModel, format_table, write_json, write_report


def test_table_json_and_report(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    r1 = CheckResult.compare(
        "a", 1.0, 1.01, ErrorModel("demo", 0.1), figures=[fig], details={"arr": np.arange(3)}
    )
    r2 = CheckResult.compare("b", 1.0, 2.0, ErrorModel("demo", 0.1))
    table = format_table([r1, r2])
    assert "PASS" in table and "FAIL" in table and table.strip().endswith("1 passed, 1 failed")
    recs = json.loads(write_json([r1, r2], tmp_path / "out.json").read_text())
    assert [
        set(r) >= {"name", "theory", "simulation", "error", "tolerance", "passed"} for r in recs
    ] == [True, True]
    assert recs[0]["passed"] is True and recs[1]["passed"] is False
    index = write_report([r1, r2], tmp_path / "report")
    html = index.read_text()
    assert "data:image/png;base64" in html and "FAIL" in html
    assert (tmp_path / "report" / "report.md").exists()
