"""Shared pytest configuration: quiet BLAS threading, a temporary disk cache, Agg plots."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import pytest
from threadpoolctl import threadpool_limits

# One BLAS thread per test process: the networks here are small, and two BLAS threads on the two
# cores of CI oversubscribe as soon as anything else runs (measured: tests/gating 99 s with one
# thread, 169 s with the default two under load).
threadpool_limits(limits=1)


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
