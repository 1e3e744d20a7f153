r"""Checks of the gated DMFT at a theorist's own φ and gate (``gating.dmft.user_model.*``).

The model: φ(x) = f(g_h x) with the softsign shape f(x) = x/(1 + |x|) (bounded, odd, not tanh, with
a kink in its second derivative at 0) and the hard-sigmoid output gate
σ_r(x) = s(α_r x), s(x) = min(max(0.2x + 0.5, 0), 1) (piecewise linear, kinks at x = ±2.5), given
to :class:`~theory.gating.model.GatedParams` as strings; g_h = 4, α_r = 10, α_z = 0 (s_z = 1/2).
Neither is of logistic form, so the DMFT closures C_φ, C_{σ_r} use the general Gaussian-expectation
quadrature (:func:`theory.gating.dmft.closures.general_cross`, panel ends at the kinks; its a
posteriori error estimate at the solution is reported and is below 1e-12 here) and the simulator
is compiled from the same expressions (:func:`theory.gating.model.compiled_model`). The zero fixed
point is unstable above g_h^c = 1/(f'(0) σ_r(0)) = 2.

Error model. ⟨h²⟩ (⟨r²⟩) of one simulated network of N units, averaged over units and a window T
after a burn-in, differs from the N = ∞ value C_h(0) (C_r(0)) by a network-to-network random part
c/√N and a finite-size bias O(1/N). Measured at three (quick) or four (full) sizes with S
independent networks each, the means are fitted by y = y0 + a1/N (weighted least squares,
:func:`theory.checks.fit_trend`, errors inflated by the Birge ratio when χ²/dof > 1) and the
intercept y0 is compared with the DMFT: tolerance = Student-t quantile (α = 10⁻³, S − 1 dof) ×
SE(y0) (:func:`theory.checks.compare_extrapolation`). The DMFT's own errors (solver residual
< 1e-10, closure quadrature < 1e-12, RK4 step error ~1e-8 of the state at dt = 0.1) are orders of
magnitude below SE(y0) ≈ 2e-3 and are not added.
"""

from __future__ import annotations

import functools

from theory.checks import CheckContext, CheckResult, check, compare_extrapolation
from theory.gating.dmft.checks import gated_statistics
from theory.gating.dmft.equations import GatedDMFTSolution
from theory.gating.dmft.fourier import solve_dmft_fourier
from theory.gating.model import GatedParams

__all__ = ["USER_MODEL", "USER_PHI", "USER_GATE"]

#: The user's φ shape (softsign) and output-gate shape (hard sigmoid), as a user types them.
USER_PHI = "x/(1 + Abs(x))"
USER_GATE = "Min(Max(0.2*x + 0.5, 0), 1)"
USER_MODEL = GatedParams(g_h=4.0, alpha_r=10.0, phi=USER_PHI, gate_r=USER_GATE)
USER_LAG = 10.0


@functools.lru_cache(maxsize=4)
def _dmft(params: GatedParams) -> GatedDMFTSolution:
    sol = solve_dmft_fourier(params, n=1024)
    if not sol.converged:
        raise RuntimeError(f"DMFT solver A did not converge for {params}: {sol.message}")
    return sol


def _sizes(ctx: CheckContext) -> dict[str, object]:
    return ctx.size(
        dict(Ns=(100, 200, 400), T=40.0, burn_in=20.0, S=10),
        dict(Ns=(250, 500, 1000, 2000), T=120.0, burn_in=20.0, S=6),
    )


@check(
    "user_model.C_r0",
    cases={"softsign,hard_sigmoid": {"which": "r"}},
    prefix="gating.dmft",
    description="User phi=softsign(4x), hard-sigmoid output gate (alpha_r=10): DMFT C_r(0) vs <r^2> extrapolated in 1/N.",
)
@check(
    "user_model.C_h0",
    cases={"softsign,hard_sigmoid": {"which": "h"}},
    prefix="gating.dmft",
    description="User phi=softsign(4x), hard-sigmoid output gate (alpha_r=10): DMFT C_h(0) (general closures) vs <h^2> extrapolated in 1/N.",
)
def check_user_moment(ctx: CheckContext, which: str) -> CheckResult:
    """C_x(0) of solver A at the user model vs ⟨x²⟩ of simulations at several N, extrapolated."""
    sol = _dmft(USER_MODEL)
    z = _sizes(ctx)
    Ns = tuple(int(n) for n in z["Ns"])  # type: ignore[attr-defined]
    samples = []
    for k, N in enumerate(Ns):
        st = gated_statistics(
            USER_MODEL,
            N,
            float(z["T"]),  # type: ignore[arg-type]
            float(z["burn_in"]),  # type: ignore[arg-type]
            int(z["S"]),  # type: ignore[call-overload]
            ctx.seed + 700 + 10 * k,
            USER_LAG,
        )
        samples.append(st.m_h if which == "h" else st.m_r)
    theory = float(sol.C_h[0] if which == "h" else sol.C_r[0])
    return compare_extrapolation(
        theory,
        Ns,
        samples,
        quantity=f"<{which}^2>",
        details={
            "dmft_residual": sol.residual,
            "closure_quadrature_error": sol.info["closure_quadrature_error"],
            "phi": USER_PHI,
            "gate_r": USER_GATE,
        },
    )
