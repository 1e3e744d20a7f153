"""The lifted chain of length-L histories: law, shift transitions, encoding, transient histories."""

from __future__ import annotations

import numpy as np
import pytest

from theory.errors import ParameterError
from theory.markov.chain import MarkovChain, example_chain
from theory.markov.histories import HistoryChain


def test_history_chain_law_and_encoding() -> None:
    hc = HistoryChain(example_chain(exact=False), 3)
    assert hc.H == 27
    np.testing.assert_allclose(hc.Pi, hc.chain.stationary, atol=1e-14)
    path = np.array([[1, 0, 2, 2]])
    pos = hc.encode(path)
    np.testing.assert_array_equal(hc.digits[pos[0]], [[2, 0, 1], [2, 2, 0]])
    with pytest.raises(ParameterError, match="L"):
        HistoryChain(example_chain(), 0)


def test_law_is_pi_times_transitions() -> None:
    base = example_chain(exact=False)
    P, pi = base.dense, base.stationary
    hc = HistoryChain(base, 2)
    for h in range(hc.H):
        i0, i1 = hc.digits[h]  # i0 most recent
        assert hc.Pi[h] == pytest.approx(pi[i1] * P[i1, i0], rel=1e-12)
    np.testing.assert_allclose(hc.values, base.states[hc.digits])


def test_transitions_shift_the_history() -> None:
    base = example_chain(exact=False)
    hc = HistoryChain(base, 3)
    P, PL = base.dense, hc.chain.dense
    for h in (0, 5, 13, 26):
        d = hc.digits[h]
        for j in range(base.m):
            new = np.array([j, d[0], d[1]])
            g = int(np.nonzero(np.all(hc.digits == new, axis=1))[0][0])
            assert PL[h, g] == pytest.approx(P[d[0], j], rel=1e-14)
    np.testing.assert_allclose(PL.sum(axis=1), 1.0, atol=1e-14)


def test_zero_transitions_drop_transient_histories() -> None:
    # 0 -> 1 -> {0, 1}: the history (x_0, x_{-1}) = (0, 0) never occurs
    base = MarkovChain(np.array([[0.0, 1.0], [0.5, 0.5]]), states=[-1.0, 1.0])
    hc = HistoryChain(base, 2)
    assert hc.H == 3
    assert not np.any(np.all(hc.digits == [0, 0], axis=1))
    np.testing.assert_allclose(hc.Pi.sum(), 1.0)
    np.testing.assert_allclose(hc.Pi, hc.chain.stationary, atol=1e-14)


def test_encode_matches_sampled_paths_and_rejects_bad_input() -> None:
    hc = HistoryChain(example_chain(exact=False), 2)
    paths = hc.base.sample(200, 3, np.random.default_rng(0))
    pos = hc.encode(paths)
    assert pos.shape == (3, 199)
    np.testing.assert_array_equal(hc.digits[pos[:, 5], 0], paths[:, 6])
    np.testing.assert_array_equal(hc.digits[pos[:, 5], 1], paths[:, 5])
    with pytest.raises(ParameterError, match="paths"):
        hc.encode(np.array([[0]]))
    # empirical history frequencies approach Π
    long = hc.encode(hc.base.sample(20000, 4, np.random.default_rng(1)))
    freq = np.bincount(long.ravel(), minlength=hc.H) / long.size
    np.testing.assert_allclose(freq, hc.Pi, atol=0.01)


def test_size_guard() -> None:
    with pytest.raises(ParameterError, match="histories"):
        HistoryChain(example_chain(exact=False), 20)
