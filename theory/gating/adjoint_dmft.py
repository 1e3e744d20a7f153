r"""DMFT of the adjoint (gradient) dynamics of the gated RNN, α_z = 0: adjoint covariances and gradient norms.

Krishnamurthy, Can & Schwab, PRX 12, 011011 (2022), Sec. IX (DMFT of the adjoint; arXiv v1–v3);
spec ``gating.md`` §8 and ``gating-derivations.md`` §7.

Normalised adjoint ã = N a for the losses of :func:`theory.gating.adjoint.adjoint_gradients`
(running :math:`\int\sum_ih_i^2/2N\,dt` with weight ``running``, terminal read-out
:math:`\sum_iw_ih_i(T)/N` with w ~ N(0, 1) i.i.d. and weight ``readout``). For α_z = 0
(σ_z ≡ s_z, so ã_z ≡ 0) the single-site adjoint is

.. math::
    -\dot a_h=-s_za_h+\phi'(h)\big[\sigma_r(r)\xi_h+\tau_r^{-1}\xi_r\big]+\rho\,h,\qquad
    -\dot a_r=-\tau_r^{-1}a_r+\sigma_r'(r)\phi(h)\,\xi_h,

with ξ_h, ξ_r fresh Gaussian fields (covariances g_J s_z² C_{hh}, C_{rr}) independent of the
forward variables (gating-derivations §7). Because the sources are linear in ξ, the adjoint
covariances obey closed hyperbolic equations on the square [0, T]²
(:func:`adjoint_dmft_derivation`):

.. math::
    (s_z-\partial_t)(s_z-\partial_s)C_{hh}&=C_{\phi'}\big[g_Js_z^2C_{\sigma_r}C_{hh}+\tau_r^{-2}C_{rr}\big]+\rho^2C_h,\\
    (\tau_r^{-1}-\partial_t)(\tau_r^{-1}-\partial_s)C_{rr}&=g_Js_z^2\,C_{\sigma_r'}C_\phi\,C_{hh},

(forward correlations at lag t − s) with C_{hh}(T, s) = κ² e^{−s_z(T−s)}, C_{rr}(T, s) = 0, and the
gradient norms follow from the exact factorisation of ‖∇_J L‖²:

.. math::
    \|\nabla_{J^h}L\|_F^2\simeq s_z^2\iint C_{hh}(t,s)\,C_{\sigma_r}C_\phi(t-s)\,dt\,ds,\qquad
    \|\nabla_{J^r}L\|_F^2\simeq \tau_r^{-2}\iint C_{rr}(t,s)\,C_\phi(t-s)\,dt\,ds .

The homogeneous operator is the transpose of the two-replica operator of
:mod:`theory.gating.lyapunov_dmft` (same eigenvalues), so C_{hh}(t, t) grows backward as
e^{2λ_max(T−t)} in the chaotic phase (exploding gradients).

**Scope of the theory.** The fresh-field closure drops the reaction term by which the adjoint of
neuron i sees its own forward path through the couplings J_ji (the response of the adjoint to a
forward kick is not zero, although the forward does not respond to the adjoint). For a loss whose
adjoint is odd in an independent random vector (the read-out loss) that response averages to zero
and the closure is exact at large N; for the running quadratic loss it is an approximation — the
check ``chaos.gradient_norm`` measures both (see the closing note of issue 4).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from theory.errors import ConvergenceError, require
from theory.gating.model import GatedParams
from theory.symbolic.derivation import Derivation, Reference, Step, derivation

__all__ = ["adjoint_dmft_derivation", "AdjointDMFT", "solve_adjoint_dmft", "cell_weights", "reaction_response"]

ADJ_DMFT_REF = Reference("Krishnamurthy, Can, Schwab, Phys. Rev. X 12, 011011 (2022)", "Sec. IX (arXiv v1-v3)", "spec gating-derivations.md sec. 7")

# ------------------------------------------------------------------ symbols
t, s, u, v = sp.symbols("t s u v", real=True)
dt_ = sp.Symbol(r"\Delta t", positive=True)
k_rate = sp.Symbol("k", positive=True)
s_z = sp.Symbol("s_z", positive=True)
tau_r = sp.Symbol("tau_r", positive=True)
g_J = sp.Symbol("g_J", positive=True)
rho = sp.Symbol("rho", nonnegative=True)
kap = sp.Symbol("kappa", nonnegative=True)
T_ = sp.Symbol("T", positive=True)
tau_s = sp.Symbol("tau", real=True)


def _wick(expr: sp.Expr, fields: dict[sp.Symbol, str], pair: dict[frozenset, sp.Expr], forward: dict[sp.Expr, sp.Expr]) -> sp.Expr:
    """⟨expr⟩ for a polynomial in zero-mean Gaussian fields independent of the forward variables.

    ``fields`` maps each field symbol to its type (fields of different types are independent),
    ``pair`` the covariance of two fields of one type (key: the pair as a frozenset), ``forward``
    a product of forward factors at times u, v to its correlation function. Odd field terms vanish.
    """
    fwd_syms = set().union(*(k.free_symbols for k in forward))
    out = sp.Integer(0)
    for term in sp.Add.make_args(sp.expand(expr)):
        fld = [f for f, p in term.as_powers_dict().items() if f in fields for _ in range(int(p))]
        if len(fld) % 2:
            continue
        if len(fld) > 2:
            raise AssertionError("only quadratic field terms occur in second moments")
        cov = sp.Integer(1)
        if fld:
            if fields[fld[0]] != fields[fld[1]]:
                continue
            cov = pair[frozenset(fld)]
        rest = term / sp.Mul(*fld)
        coeff, mono = rest.as_independent(*fwd_syms, as_Add=False)
        if mono == 1:
            out += coeff * cov
            continue
        if mono not in forward:
            raise AssertionError(f"no forward correlation for {mono}")
        out += coeff * cov * forward[mono]
    return sp.simplify(out)


@functools.cache
def adjoint_dmft_derivation() -> Derivation:
    """Source covariances of the single-site adjoint (Wick by SymPy), the covariance PDEs, the
    transpose relation to the two-replica operator, and the marching scheme."""
    # forward factors at times u and v (stationary correlations at lag u − v)
    names = (r"\phi'_u", r"\phi'_v", r"\sigma_{r u}", r"\sigma_{r v}", r"\phi_u", r"\phi_v", r"\sigma'_{r u}", r"\sigma'_{r v}", "h_u", "h_v")
    P1u, P1v, Ru, Rv, Pu, Pv, R1u, R1v, hu, hv = (sp.Symbol(nm, real=True) for nm in names)
    xhu, xhv, xru, xrv = (sp.Symbol(nm, real=True) for nm in (r"\xi_{h u}", r"\xi_{h v}", r"\xi_{r u}", r"\xi_{r v}"))
    Chh, Crr = sp.Function("C_hh", real=True), sp.Function("C_rr", real=True)
    Cph1, Csr, Cph, Csr1, Ch = (sp.Function(nm, real=True) for nm in ("C_phi'", "C_sigma_r", "C_phi", "C_sigma_r'", "C_h"))
    lag = u - v
    # adjoint sources (the rows of gating-derivations §7 with J^T(·) -> fresh fields, α_z = 0)
    S_h = lambda P1, R, xh, xr, h: P1 * (R * xh + xr / tau_r) + rho * h  # noqa: E731
    S_r = lambda R1, P, xh: R1 * P * xh  # noqa: E731
    fields = {xhu: "h", xhv: "h", xru: "r", xrv: "r"}
    pair = {frozenset((xhu, xhv)): g_J * s_z**2 * Chh(u, v), frozenset((xru, xrv)): Crr(u, v)}
    # forward products -> correlations; r independent of h (spec §3), so mixed products factorise
    forward = {
        P1u * Ru * P1v * Rv: Cph1(lag) * Csr(lag),
        P1u * P1v: Cph1(lag),
        hu * hv: Ch(lag),
        R1u * Pu * R1v * Pv: Csr1(lag) * Cph(lag),
    }
    src_hh = _wick(S_h(P1u, Ru, xhu, xru, hu) * S_h(P1v, Rv, xhv, xrv, hv), fields, pair, forward)
    src_rr = _wick(S_r(R1u, Pu, xhu) * S_r(R1v, Pv, xhv), fields, pair, forward)
    # transpose relation: with C = e^{-λ(t+s)}ψ(t−s) the homogeneous adjoint system is
    # [(λ+k)² − ∂²]ψ = M ψ with M_adj; the replica operator of lyapunov_dmft has M_rep; the
    # off-diagonal products agree (so the two are similar by a diagonal scaling: same spectrum)
    q = g_J * s_z**2
    M_adj = sp.Matrix([[q * Cph1(tau_s) * Csr(tau_s), Cph1(tau_s) / tau_r**2],
                       [q * Csr1(tau_s) * Cph(tau_s), 0]])  # acting on (C_hh, C_rr), rows scaled by q for q C_hh
    M_adj_q = sp.diag(q, 1) * M_adj * sp.diag(1 / q, 1)  # variables (q C_hh, C_rr)
    M_rep = sp.Matrix([[q * Csr(tau_s) * Cph1(tau_s), q * Cph(tau_s) * Csr1(tau_s)],
                       [Cph1(tau_s) / tau_r**2, 0]])
    if sp.simplify(M_adj_q.trace() - M_rep.trace()) != 0 or sp.simplify(M_adj_q.det() - M_rep.det()) != 0:
        raise AssertionError("adjoint operator is not similar to the two-replica operator")
    # inclusion–exclusion over the quadrant {u ≥ t, v ≥ s} for C = ∬ e^{-k(u−t)} e^{-k(v−s)} F
    Fc = sp.Symbol("F", real=True)  # constant F: exact check of the recursion
    I = lambda a, b: sp.integrate(sp.integrate(sp.exp(-k_rate * (u - a)) * sp.exp(-k_rate * (v - b)) * Fc, (u, a, T_)), (v, b, T_))  # noqa: E731
    cell = sp.integrate(sp.integrate(sp.exp(-k_rate * (u - t)) * sp.exp(-k_rate * (v - s)) * Fc, (u, t, t + dt_)), (v, s, s + dt_))
    rec = sp.exp(-k_rate * dt_) * (I(t + dt_, s) + I(t, s + dt_)) - sp.exp(-2 * k_rate * dt_) * I(t + dt_, s + dt_) + cell
    if sp.simplify(rec - I(t, s)) != 0:
        raise AssertionError("inclusion-exclusion recursion is not exact for constant F")
    C = sp.Function("C", real=True)
    # reaction term (α_r = 0, σ_r ≡ s_r): the adjoint of neuron i sees its own forward path via
    # J_ji; response of the single-site source to a kick I(u) of the forward h equation
    Phi, Phi1, Phi2 = _phi_function_classes()
    hv_, hw_ = sp.symbols("h_v h_w", real=True)
    eps, Gvu, Gwu, chi_vw, xi_v = sp.symbols(r"epsilon G_{vu} G_{wu} \bar\chi_{vw} \xi_v", real=True)
    s_r = sp.Symbol("s_r", positive=True)
    kap_r = g_J * s_z * s_r
    source_v = s_r * Phi1(hv_ + eps * Gvu) * (xi_v + kap_r * chi_vw * Phi(hw_ + eps * Gwu)) + rho * (hv_ + eps * Gvu)  # ∫dw implied
    dsource = sp.diff(source_v, eps).subs(eps, 0)
    fwd_r = {Phi2(hv_) * Phi(hw_): sp.Function(r"C_{\phi''\phi}", real=True)(v - sp.Symbol("w", real=True)),
             Phi1(hv_) * Phi1(hw_): sp.Function(r"C_{\phi'}", real=True)(v - sp.Symbol("w", real=True))}
    mean_dsource = _wick(dsource, {xi_v: "h"}, {}, fwd_r)
    steps = [
        Step("adjoint_sources", sp.Eq(sp.Symbol(r"S_h(u)", real=True), S_h(P1u, Ru, xhu, xru, hu)),
             r"$\alpha_z=0$: $\sigma_z\equiv s_z$, $\sigma_z'\equiv0$, so $a_z\equiv0$; in the rows of the adjoint (derivation \texttt{gated\_adjoint}) "
             r"$J^{h\top}(s_za_h)\to\xi_h$, $J^{r\top}a_r\to\xi_r$, fresh Gaussian fields independent of the forward path; $\rho$ is the weight of the running loss $\sum_ih_i^2/2N$ (adjoint rescaled by $N$).", "gating-derivations 7"),
        Step("adjoint_source_r", sp.Eq(sp.Symbol(r"S_r(u)", real=True), S_r(R1u, Pu, xhu)), r"The $r$ row: $-\dot a_r=-\tau_r^{-1}a_r+S_r$, the same $\xi_h$ as in $S_h$."),
        Step("source_hh", sp.Eq(sp.Symbol(r"\langle S_h(u)S_h(v)\rangle", real=True), src_hh),
             r"SymPy expands the product and applies Wick's rule (odd field terms vanish, $\xi_h\perp\xi_r$, $r\perp h$ so $\langle\phi'\sigma_r\,\phi'\sigma_r\rangle=C_{\phi'}C_{\sigma_r}$)."),
        Step("source_rr", sp.Eq(sp.Symbol(r"\langle S_r(u)S_r(v)\rangle", real=True), src_rr), ""),
        Step("covariance_pde_h", sp.Eq(sp.Symbol(r"(s_z-\partial_t)(s_z-\partial_s)C_{hh}(t,s)", real=True), src_hh.subs({u: t, v: s})),
             r"$a_h(t)=\int_t^Te^{-s_z(u-t)}S_h(u)\,du+e^{-s_z(T-t)}a_h(T)$; terminal $C_{hh}(T,s)=\kappa^2e^{-s_z(T-s)}$ for the read-out loss $\kappa\,w\cdot h(T)/N$."),
        Step("covariance_pde_r", sp.Eq(sp.Symbol(r"(\tau_r^{-1}-\partial_t)(\tau_r^{-1}-\partial_s)C_{rr}(t,s)", real=True), src_rr.subs({u: t, v: s})), r"$C_{rr}(T,s)=0$."),
        Step("transpose_of_replica", sp.Eq(sp.Symbol(r"\det M_{\rm adj}", real=True), sp.factor(M_adj_q.det())),
             r"With $C=e^{-\lambda(t+s)}\psi(t-s)$ the homogeneous system is $[(\lambda+k)^2-\partial_\tau^2]\psi=M\psi$; SymPy checks that $M_{\rm adj}$ (variables $g_Js_z^2C_{hh},C_{rr}$) and the two-replica $M_{\rm rep}$ of \texttt{gated\_lyapunov\_dmft} have equal trace and determinant "
             r"(they are transposes up to a diagonal similarity), so $C_{hh}(t,t)\propto e^{2\lambda_{\max}(T-t)}$: exploding gradients at rate $\lambda_{\max}$."),
        Step("marching", sp.Eq(C(t, s), sp.exp(-k_rate * dt_) * (C(t + dt_, s) + C(t, s + dt_)) - sp.exp(-2 * k_rate * dt_) * C(t + dt_, s + dt_)
                              + sp.Symbol(r"\iint_{\rm cell}e^{-k(u-t)-k(v-s)}F", real=True)),
             r"Inclusion--exclusion over the quadrant $\{u\ge t,v\ge s\}$ (SymPy verifies it exactly for constant $F$); the cell integral by the 2-D trapezoid rule (error $O(\Delta t^2)$), implicit in $C(t,s)$; anti-diagonals are marched backward from $t+s=2T$."),
        Step("reaction_field", sp.Eq(sp.Symbol(r"\xi_i(t)", real=True), sp.Symbol(r"\xi^{\rm fresh}_i(t)", real=True) + kap_r * sp.Integral(sp.Function(r"\bar\chi", real=True)(t, u) * sp.Function(r"\phi", real=True)(sp.Function("h_i", real=True)(u)), (u, 0, T_))),
             r"$\xi_i=\sum_jJ_{ji}s_za_j$ and $a_j$ depends on $J_{ji}$ through the input $s_rJ_{ji}\phi(h_i)$ of $h_j$; $\sum_jJ_{ji}^2\to g_J$ turns this into an $O(1)$ reaction on neuron $i$'s own path, with $\bar\chi(t,u)=\langle\delta a(t)/\delta I(u)\rangle$ ($\alpha_r=0$). "
             r"The fresh-field closure above drops it; it vanishes for a read-out loss (adjoint odd in an independent $w$, so $\bar\chi=0$) but not for the running loss."),
        Step("reaction_response", sp.Eq(sp.Symbol(r"\langle\delta S(v)/\delta I(u)\rangle", real=True), mean_dsource),
             r"SymPy differentiates the source $S(v)=s_r\phi'(h_v)[\xi_v+\kappa\int\bar\chi(v,w)\phi(h_w)dw]+\rho h_v$ along the forward response $\delta h(v)=G(v,u)=s_z e^{-s_z(v-u)}\theta(v-u)$ (Gaussian forward, $\alpha_z=0$) and averages ($\langle\xi\rangle=0$); "
             r"then $\bar\chi(t,u)=\int_t^Te^{-s_z(v-t)}\langle\delta S(v)/\delta I(u)\rangle dv$, a linear equation marched backward in $t$."),
        Step("gradient_norm", sp.Eq(sp.Symbol(r"\|\nabla_{J^h}L\|_F^2", real=True),
                                    s_z**2 * sp.Integral(sp.Integral(Chh(t, s) * Csr(t - s) * Cph(t - s), (t, 0, T_)), (s, 0, T_))),
             r"Exact factorisation $\sum_{ij}(\int X_iY_j)^2=\iint(\sum_iX_iX_i)(\sum_jY_jY_j)$ with $X=s_za_h$, $Y=\sigma_r\phi$; the empirical correlations self-average (leading order in $1/N$). Likewise $\|\nabla_{J^r}L\|_F^2\simeq\tau_r^{-2}\iint C_{rr}C_\phi$."),
    ]
    return Derivation(
        name="gated_adjoint_dmft",
        title="Adjoint DMFT: covariance equations and gradient norms",
        steps=steps,
        references=[ADJ_DMFT_REF],
        summary=r"The adjoint sees fresh Gaussian fields; its covariances obey hyperbolic equations on $[0,T]^2$ driven by the forward DMFT correlations, and the gradient norms are double integrals of adjoint and forward covariances.",
    )


@derivation("gated_adjoint_dmft", theory="gating")
def _registered() -> Derivation:
    return adjoint_dmft_derivation()


def cell_weights(k: float, dt: float) -> tuple[float, float, float]:
    """(e^{−kΔt}, e^{−2kΔt}, Δt²/4): coefficients of the marching step (step ``marching``)."""
    e = float(np.exp(-k * dt))
    return e, e * e, dt * dt / 4.0


@dataclass(frozen=True)
class AdjointDMFT:
    """Adjoint covariances on the grid t_k = kΔt (k = 0..n) and the predicted gradient norms."""

    params: GatedParams
    times: np.ndarray
    C_hh: np.ndarray
    C_rr: np.ndarray
    grad_norm_Jh: float
    grad_norm_Jr: float
    running: float
    readout: float
    info: dict[str, Any] = field(default_factory=dict)

    def diagonal_growth_rate(self, t_from: float, t_to: float) -> float:
        """½ d log C_hh(t, t)/d(T − t) fitted on t ∈ [t_from, t_to] (→ λ_max backward in the chaotic phase)."""
        m = (self.times >= t_from) & (self.times <= t_to)
        require(int(m.sum()) >= 3, "t_from, t_to", (t_from, t_to), "a window with >= 3 grid times")
        y = np.log(np.diag(self.C_hh)[m])
        return float(-0.5 * np.polyfit(self.times[m], y, 1)[0])


def solve_adjoint_dmft(
    params: GatedParams,
    *,
    T: float,
    dt: float = 0.05,
    running: float = 1.0,
    readout: float = 0.0,
    forward: Any = None,
    n: int = 2048,
    dtau: float = 0.1,
    reaction: bool | None = None,
    n_paths: int = 20000,
    seed: int = 0,
) -> AdjointDMFT:
    """Adjoint covariances C_hh, C_rr on [0, T]² and the predicted ‖∇_{J^h}L‖², ‖∇_{J^r}L‖².

    Parameters
    ----------
    params:
        Gated parameters with α_z = 0 (σ_z ≡ s_z).
    T, dt:
        Horizon and grid step (error O(dt²) from the cell trapezoid rule).
    running, readout:
        Weights ρ of the running loss ∫Σh²/2N and κ of the read-out loss Σ w_i h_i(T)/N.
    forward:
        A converged :class:`theory.gating.dmft.GatedDMFTSolution` (solved here if omitted).
    reaction:
        Include the reaction term (:func:`reaction_response`; implemented for α_r = 0). Default:
        on when it is non-zero and implemented (running loss, α_r = 0). Without it the running-loss
        prediction is the fresh-field closure of gating-derivations §7 (an approximation).
    n_paths, seed:
        Monte-Carlo forward paths for the reaction source (error ∝ n_paths^{-1/2}, reported in
        ``info['reaction_mc_rel_err']``).

    Raises
    ------
    ParameterError
        α_z ≠ 0, bad T/dt, a window shorter than T, or no loss.
    ConvergenceError
        If the forward DMFT did not converge.
    """
    from theory.gating.dmft import GatedDMFT, coupling_variance, solve_dmft_fourier

    require(params.alpha_z == 0, "alpha_z", params.alpha_z, "alpha_z = 0 (the adjoint fields are Gaussian only then)")
    require(np.isfinite(T) and T > 0 and np.isfinite(dt) and 0 < dt <= T / 4, "T, dt", (T, dt), "T > 0 and 0 < dt <= T/4")
    require(running >= 0 and readout >= 0 and running + readout > 0, "running, readout", (running, readout), "non-negative weights, not both zero")
    sol = forward if forward is not None else solve_dmft_fourier(params, n=n, dtau=dtau)
    if not sol.converged:
        raise ConvergenceError(f"forward DMFT did not converge for {params}", sol.residual, sol.iterations)
    require(float(sol.tau[-1]) >= T, "T", T, f"T <= half the DMFT window ({float(sol.tau[-1]):.4g})")
    nt = int(round(T / dt))
    times = np.arange(nt + 1) * dt
    idx = np.abs(np.arange(nt + 1)[:, None] - np.arange(nt + 1)[None, :])  # lag index |i − j|
    th = GatedDMFT.for_params(params)
    Ch0, Cr0 = float(sol.C_h[0]), float(sol.C_r[0])
    ch1, cr1 = sol.at("C_h", times), sol.at("C_r", times)  # closures on the nt + 1 distinct lags, then indexed
    Ch, Cphi, Csr = ch1[idx], sol.at("C_phi", times)[idx], sol.at("C_sigma_r", times)[idx]
    Cphi1 = (np.asarray(th.dC_phi(ch1, Ch0), dtype=float) * np.ones_like(ch1))[idx]
    Csr1 = (np.asarray(th.dC_sigma_r(cr1, Cr0), dtype=float) * np.ones_like(cr1))[idx] if params.alpha_r > 0 else np.zeros_like(Ch)
    sz, tr, gJ = params.s_z, params.tau_r, coupling_variance(params)
    q = gJ * sz * sz
    # F_h = A_hh C_hh + A_hr C_rr + src ; F_r = A_rh C_hh  (steps source_hh, source_rr)
    A_hh, A_hr, A_rh = q * Cphi1 * Csr, Cphi1 / tr**2, q * Csr1 * Cphi
    use_reaction = (running > 0 and params.alpha_r == 0) if reaction is None else bool(reaction)
    if use_reaction:
        require(params.alpha_r == 0, "reaction", reaction, "reaction=False for alpha_r != 0 (the reaction term is implemented for alpha_r = 0)")
        chi = reaction_response(params, times, Ch, Ch0, running)
        src, mc_err = _reaction_source(params, times, Ch, chi, running, n_paths, seed)
    else:
        chi, mc_err = None, 0.0
        src = running**2 * Ch
    Hh = np.zeros((nt + 1, nt + 1))
    Hr = np.zeros((nt + 1, nt + 1))
    Hh[nt, :] = Hh[:, nt] = readout**2 * np.exp(-sz * (T - times))
    Fh = np.zeros_like(Hh)
    Fr = np.zeros_like(Hh)
    Fh[nt, :] = A_hh[nt, :] * Hh[nt, :] + src[nt, :]
    Fh[:, nt] = Fh[nt, :]
    Fr[nt, :] = A_rh[nt, :] * Hh[nt, :]
    Fr[:, nt] = Fr[nt, :]
    eh, eh2, w = cell_weights(sz, dt)
    er, er2, _ = cell_weights(1.0 / tr, dt)
    for d in range(2 * nt - 2, -1, -1):  # anti-diagonal i + j = d, interior points (i, j < nt)
        i = np.arange(max(0, d - nt + 1), min(d, nt - 1) + 1)
        j = d - i
        bh = eh * (Hh[i + 1, j] + Hh[i, j + 1]) - eh2 * Hh[i + 1, j + 1] + w * (eh * (Fh[i + 1, j] + Fh[i, j + 1]) + eh2 * Fh[i + 1, j + 1] + src[i, j])
        br = er * (Hr[i + 1, j] + Hr[i, j + 1]) - er2 * Hr[i + 1, j + 1] + w * (er * (Fr[i + 1, j] + Fr[i, j + 1]) + er2 * Fr[i + 1, j + 1])
        # implicit corner: Hh = bh + w (A_hh Hh + A_hr Hr), Hr = br + w A_rh Hh
        a11, a12, a21 = 1 - w * A_hh[i, j], -w * A_hr[i, j], -w * A_rh[i, j]
        det = a11 - a12 * a21
        hh = (bh - a12 * br) / det
        hr = br - a21 * hh
        Hh[i, j], Hr[i, j] = hh, hr
        Fh[i, j] = A_hh[i, j] * hh + A_hr[i, j] * hr + src[i, j]
        Fr[i, j] = A_rh[i, j] * hh
    if not (np.all(np.isfinite(Hh)) and np.all(np.isfinite(Hr))):
        raise ConvergenceError("adjoint covariance overflowed (T too long for the growth rate?)", float("nan"), 0)
    wq = np.full(nt + 1, dt)
    wq[0] = wq[-1] = dt / 2
    Gh = float(sz * sz * wq @ (Hh * Csr * Cphi) @ wq)
    Gr = float(wq @ (Hr * Cphi) @ wq / tr**2)
    info = {"C_h0": Ch0, "C_r0": Cr0, "dt": dt, "reaction": use_reaction, "reaction_mc_rel_err": mc_err, "chi": chi}
    return AdjointDMFT(params, times, Hh, Hr, Gh, Gr, float(running), float(readout), info)


# ============================================================================ reaction term (α_r = 0)
@functools.cache
def _phi_function_classes() -> tuple[Any, Any, Any]:
    """Undefined φ, φ', φ'' as SymPy functions with φ.fdiff = φ', φ'.fdiff = φ'' (for the derivation)."""
    Phi2 = type("phi''", (sp.Function,), {"is_real": True})
    Phi1 = type("phi'", (sp.Function,), {"is_real": True, "fdiff": lambda self, argindex=1: Phi2(self.args[0])})
    Phi = type("phi", (sp.Function,), {"is_real": True, "fdiff": lambda self, argindex=1: Phi1(self.args[0])})
    return Phi, Phi1, Phi2


