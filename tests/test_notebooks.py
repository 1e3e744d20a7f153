"""Every notebook (jupytext percent script in notebooks/) executes at small sizes, and its paired
.ipynb holds the same cells."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.py"))


@pytest.mark.parametrize("script", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(script: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("THEORY_QUICK", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = jupytext.read(script)
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors


@pytest.mark.parametrize("script", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_paired_ipynb_in_sync(script: Path) -> None:
    jupytext = pytest.importorskip("jupytext")
    paired = script.with_suffix(".ipynb")
    assert paired.exists(), f"run: jupytext --to ipynb {script}"
    src = [c.source.strip() for c in jupytext.read(script).cells]
    ipy = [c.source.strip() for c in jupytext.read(paired).cells]
    assert src == ipy, f"{paired.name} is out of sync: run jupytext --to ipynb {script}"


def test_there_are_notebooks() -> None:
    assert any(p.stem == "classical_rnn" for p in NOTEBOOKS)
    assert os.path.isdir(Path(__file__).resolve().parents[1] / "notebooks")
