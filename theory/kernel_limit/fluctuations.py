r"""Poisson correctors: the O(N^{−1/2}) fluctuation of the trained output around the limit ODE.

The infinite-width kernel dynamics on one data path (our reading of Lam, Sirignano, Spiliopoulos,
arXiv:2308.14555 (2023); derivation ``kernel_limit_fluctuations``),

.. math::
    g_{k+1} = g_k + \tfrac{\alpha}{N}\,\big(y-g_k\big)(\xi_k)\,A(\cdot,\xi_k),\qquad g_0 = 0,

differs from the ODE only through the ergodic fluctuation of F_t(ξ') = (y − g_t)(ξ') A(·, ξ').
With the Poisson equation (I − P_L)v_t = F_t − Π F_t the ergodic sum splits into martingale
increments v_t(ξ_k) − P_L v_t(ξ_{k−1}) plus O(1) boundary terms, so δg = g^N − g_t solves, to
leading order,

.. math::
    d\delta g_t = -\alpha KD\,\delta g_t\,dt + \frac{\alpha}{\sqrt N}\,dM_t,\qquad
    d\langle M\rangle_t = \Sigma(F_t)\,dt,

    \mathrm{Cov}(\delta g_T) = \frac{\alpha^2}{N}\int_0^T e^{-\alpha(T-s)KD}\,\Sigma(F_s)\,
    e^{-\alpha(T-s)(KD)^\top}\,ds,

with Σ(F) = Π(F_c vᵀ + v F_cᵀ − F_c F_cᵀ) the CLT covariance of :mod:`theory.markov.poisson`.
The time integral is evaluated by Gauss–Legendre quadrature in s (the integrand is smooth in s).
:func:`fluctuation_derivation` derives the one-mode version with SymPy.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp
from numpy.polynomial.legendre import leggauss

from theory.errors import require
from theory.kernel_limit.limit_ode import LimitODE
from theory.kernel_limit.model import LSS
from theory.markov.histories import HistoryChain
from theory.markov.poisson import MEYN_TWEEDIE, asymptotic_covariance
from theory.symbolic.compile import CompiledFunction, compile_function
from theory.symbolic.derivation import Derivation, Reference, Step, derivation

__all__ = ["kernel_dynamics", "predicted_covariance", "fluctuation_derivation", "mode_variance"]


def kernel_dynamics(
    K: np.ndarray,
    y: np.ndarray,
    positions: np.ndarray,
    alpha: float,
    N: int,
    *,
    g0: np.ndarray | None = None,
) -> np.ndarray:
    """Run g_{k+1} = g_k + (α/N)(y − g_k)(ξ_k) K[:, ξ_k] along R paths of history positions.

    Parameters
    ----------
    positions:
        History positions ξ_k, shape (R, n) (from :meth:`HistoryChain.encode`).
    g0:
        Initial output, shape (H,) or (R, H) (default 0, the limit's initial condition). The
        dynamics is affine in g, so a nonzero g0 adds its linear propagation along the path.

    Returns
    -------
    np.ndarray
        g after n steps, shape (R, H).
    """
    positions = np.atleast_2d(np.asarray(positions))
    K = np.asarray(K, dtype=float)
    y = np.asarray(y, dtype=float)
    require(
        K.ndim == 2 and K.shape[0] == K.shape[1] and y.shape == (K.shape[0],),
        "K, y",
        (K.shape, y.shape),
        "a square (H, H) kernel and a target of shape (H,)",
    )
    require(
        positions.ndim == 2
        and positions.dtype.kind in "iu"
        and bool(np.all((positions >= 0) & (positions < K.shape[0]))),
        "positions",
        positions.shape,
        f"integer history positions in [0, {K.shape[0]}) of shape (R, n)",
    )
    require(
        isinstance(N, (int, np.integer)) and not isinstance(N, bool) and N >= 1,
        "N",
        N,
        "an integer N >= 1",
    )
    require(np.isfinite(alpha) and alpha > 0, "alpha", alpha, "a finite alpha > 0")
    R, n = positions.shape
    H = K.shape[0]
    g = np.zeros((R, H))
    if g0 is not None:
        g0 = np.asarray(g0, dtype=float)
        require(
            g0.shape in ((H,), (R, H)) and bool(np.all(np.isfinite(g0))),
            "g0",
            g0.shape,
            f"a finite initial output of shape ({H},) or ({R}, {H})",
        )
        g += g0
    rows = np.arange(R)
    c = alpha / N
    KT = np.ascontiguousarray(K.T)
    for k in range(n):
        idx = positions[:, k]
        e = y[idx] - g[rows, idx]
        g += (c * e)[:, None] * KT[idx]
    return g


def predicted_covariance(
    ode: LimitODE, hc: HistoryChain, T: float, N: int, *, n_time: int = 24
) -> np.ndarray:
    """Cov(δg_T) from the Poisson corrector (formula in the module docstring), shape (H, H)."""
    require(np.isfinite(T) and T > 0, "T", T, "a finite T > 0")
    require(
        isinstance(N, (int, np.integer)) and not isinstance(N, bool) and N >= 1,
        "N",
        N,
        "an integer N >= 1",
    )
    require(
        isinstance(n_time, (int, np.integer)) and 1 <= n_time <= 1000,
        "n_time",
        n_time,
        "an integer 1 <= n_time <= 1000",
    )
    u, w = leggauss(n_time)
    s_nodes = 0.5 * T * (u + 1)
    w = 0.5 * T * w
    K = ode.K
    H = K.shape[0]
    gs = ode.g(s_nodes)  # (n_time, H)
    cov = np.zeros((H, H))
    for s, ws, g in zip(s_nodes, w, gs, strict=True):
        F = (ode.y - g)[:, None] * K.T  # F[ξ', ξ] = (y − g_s)(ξ') A(ξ, ξ')
        Sigma = asymptotic_covariance(hc.chain, F, method="direct")
        Pm = ode.propagator(T - s)
        cov += ws * (Pm @ Sigma @ Pm.T)
    return ode.alpha**2 / N * cov


# ============================================================================ derivation
t_s, s_s, T_s = (
    sp.Symbol("t", nonnegative=True),
    sp.Symbol("s", nonnegative=True),
    sp.Symbol("T", positive=True),
)
alpha_s, lam_s, sig2_s, N_s = (
    sp.Symbol("alpha", positive=True),
    sp.Symbol("lambda", positive=True),
    sp.Symbol("sigma^2", nonnegative=True),
    sp.Symbol("N", positive=True),
)


@functools.cache
def fluctuation_derivation() -> Derivation:
    """One-mode Poisson corrector: Var δ_T = (α²σ²/N)∫₀ᵀ e^{−2αλ(T−s)} ds, integrated by SymPy."""
    integrand = alpha_s**2 * sig2_s / N_s * sp.exp(-2 * alpha_s * lam_s * (T_s - s_s))
    var = sp.simplify(sp.integrate(integrand, (s_s, 0, T_s)))
    limit_T = sp.limit(var, T_s, sp.oo)
    xi = sp.IndexedBase("xi", real=True)
    k = sp.Symbol("k", integer=True, nonnegative=True)
    g, yF, A = (
        sp.Function("g_k", real=True),
        sp.Function("y", real=True),
        sp.Function("A", real=True),
    )
    Vsym = sp.Symbol(r"\mathrm{Var}\,\delta_T", nonnegative=True)
    return Derivation(
        name="kernel_limit_fluctuations",
        title="Poisson corrector: fluctuations of the trained RNN around the limit ODE",
        steps=[
            Step(
                "kernel_dynamics",
                sp.Eq(
                    sp.Symbol("g_{k+1}", real=True),
                    g(sp.Symbol("xi", real=True))
                    + alpha_s / N_s * (yF(xi[k]) - g(xi[k])) * A(sp.Symbol("xi", real=True), xi[k]),
                ),
                r"Infinite-width dynamics along one data path, $t=k/N$.",
                title="Pre-limit dynamics",
            ),
            Step(
                "martingale_split",
                sp.Eq(
                    sp.Symbol(r"\sum_{k<Nt}[F(\xi_k)-\Pi F]", real=True),
                    sp.Symbol(
                        r"\sum_{k\le Nt}[v(\xi_k)-P_Lv(\xi_{k-1})]+v(\xi_0)-v(\xi_{Nt})", real=True
                    ),
                ),
                r"With the solution $v$ of the Poisson equation $(I-P_L)v=F-\Pi F$ of the history "
                r"chain, the centred sums split into a martingale and boundary terms.",
                Reference(key="meyn2009", where="Eq. (17.39)"),
                title="Martingale decomposition",
            ),
            Step(
                "linear_sde",
                sp.Eq(
                    sp.Symbol(r"d\delta_t", real=True),
                    -alpha_s * lam_s * sp.Symbol(r"\delta_t\,dt", real=True)
                    + alpha_s / sp.sqrt(N_s) * sp.Symbol("dM_t", real=True),
                ),
                r"One eigenmode of $KD$ (eigenvalue $\lambda$); $d\langle M\rangle_t=\sigma^2dt$ with $\sigma^2$ the CLT variance of the mode's $F$.",
                title="Fluctuation of one mode",
            ),
            Step(
                "variance",
                sp.Eq(Vsym, var),
                r"SymPy integrates $\frac{\alpha^2\sigma^2}{N}\int_0^Te^{-2\alpha\lambda(T-s)}ds$.",
                title="Variance",
            ),
            Step(
                "stationary_variance",
                sp.Eq(sp.Symbol(r"\mathrm{Var}\,\delta_\infty", nonnegative=True), limit_T),
                r"Large-$T$ limit: $O(N^{-1/2})$ standard deviation.",
                title="Long-time limit",
            ),
            Step(
                "matrix_form",
                sp.Eq(
                    sp.Symbol(r"\mathrm{Cov}\,\delta g_T", real=True),
                    sp.Symbol(
                        r"\frac{\alpha^2}{N}\int_0^Te^{-\alpha(T-s)KD}\Sigma(F_s)e^{-\alpha(T-s)(KD)^\top}ds",
                        real=True,
                    ),
                ),
                r"All modes at once, with time-dependent $F_s(\xi')=(y-g_s)(\xi')A(\cdot,\xi')$ and $\Sigma(F)=\Pi(F_cv^\top+vF_c^\top-F_cF_c^\top)$.",
                title="All modes",
            ),
        ],
        references=[LSS, MEYN_TWEEDIE],
        summary=(
            r"The $O(N^{-1/2})$ fluctuation of the network around the limit ODE "
            r"\derivref{kernel_limit_ode} is a linear SDE driven by the martingale of the Poisson "
            r"equation of the history chain \derivref{markov_poisson} (our reading of "
            r"\cite{lam2023})."
        ),
    )


@derivation("kernel_limit_fluctuations", theory="kernel_limit")
def _registered_fluct() -> Derivation:
    return fluctuation_derivation()


@functools.cache
def mode_variance() -> CompiledFunction:
    """Compiled Var δ_T(α, λ, σ², N, T) of :func:`fluctuation_derivation`."""
    return compile_function(
        fluctuation_derivation().rhs("variance"), [alpha_s, lam_s, sig2_s, N_s, T_s]
    )