@functools.cache
def _phi_closures(params: GatedParams) -> tuple[Any, Any, Any]:
    """Compiled C_{φ'}(c; c0), C_{φ''φ}(c; c0) = E[φ''(x)φ(y)] and the expressions φ, φ', φ''."""
    from theory.gating.closures import phi_strip, quadrature_step, sharp_cross
    from theory.gating.model import phi_expr
    from theory.symbolic.compile import compile_function
    from theory.symbolic.gaussian import X, _d

    phi = phi_expr(params)
    step = quadrature_step(phi_strip(params))
    c, c0 = sp.Symbol("c", real=True), sp.Symbol("c_0", positive=True)
    C1 = compile_function(sharp_cross(_d(phi), None, step)(c, c0), [c, c0])
    C21 = compile_function(sharp_cross(_d(phi, 2), phi, step)(c, c0), [c, c0])
    fns = tuple(compile_function(e, [X]) for e in (phi, _d(phi), _d(phi, 2)))
    return C1, C21, fns


def reaction_response(params: GatedParams, times: np.ndarray, Ch: np.ndarray, Ch0: float, running: float) -> np.ndarray:
    r"""Mean response χ̄(t, u) = ⟨δã_h(t)/δI(u)⟩ of the adjoint to a kick I of the forward h equation.

    The adjoint of neuron i sees its own forward path through J_ji (in h_j's input and in
    ξ_i = Σ_j J_ji s_z ã_j): ξ_i ∋ κ ∫χ̄(t,u)φ(h_i(u))du with κ = g_J s_z s_r (step
    ``reaction_field``). For α_z = α_r = 0 the forward response is δh(v)/δI(u) = s_z e^{−s_z(v−u)}
    (v ≥ u) and χ̄ solves the linear equation (step ``reaction_response``)

    .. math::
        ar\chi(t,u)=\int_t^Te^{-s_z(v-t)}\Big\{s_r\kappa\Big[G(v,u)\!\int\!ar\chi(v,w)C_{\phi''\phi}(v-w)dw
        +\!\int\!ar\chi(v,w)C_{\phi'}(v-w)G(w,u)dw\Big]+
ho\,G(v,u)\Big\}dv,

    marched backward in t (trapezoid rule, implicit in the row t; G(u, u) = s_z/2 at the jump).
    """
    from theory.gating.dmft import coupling_variance

    C1, C21, _ = _phi_closures(params)
    nt = times.size - 1
    dt = float(times[1] - times[0])
    sz, sr = params.s_z, params.s_r
    kappa = coupling_variance(params) * sz * sr
    wq = np.full(nt + 1, dt)
    wq[0] = wq[-1] = dt / 2
    idx = np.abs(np.arange(nt + 1)[:, None] - np.arange(nt + 1)[None, :])
    ch1 = Ch[0]  # C_h at lags 0..nt (row 0 of the Toeplitz matrix)
    B = (np.asarray(C21(ch1, Ch0), dtype=float) * np.ones_like(ch1))[idx] * wq[None, :]  # B[v, w] = C_{φ''φ}(v − w) w_w
    Cp = (np.asarray(C1(ch1, Ch0), dtype=float) * np.ones_like(ch1))[idx] * wq[None, :]
    diff = times[:, None] - times[None, :]
    G = np.where(diff > 0, sz * np.exp(-sz * np.clip(diff, 0, None)), 0.0)
    G[np.diag_indices(nt + 1)] = sz / 2
    chi = np.zeros((nt + 1, nt + 1))
    e = float(np.exp(-sz * dt))

    def src_row(k: int, row: np.ndarray) -> np.ndarray:
        return sr * kappa * (G[k] * (B[k] @ row) + (Cp[k] * row) @ G) + running * G[k]

    prev_src = src_row(nt, chi[nt])
    eye = np.eye(nt + 1)
    for k in range(nt - 1, -1, -1):
        rhs = e * chi[k + 1] + 0.5 * dt * (e * prev_src + running * G[k])
        # row-linear part of src_row(k, ·): χ ↦ s_r κ [G_k (B_k·χ) + (Cp_k ∘ χ) G]
        L = sr * kappa * (np.outer(B[k], G[k]) + Cp[k][:, None] * G)  # acts as row @ L
        chi[k] = np.linalg.solve((eye - 0.5 * dt * L).T, rhs)
        prev_src = src_row(k, chi[k])
    return chi


