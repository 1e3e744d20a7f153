"""The API reference builds (pdoc), with the theory pages' derivations and checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from theory.apidocs import theory_page_extras


def test_theory_page_extras_list_derivations_and_checks() -> None:
    md = theory_page_extras("theory.gating.classical")
    assert "# Derivations" in md and "`classical_dmft`" in md and "$$\\begin{aligned}" in md
    assert "`gating.classical.delta0[g=2.0]`" in md


def test_docs_build_strict(tmp_path: Path) -> None:
    pytest.importorskip("pdoc")
    from theory.apidocs import build

    index = build(tmp_path, strict=True, figure=False)
    assert index.exists()
    classical = (tmp_path / "theory" / "gating" / "classical.html").read_text()
    assert "gating.classical.delta0" in classical and "Derivations" in classical
    import theory.gating

    assert (
        "register" not in theory.gating.__all__ and "dmft" not in theory.gating.__all__
    )  # restored


def test_display_math_line_breaks_survive_markdown() -> None:
    """Broken equations keep their line breaks through pdoc's markdown, which reads ``\\\\`` as
    an escaped backslash: the page holds ``\\\\\\\\`` so that MathJax sees ``\\\\``."""
    md = theory_page_extras("theory.gating.gradients")
    assert "Adjoint of the state" in md and "\\\\\\\\ &\\quad" in md
