"""Discretisation bias of the QR Lyapunov exponent λ₁ of the classical network (issue 14).

The exponents of a Runge–Kutta map differ from the flow's by O(dt^p). The bias is measured here
the only way a chaotic system allows: the same S networks (couplings, initial state and frame)
are run with each method and step, and the paired differences λ₁(method, dt) − λ₁(RK4, dt=0.1)
are averaged over the networks (the network-to-network spread cancels; the temporal noise of
each finite record does not, so the resolution is ≈ √2·σ_t/√S with σ_t² ≈ 14/(N·T)).

Full run: g = 2, N = 300, 24 networks, T = 1500 (of order ten CPU-minutes; not run yet, no
figures recorded here); the quick run (N = 200, 8 networks, T = 400) only shows the noise level. Every
record reports value = mean paired difference, baseline = its standard error.
"""

from __future__ import annotations

import time

import numpy as np

RUNS = (("rk4", 0.25), ("rk4", 0.5), ("euler", 0.1), ("euler", 0.05), ("heun", 0.2))


def run(quick: bool = False) -> list[dict]:
    from threadpoolctl import threadpool_limits

    from theory.gating.classical.lyapunov import classical_lyapunov_spectra
    from theory.gating.classical.model import ClassicalParams

    N, S, T = (200, 8, 400.0) if quick else (300, 24, 1500.0)
    p = ClassicalParams(2.0)
    out: list[dict] = []
    with threadpool_limits(1):

        def lam(method: str, dt: float) -> tuple[np.ndarray, float]:
            t0 = time.process_time()
            r = classical_lyapunov_spectra(
                p, N, 1, seeds=range(S), T=T, transient=100.0, dt=dt, method=method
            )
            return np.array([x.exponents[0] for x in r]), time.process_time() - t0

        ref, t_ref = lam("rk4", 0.1)
        for method, dt in RUNS:
            v, t = lam(method, dt)
            d = v - ref
            m, se = float(d.mean()), float(d.std(ddof=1) / np.sqrt(S))
            out.append(
                dict(
                    name=f"lambda_1 bias, {method} dt={dt:g} (classical g=2, N={N})",
                    value=m,
                    unit="1/time",
                    baseline=se,
                    ratio=m / se,
                    note=(
                        f"paired difference to RK4 dt=0.1 over {S} networks, T={T:g} "
                        f"(lambda_1 = {ref.mean():.4f}); value/SE in the ratio column; "
                        f"CPU {t:.0f} s vs {t_ref:.0f} s for the reference"
                    ),
                )
            )
    return out
