"""The disk cache of slow symbolic steps."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy as sp

from theory.symbolic.cache import symbolic_cache


def test_disk_cache_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THEORY_CACHE_DIR", str(tmp_path))
    calls = []

    @symbolic_cache
    def slow(e: sp.Expr) -> sp.Expr:
        calls.append(1)
        return sp.integrate(e, sp.Symbol("t", real=True))

    t = sp.Symbol("t", real=True)
    a = slow(sp.exp(-t) * t)
    assert len(list(tmp_path.glob("*.srepr"))) == 1
    b = slow(sp.exp(-t) * t)
    assert a == b and len(calls) == 1
    fresh = symbolic_cache(slow.__wrapped__)  # new memory, same disk entry
    assert fresh(sp.exp(-t) * t) == a and len(calls) == 1


def test_disk_cache_can_be_disabled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THEORY_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("THEORY_NO_DISK_CACHE", "1")

    @symbolic_cache
    def square(e: sp.Expr) -> sp.Expr:
        return e**2

    assert square(sp.Symbol("z", real=True)) == sp.Symbol("z", real=True) ** 2
    assert list(tmp_path.glob("*.srepr")) == []
