"""Benchmarks of the kernel limit (issue 6).

* finite network: online RTRL training of N units for K steps (vectorised over units, cache-sized
  blocks, 2 threads at large N) vs a bare vectorised memory update ``S = tanh(W x + B S + b)`` of
  the same size and number of steps on one thread (full: N = 10⁵, K = 10⁵, actually run; quick:
  N = 10⁴, K = 2000), with the peak memory; time per step vs N with the fitted exponent;
* limit ODE on 3^L histories (full: L = 8, 6561 histories; quick: L = 6) by ``expm_multiply``, vs the
  eigendecomposition route;
* kernel matrix by quadrature vs Monte Carlo at equal accuracy: the MC sample size needed to reach
  the quadrature's error (estimated by a refined rule) follows from the measured c/√n constant; its
  time is extrapolated linearly from a pilot run.
"""

from __future__ import annotations

import os
import time
import tracemalloc

import numpy as np
from timing import best_time  # benchmarks/timing.py (run.py puts benchmarks/ on sys.path)


def run(quick: bool = False) -> list[dict]:
    from theory.kernel_limit.kernel import kernel_monte_carlo, kernel_quadrature
    from theory.kernel_limit.limit_ode import LimitODE
    from theory.kernel_limit.model import KernelLimitParams, example_task
    from theory.kernel_limit.network import init_network, train
    from theory.markov.histories import HistoryChain

    out: list[dict] = []
    params = KernelLimitParams()
    task = example_task()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()

    # 1. finite network vs bare update
    N, K = (10_000, 2_000) if quick else (100_000, 100_000)
    rng = np.random.default_rng(0)
    paths = task.chain.sample(K + task.q, 1, rng)
    th = init_network(params, N, 1, rng)
    threads = min(2, cores or 1) if N >= 20_000 else 1
    tracemalloc.start()
    t0 = time.perf_counter()
    train(params, task, N, K / N, R=1, rng=rng, theta0=th, paths=paths, threads=threads)
    t_train = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    xs = task.chain.states[paths[0]]
    W, B, b = th["W"][0], th["B"][0], th["b"][0]

    def bare(n_units: int = N, n_steps: int = K) -> None:
        S = np.zeros(n_units)
        Wn, Bn, bn = W[:n_units], B[:n_units], b[:n_units]
        for k in range(n_steps):
            S = np.tanh(Wn * xs[k] + Bn * S + bn)

    t_bare = best_time(bare, repeat=1)
    out.append(
        dict(
            name=f"finite network: RTRL + SGD, N={N}, {K} steps",
            value=t_train,
            unit="s",
            baseline=t_bare,
            ratio=t_train / t_bare,
            note=(
                f"ratio = package / baseline (lower is better; target <= 1.5); baseline: bare tanh memory "
                f"update of the same size, one thread; {t_train / (N * K) * 1e9:.2f} ns per unit-step; "
                f"{threads} threads over cache-sized blocks of units, {cores} cores visible; "
                f"peak memory allocated during train {peak / 2**20:.0f} MiB (tracemalloc)"
            ),
        )
    )
    # time per step vs N (train on 2 threads above 2e4 units, bare on one)
    sizes = (1_000, 4_000, 10_000) if quick else (1_000, 10_000, 100_000)
    n_steps = 200 if quick else 1_000
    t_tr, t_ba = [], []
    for n_units in sizes:
        thr = min(2, cores or 1) if n_units >= 20_000 else 1
        p_n = paths[:, : n_steps + task.q]
        th_n = {k: v[:, :n_units] for k, v in th.items()}
        t_tr.append(
            best_time(
                lambda n_units=n_units, thr=thr, p_n=p_n, th_n=th_n: train(
                    params,
                    task,
                    n_units,
                    n_steps / n_units,
                    R=1,
                    rng=rng,
                    theta0=th_n,
                    paths=p_n,
                    threads=thr,
                ),
                repeat=2,
            )
            / n_steps
        )
        t_ba.append(best_time(lambda n_units=n_units: bare(n_units, n_steps), repeat=2) / n_steps)
    slope = float(np.polyfit(np.log(sizes), np.log(t_tr), 1)[0])
    out.append(
        dict(
            name="finite network: time per step vs N",
            value=t_tr[-1],
            unit="s/step",
            baseline=t_ba[-1],
            ratio=t_tr[-1] / t_ba[-1],
            note=f"ratio = package / baseline at N={sizes[-1]}; train time ~ N^{slope:.2f} over N={list(sizes)}",
            series={
                "x": list(sizes),
                "y": {"RTRL + SGD (train)": t_tr, "bare tanh update": t_ba},
                "xlabel": "units N",
                "ylabel": "time per step [s]",
            },
        )
    )

    # 2. limit ODE on 3^L histories
    L = 6 if quick else 8
    hc = HistoryChain(task.chain, L)
    t0 = time.perf_counter()
    est = kernel_monte_carlo(params, hc, 128, np.random.default_rng(1), batches=2)
    t_kernel = time.perf_counter() - t0
    A = est.mean
    y = task.y(hc.values)
    ode = LimitODE(A, hc.Pi, y, 1.0, method="expm")
    t_ode = best_time(lambda: ode.g(2.0), repeat=2)
    if hc.H <= 2500:
        t_eigh = best_time(lambda: LimitODE(A, hc.Pi, y, 1.0).g(2.0), repeat=1)
        note = "baseline: eigendecomposition route"
    else:
        t_eigh = float("nan")
        note = "eigh route skipped at this size"
    out.append(
        dict(
            name=f"limit ODE on {hc.H} histories (expm_multiply, t=2)",
            value=t_ode,
            unit="s",
            baseline=None if np.isnan(t_eigh) else t_eigh,
            ratio=None if np.isnan(t_eigh) else t_eigh / t_ode,
            note=f"{note}; kernel (MC, 128 units) built in {t_kernel:.1f} s",
        )
    )

    # 3. quadrature vs Monte Carlo at equal accuracy
    hc3 = HistoryChain(task.chain, 3)
    t_quad = best_time(lambda: kernel_quadrature(params, hc3), repeat=2)
    _, qerr = kernel_quadrature(params, hc3, estimate_error=True)
    n_pilot = 16_000 if quick else 64_000
    t0 = time.perf_counter()
    mc = kernel_monte_carlo(params, hc3, n_pilot, np.random.default_rng(2))
    t_pilot = time.perf_counter() - t0
    c = float(np.max(mc.sem)) * np.sqrt(mc.n)
    n_needed = (c / qerr) ** 2
    t_mc = t_pilot * n_needed / mc.n
    out.append(
        dict(
            name="kernel matrix (27 histories): quadrature vs Monte Carlo at equal accuracy",
            value=t_quad,
            unit="s",
            baseline=t_mc,
            ratio=t_mc / t_quad,
            note=f"quadrature error {qerr:.1e}; MC needs n = {n_needed:.2e} samples (c/sqrt(n), c = {c:.2f}); MC time extrapolated from a {mc.n}-sample pilot",
        )
    )
    return out


if __name__ == "__main__":  # pragma: no cover
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
