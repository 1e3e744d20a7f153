"""The finite network: initial output, frozen memory, consistency with the fixed point."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from theory.kernel_limit.memory import memory_on_histories
from theory.kernel_limit.model import KernelLimitParams, example_task
from theory.kernel_limit.network import empirical_ntk, init_network, output_on_histories, train
from theory.markov.histories import HistoryChain


def test_symmetric_init_zero_output() -> None:
    p = KernelLimitParams()
    task = example_task()
    hc = HistoryChain(task.chain, 3)
    th = init_network(p, 100, 2, np.random.default_rng(0), symmetric=True)
    assert np.max(np.abs(output_on_histories(p, th, hc.values))) < 1e-14


def test_output_matches_fixed_point() -> None:
    p = KernelLimitParams()
    hc = HistoryChain(example_task().chain, 3)
    th = init_network(p, 50, 1, np.random.default_rng(1))
    S, _ = memory_on_histories(p, hc, th["W"][0], th["B"][0], th["b"][0])
    np.testing.assert_allclose(
        output_on_histories(p, th, hc.values)[0], 50 ** (-p.beta) * S @ th["C"][0], atol=1e-12
    )


def test_frozen_training_keeps_parameters_and_learning_reduces_loss() -> None:
    p = KernelLimitParams()
    task = example_task()
    r0 = train(p, task, 200, 1.0, R=2, rng=np.random.default_rng(2), learn=False)
    for k in r0.theta:
        np.testing.assert_array_equal(r0.theta[k], r0.theta0[k])
    r1 = train(p, task, 200, 5.0, R=2, rng=np.random.default_rng(2))
    r2 = train(p, task, 200, 5.0, R=2, rng=np.random.default_rng(2), learn=False)
    assert np.all(r1.losses < r2.losses)


def test_empirical_ntk_symmetric_psd() -> None:
    p = KernelLimitParams()
    hc = HistoryChain(example_task().chain, 2)
    th = init_network(p, 300, 1, np.random.default_rng(3))
    K = empirical_ntk(p, {k: v[0] for k, v in th.items()}, hc.values)
    np.testing.assert_allclose(K, K.T, atol=1e-12)
    assert np.linalg.eigvalsh(K).min() > -1e-10


def test_threaded_training_matches_serial() -> None:
    p = KernelLimitParams()
    task = example_task()
    hc = HistoryChain(task.chain, 2)
    rng = np.random.default_rng(5)
    N, T = 4096, 0.05
    paths = task.chain.sample(int(N * T) + task.q, 2, rng)
    th = init_network(p, N, 2, rng)
    kw = dict(
        R=2,
        rng=rng,
        theta0=th,
        paths=paths,
        eval_values=hc.values,
        record_times=np.array([0.0, 0.025, 0.05]),
    )
    a = train(p, task, N, T, threads=1, **kw)
    b = train(p, task, N, T, threads=2, **kw)
    for k in a.theta:
        np.testing.assert_allclose(a.theta[k], b.theta[k], atol=1e-13)
    np.testing.assert_allclose(a.outputs, b.outputs, atol=1e-13)


def test_inplace_plan_is_bitwise_the_compiled_step() -> None:
    from theory.kernel_limit.network import InplacePlan
    from theory.kernel_limit.rtrl import RTRL

    for trunc in (False, True):
        r = RTRL.for_phi("tanh", trunc)
        plan = InplacePlan(r.step.source)
        rng = np.random.default_rng(7)
        R, N = 2, 300
        args = [rng.normal(size=(R, 1))] + [rng.normal(size=(R, N)) for _ in range(7)]
        outs = [np.empty((R, N)) for _ in range(4)]
        plan.run(args, outs, [np.empty((R, N)) for _ in range(plan.n_tmp)])
        for a, b in zip(r.raw(*args), outs, strict=True):
            np.testing.assert_array_equal(np.broadcast_to(a, (R, N)), b)


def test_blocks_and_threads_do_not_change_the_numbers() -> None:
    """Every operation is elementwise and Ŷ is summed over all units after the blocks."""
    p = KernelLimitParams()
    task = example_task()
    hc = HistoryChain(task.chain, 2)
    rng = np.random.default_rng(11)
    N, T = 3000, 0.2
    paths = task.chain.sample(int(N * T) + task.q, 2, rng)
    th = init_network(p, N, 2, rng)
    kw = dict(R=2, rng=rng, theta0=th, paths=paths, eval_values=hc.values)
    a = train(p, task, N, T, **kw)
    for extra in (dict(block=1000), dict(block=512, threads=2), dict(block=10**6)):
        b = train(p, task, N, T, **kw, **extra)
        for k in a.theta:
            np.testing.assert_array_equal(a.theta[k], b.theta[k])
        np.testing.assert_array_equal(a.outputs, b.outputs)
        np.testing.assert_array_equal(a.losses, b.losses)


@pytest.mark.slow
def test_full_size_network_runs() -> None:
    """N = 1e5 units for 1e5 steps (issue 14): it runs (about 2 min on 2 cores), finite results."""
    p = KernelLimitParams()
    task = example_task()
    r = train(p, task, 100_000, 1.0, R=1, rng=np.random.default_rng(0), threads=2)
    assert r.steps == 100_000
    assert all(np.all(np.isfinite(v)) for v in r.theta.values())
    assert np.isfinite(r.losses).all()


def _naive_train(
    sig: Any,
    dsig: Any,
    th: dict[str, np.ndarray],
    xs: np.ndarray,
    Y: np.ndarray,
    q: int,
    lr: float,
    scale: float,
) -> dict[str, np.ndarray]:
    """The training step written out by hand (allocating NumPy, one network): the reference."""
    C, W, B, b = (th[k][0].copy() for k in ("C", "W", "B", "b"))
    S = np.zeros_like(C)
    GW, GB, Gb = np.zeros_like(C), np.zeros_like(C), np.zeros_like(C)
    e = None
    for col in range(xs.size):
        if e is not None:  # SGD with the previous error, old C for (W, B, b)
            c = lr * e
            dC, dW, dB, db = c * S, c * C * GW, c * C * GB, c * C * Gb
            C, W, B, b = C + dC, W + dW, B + dB, b + db
        x = xs[col]
        u = W * x + B * S + b
        d = dsig(u)
        GW, GB, Gb = d * (x + B * GW), d * (S + B * GB), d * (1 + B * Gb)
        S = sig(u)
        k = col - q
        e = None if k < 0 else Y[k] - scale * float(C @ S)
    assert e is not None
    c = lr * e
    C, W, B, b = C + c * S, W + c * C * GW, B + c * C * GB, b + c * C * Gb
    return {"C": C, "W": W, "B": B, "b": b, "S": S}


@pytest.mark.parametrize("phi", ["tanh", "tanh(x - 0.3)", "x/(1 + Abs(x))"])
def test_train_matches_a_hand_written_loop(phi: str) -> None:
    """train (compiled step replayed in place, bound ufunc calls, stacked SGD) equals the update
    written out by hand to float rounding (relative 1e-11 after 600 steps: the two evaluate the
    same formulas in a different order)."""
    import sympy as sp

    from theory.symbolic.gaussian import X

    p = KernelLimitParams(phi=phi)
    task = example_task()
    rng = np.random.default_rng(5)
    N, T = 300, 2.0
    steps = int(N * T)
    paths = task.chain.sample(steps + task.q, 1, rng)
    th = init_network(p, N, 1, rng)
    res = train(p, task, N, T, rng=rng, theta0=th, paths=paths)
    sig = sp.lambdify(X, p.sigma_expr, modules=["scipy", "numpy"])
    dsig = sp.lambdify(X, sp.diff(p.sigma_expr, X), modules=["scipy", "numpy"])
    scale = float(N) ** (-p.beta)
    ref = _naive_train(
        sig,
        dsig,
        th,
        task.chain.states[paths[0]],
        task.targets(paths)[0],
        task.q,
        p.learning_rate(N) * scale,
        scale,
    )
    for k in ("C", "W", "B", "b"):
        np.testing.assert_allclose(res.theta[k][0], ref[k], rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(res.memory[0], ref["S"], rtol=1e-11, atol=1e-12)
