"""Markov chains: validation, exact stationary law, sampling, large sparse chains."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sps
import sympy as sp

from theory.errors import ParameterError
from theory.markov.chain import MarkovChain, example_chain
from theory.markov.poisson import stationary_exact, stationary_numeric


def test_example_stationary_exact() -> None:
    pi = stationary_exact(example_chain())
    assert list(pi) == [sp.Rational(15, 56), sp.Rational(24, 56), sp.Rational(17, 56)]


@pytest.mark.parametrize("method", ["direct", "iterative"])
def test_example_stationary_numeric(method: str) -> None:
    pi = stationary_numeric(example_chain(exact=False), method=method)
    np.testing.assert_allclose(pi, np.array([15, 24, 17]) / 56, atol=1e-13)


@pytest.mark.parametrize(
    ("P", "word"),
    [
        ([[0.5, 0.6], [0.5, 0.5]], "stochastic"),
        ([[1.2, -0.2], [0.5, 0.5]], "non-negative"),
        ([[1.0, 0.0], [0.5, 0.5]], "irreducible"),
        ([[0.0, 1.0], [1.0, 0.0]], "aperiodic"),
        ([[0.5, 0.5]], "square"),
        ([[Fraction(1, 2), Fraction(1, 3)], [Fraction(1, 2), Fraction(1, 2)]], "exactly"),
    ],
)
def test_bad_chains(P: list, word: str) -> None:
    with pytest.raises(ParameterError, match=word):
        MarkovChain(P)


def test_bad_states() -> None:
    with pytest.raises(ParameterError, match="states"):
        MarkovChain([[0.5, 0.5], [0.5, 0.5]], states=[1.0, 2.0, 3.0])


def test_sampling_frequencies() -> None:
    c = example_chain(exact=False)
    paths = c.sample(2000, 50, np.random.default_rng(0))
    freq = np.bincount(paths.ravel(), minlength=3) / paths.size
    np.testing.assert_allclose(freq, np.array([15, 24, 17]) / 56, atol=0.01)
    # empirical transitions
    a, b = paths[:, :-1].ravel(), paths[:, 1:].ravel()
    T = np.zeros((3, 3))
    np.add.at(T, (a, b), 1)
    np.testing.assert_allclose(T / T.sum(1, keepdims=True), c.dense, atol=0.01)


def _large_chain(m: int = 100_000, seed: int = 1) -> MarkovChain:
    rng = np.random.default_rng(seed)
    k = 3
    rows = np.repeat(np.arange(m), k + 2)
    cols = np.concatenate(
        [np.arange(m)[:, None], (np.arange(m)[:, None] + 1) % m, rng.integers(0, m, (m, k))], 1
    ).ravel()
    vals = np.concatenate(
        [np.full((m, 1), 0.4), np.full((m, 1), 0.1), rng.dirichlet(np.ones(k), m) * 0.5], 1
    ).ravel()
    return MarkovChain(sps.csr_matrix((vals, (rows, cols)), shape=(m, m)))


def test_large_sparse_chain() -> None:
    c = _large_chain()
    pi = c.stationary
    assert pi.shape == (100_000,)
    np.testing.assert_allclose(pi, c.matrix.T @ pi, atol=1e-12)
    paths = c.sample(50, 10, np.random.default_rng(2))
    assert paths.max() < c.m
