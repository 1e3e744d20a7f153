"""Shared pytest configuration: quiet BLAS threading, a temporary disk cache, Agg plots."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import pytest


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests use their own symbolic disk cache (a cold cache must work too)."""
    os.environ.setdefault("THEORY_CACHE_DIR", str(tmp_path_factory.mktemp("theory-cache")))


@pytest.fixture(autouse=True)
def _close_figures():  # type: ignore[no-untyped-def]
    """Checks return matplotlib figures for the report; tests that do not write one close them."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
