"""BLAS threads in the simulators (issue 13, item 8): one thread vs the process default.

Each simulator step is a few dense matrix-vector products (N×N); at small N a second BLAS thread
costs more in synchronisation than it saves, and in a sweep two workers each running two BLAS
threads oversubscribe two cores. Measured: the time of a fixed simulation (T = 20 at the
simulator's default step) of the classical and the gated network at several N, with the BLAS
pools limited to 1 thread (threadpoolctl) and left at the default (one per core), best of 3.
"""

from __future__ import annotations

import functools
import os

from timing import best_time  # benchmarks/timing.py (run.py puts benchmarks/ on sys.path)


def _default_threads() -> int:
    from threadpoolctl import threadpool_info

    counts = [int(d.get("num_threads", 1)) for d in threadpool_info()]
    return max(counts) if counts else 1


def run(quick: bool = False) -> list[dict]:
    from threadpoolctl import threadpool_limits

    from theory.gating.classical.model import ClassicalParams
    from theory.gating.classical.simulation import simulate_classical
    from theory.gating.model import GatedParams
    from theory.gating.simulation import simulate_gated

    sizes = (100, 400, 1600) if quick else (100, 200, 400, 800, 1600, 3200)
    T = 10.0 if quick else 20.0
    default = _default_threads()
    sims = {
        "classical": lambda N: simulate_classical(
            ClassicalParams(g=2.0), N, T=T, burn_in=0.0, seed=1
        ),
        "gated": lambda N: simulate_gated(GatedParams(g_h=3.0), N, T=T, burn_in=0.0, seed=1),
    }
    out = []
    for name, sim in sims.items():
        one, many = [], []
        for N in sizes:
            sim(N)  # warm: compile, caches
            with threadpool_limits(1):
                t1 = best_time(functools.partial(sim, N))
            t_def = best_time(functools.partial(sim, N))
            one.append(t1)
            many.append(t_def)
            out.append(
                dict(
                    name=f"{name} simulator N={N}, T={T:g}: 1 BLAS thread",
                    value=t1,
                    unit="s",
                    baseline=t_def,
                    ratio=t_def / t1,
                    note=f"baseline: default BLAS pools ({default} threads); ratio > 1: one thread is faster",
                )
            )
        out.append(
            dict(
                name=f"{name} simulator: time vs N",
                value=one[-1],
                unit="s",
                series=dict(
                    x=list(sizes),
                    y={"1 BLAS thread": one, f"{default} BLAS threads": many},
                    xlabel="N",
                    ylabel="seconds",
                ),
                note=f"cores: {os.cpu_count()}",
            )
        )
    return out