def _reaction_source(
    params: GatedParams, times: np.ndarray, Ch: np.ndarray, chi: np.ndarray, running: float, n_paths: int, seed: int
) -> tuple[np.ndarray, float]:
    """⟨D(v)D(v')⟩ for D = s_r κ φ'(h_v) ∫χ̄(v,w)φ(h_w)dw + ρ h_v over Gaussian forward paths (Monte Carlo).

    Forward paths h ~ GP(0, C_h) on the grid (exact: eigendecomposition of the Toeplitz covariance);
    the error of the mean is estimated from 8 batches and returned relative to the diagonal.
    """
    from theory.gating.dmft import coupling_variance

    require(isinstance(n_paths, (int, np.integer)) and n_paths >= 800, "n_paths", n_paths, "an integer >= 800")
    _, _, (phi, dphi, _) = _phi_closures(params)
    nt = times.size - 1
    dt = float(times[1] - times[0])
    wq = np.full(nt + 1, dt)
    wq[0] = wq[-1] = dt / 2
    kappa = coupling_variance(params) * params.s_z * params.s_r
    evals, evecs = np.linalg.eigh(Ch)
    root = evecs * np.sqrt(np.clip(evals, 0.0, None))
    rng = np.random.default_rng([seed, 8017])
    n_batches = 8
    per = int(np.ceil(n_paths / n_batches))
    sums = []
    for _ in range(n_batches):
        h = root @ rng.standard_normal((nt + 1, per))  # (time, path)
        m = (chi * wq[None, :]) @ np.asarray(phi(h), dtype=float)
        D = params.s_r * kappa * np.asarray(dphi(h), dtype=float) * m + running * h
        sums.append(D @ D.T / per)
    sums = np.array(sums)
    mean = sums.mean(axis=0)
    sem = sums.std(axis=0, ddof=1) / np.sqrt(n_batches)
    return mean, float(np.max(sem.diagonal() / np.abs(mean.diagonal()).clip(1e-300)))
