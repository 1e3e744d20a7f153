r"""Phase diagrams of the gated RNN, computed by sweeps (:mod:`theory.sweeps`) of DMFT solves.

Krishnamurthy, Can & Schwab, PRX 12, 011011 (2022), Sec. VIII, Fig. 12 (phase diagram in
(g_h, α_r) with the lines L1–L3; marginal-stability region at large α_z); the lines are those of
:mod:`theory.gating.chaos.transitions`.

:func:`phase_point` is the sweep function of the (g_h, α_r) diagram: at each point it reports the
chaotic DMFT branch (α_z = 0, from an order-one guess), the stability of the zero fixed point (L1)
and the existence of nonzero fixed points (L2). Regions: *quiescent* (zero state only),
*topologically complex* (nonzero unstable fixed points, zero state stable: L2 < g_h < L3),
*bistable* (chaos coexisting with the stable zero state: L3 < g_h < L1) and *chaotic* (g_h > L1).

:func:`marginal_point` is the sweep function of the large-α_z diagram: it evaluates the RMT
spectral abscissa at the fixed point of (g_h, α_r) (:mod:`theory.gating.chaos.spectrum`, e = 0) and
the slow-mode fraction P(σ_z < δ); the marginal-stability region is where the bulk is unstable
at α_z = 0 (V_1 + V_2 > 1) but the open-gate bulk is stable, f_open·V < 1 (our large-α_z limit of
the fixed-point boundary, step ``boundary_fixed_point`` of derivation ``gated_jacobian_spectrum``:
open gates have σ_z = 1, closed ones σ_z = 0).
"""

from __future__ import annotations

from typing import Any

from theory.gating.model import GatedParams

__all__ = [
    "phase_point",
    "marginal_point",
    "chaotic_point",
    "warm_compiled",
    "REGIONS",
    "region_code",
]

#: Region codes used in the phase-diagram Dataset.
REGIONS = {
    0: "quiescent",
    1: "topological complexity (stable zero + unstable FPs)",
    2: "bistable (zero + chaos)",
    3: "chaotic",
}


def region_code(chaotic: bool, zero_stable: bool, fp_exists: bool) -> int:
    """Map the three indicators to a region code of :data:`REGIONS`."""
    if not zero_stable:
        return 3
    if chaotic:
        return 2
    return 1 if fp_exists else 0


def phase_point(
    g_h: float, alpha_r: float, beta_r: float = 0.0, n: int = 512, dtau: float = 0.2
) -> dict[str, Any]:
    """Sweep function for the (g_h, α_r) phase diagram (α_z = 0, β_h = 0, no inputs)."""
    from theory.gating.chaos.transitions import chaotic_branch
    from theory.gating.dmft.fixed_points import fixed_point_branches, zero_fp_threshold

    p = GatedParams(g_h=float(g_h), alpha_r=float(alpha_r), beta_r=float(beta_r))
    br = chaotic_branch(float(g_h), float(alpha_r), float(beta_r), n=int(n), dtau=float(dtau))
    zero_stable = float(g_h) < zero_fp_threshold(p)
    fps = fixed_point_branches(p, n_grid=200)
    return {
        "C_h0": br.C_h0,
        "chaotic": br.chaotic,
        "converged": br.converged,
        "zero_stable": zero_stable,
        "fp_exists": len(fps) > 0,
        "region": region_code(br.chaotic, zero_stable, len(fps) > 0),
    }


def chaotic_point(
    g_h: float, alpha_r: float, beta_r: float = 0.0, n: int = 256, dtau: float = 0.25
) -> dict[str, Any]:
    """Sweep function: the chaotic DMFT branch (α_z = 0, order-one guess), solved in convention B.

    Same network and same branch as :func:`theory.gating.chaos.transitions.chaotic_branch` (convention A),
    but in convention B the closures do not contain g_h, so the compiled theory is shared by all
    g_h at one (α_r, β_r) (:func:`theory.gating.dmft.equations.closure_params`): a (g_h, α_r) sweep compiles
    once per α_r instead of once per point. C_h(0) is returned in convention-A units
    (h_B = g_h h_A, so C_h^A = C_h^B / g_h²). No memoisation (timings are honest).
    """
    from theory.errors import require
    from theory.gating.chaos.transitions import COLLAPSE
    from theory.gating.dmft.fourier import solve_dmft_fourier

    g = float(g_h)
    require(g > 0, "g_h", g_h, "g_h > 0")
    p = GatedParams(g_h=g, alpha_r=float(alpha_r), beta_r=float(beta_r), convention="B")
    sol = solve_dmft_fourier(
        p, n=int(n), dtau=float(dtau), tol=1e-8, init=(g * g, 1.0), max_iter=1500
    )
    ch0 = float(sol.C_h[0]) / (g * g)
    chaotic = ch0 > COLLAPSE
    return {"C_h0": ch0, "chaotic": chaotic, "converged": bool(sol.converged or not chaotic)}


def warm_compiled(alpha_r_values: Any, beta_r: float = 0.0) -> int:
    """Compile the convention-B DMFT theory for each α_r once in this process (e.g. on each Dask worker)."""
    from theory.gating.dmft.equations import compiled_theory

    vals = sorted({float(a) for a in alpha_r_values})
    for a in vals:
        compiled_theory(GatedParams(g_h=1.0, alpha_r=a, beta_r=float(beta_r), convention="B"), None)
    return len(vals)


def marginal_point(
    g_h: float, alpha_r: float, alpha_z: float = 30.0, delta: float = 0.05
) -> dict[str, Any]:
    """Sweep function for the large-α_z diagram: RMT abscissa at the upper fixed point, V, slow modes."""
    import numpy as np

    from theory.gating.chaos.spectrum import BoundaryModel, slow_mode_fraction, spectral_abscissa
    from theory.gating.dmft.fixed_points import solve_fixed_point_dmft

    p = GatedParams(g_h=float(g_h), alpha_r=float(alpha_r), alpha_z=float(alpha_z))
    fp = solve_fixed_point_dmft(p, branch="upper")
    if not fp.exists:
        return {
            "V": fp.V1 + fp.V2,
            "abscissa": float(np.nan),
            "abscissa_az0": float(np.nan),
            "slow_fraction": float(np.nan),
            "marginal": False,
            "fp_exists": False,
        }
    m = BoundaryModel.fixed_point(p, fp.Delta_h, fp.Delta_z, fp.Delta_r)
    m0 = BoundaryModel.fixed_point(
        GatedParams(g_h=float(g_h), alpha_r=float(alpha_r)), fp.Delta_h, fp.Delta_z, fp.Delta_r
    )
    V = fp.V1 + fp.V2
    x = spectral_abscissa(m) if V > 1 else float("nan")
    x0 = spectral_abscissa(m0) if V > 1 else float("nan")
    return {
        "V": V,
        "abscissa": x,
        "abscissa_az0": x0,
        "slow_fraction": slow_mode_fraction(p, fp.Delta_z, delta),
        "marginal": bool(1 < V < 2),
        "fp_exists": True,
    }
