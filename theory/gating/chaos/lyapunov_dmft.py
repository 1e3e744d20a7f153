r"""Maximal Lyapunov exponent from the DMFT: two-replica eigenproblem (α_z = 0) and Schrödinger form.

Krishnamurthy, Can & Schwab, PRX 12, 011011 (2022), Sec. VI.B (DMFT prediction of the maximal
Lyapunov exponent, two-replica linearisation; Fig. 7); Crisanti & Sompolinsky, PRE 98, 062120
(2018) for the Schrödinger form of the classical network. The two-replica equations of the gated
network below are our re-derivation (derivation ``gated_lyapunov_dmft``).

Two replicas with the same couplings, cross-correlation C¹² = C − ε, ε(t, t') = e^{λ(t+t')}ψ(t−t').
Price's theorem linearises the closures (δC_F = −C_{F'} ε) and, for α_z = 0 (σ_z ≡ s_z),

.. math::
    [(\lambda+s_z)^2-\partial_\tau^2]\psi_h &= s_z^2 g_J\,[C_{\sigma_r}C_{\phi'}\psi_h+C_\phi C_{\sigma_r'}\psi_r],\\
    [(\lambda+\tau_r^{-1})^2-\partial_\tau^2]\psi_r &= \tau_r^{-2}C_{\phi'}\psi_h ;

λ_max is the largest λ with a bounded ψ. With the Green's function
:math:`G_\kappa(\tau)=e^{-\kappa|\tau|}/(2\kappa)` of :math:`\kappa^2-\partial^2` this is the
condition "top eigenvalue of :math:`\mathcal K_\lambda` equals 1" (:func:`two_replica_lyapunov`).
For α_r = 0 (C_{σ_r'} = 0, C_{σ_r} = s_r²) it is a Schrödinger problem,
:math:`H=-\partial^2+s_z^2(1-g_Js_r^2C_{\phi'})`, λ_max = −s_z + √(s_z² − E_0); for the classical
network H = −∂² − V''(Δ(τ)) = −∂² + 1 − g² C_{φ'} (:func:`classical_lyapunov_dmft`).

For α_z ≠ 0 the replica-difference dynamics, δḣ = σ_z(z)(−δh + δη_h) + σ_z'(z) e δz, is
non-Gaussian (the rate is random); we did not implement the paper's analytic relation to the
relaxation time (its text was not available to us), so λ_max for α_z ≠ 0 comes from simulations
(:mod:`theory.gating.chaos.lyapunov`) only.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.linalg as sl
import scipy.optimize as so
import sympy as sp

from theory.errors import ConvergenceError, ParameterError, require
from theory.gating.classical.dmft import Delta as cl_Delta
from theory.gating.classical.dmft import Delta0 as cl_Delta0
from theory.gating.classical.dmft import classical_dmft_derivation, solve_classical_dmft
from theory.gating.classical.dmft import g as cl_g
from theory.gating.classical.model import ClassicalParams
from theory.gating.model import GatedParams, has_user_functions
from theory.symbolic.compile import CompiledFunction, compile_function
from theory.symbolic.derivation import Derivation, Reference, Step, derivation
from theory.symbolic.gaussian import X, diff_x, gaussian_cross
from theory.symbolic.printing import tex_name

if TYPE_CHECKING:
    from theory.gating.dmft.equations import GatedDMFTSolution


__all__ = [
    "lyapunov_dmft_derivation",
    "classical_lyapunov_dmft",
    "two_replica_lyapunov",
    "gated_lyapunov_dmft",
    "LyapunovDMFT",
    "green_kernel",
    "schrodinger_ground_state",
]

KCS_LYAP = Reference(key="krishnamurthy2022", where="Sec. VI.B")
CS2018 = Reference(key="crisanti2018", where="Sec. III")

lam = sp.Symbol("lambda", real=True)
s_z = sp.Symbol("s_z", positive=True)
s_r = sp.Symbol("s_r", positive=True)
g_J = sp.Symbol("g_J", positive=True)
tau_r = sp.Symbol("tau_r", positive=True)
kappa = sp.Symbol("kappa", positive=True)
tau = sp.Symbol("tau", real=True)
E0 = sp.Symbol("E_0", real=True)
psi_h, psi_r = sp.Function("psi_h", real=True), sp.Function("psi_r", real=True)
C_sr, C_srp, C_ph, C_php = (
    tex_name(sp.Function(n, real=True), t)
    for n, t in (
        ("C_sigma_r", r"C_{\sigma_r}"),
        ("C_sigma_r'", r"C_{\sigma_r'}"),
        ("C_phi", r"C_{\phi}"),
        ("C_phi'", r"C_{\phi'}"),
    )
)


@functools.cache
def lyapunov_dmft_derivation() -> Derivation:
    """Two-replica eigenproblem, its Green's-function form and the Schrödinger reductions."""
    eq_h = sp.Eq(
        (lam + s_z) ** 2 * psi_h(tau) - sp.diff(psi_h(tau), tau, 2),
        s_z**2 * g_J * (C_sr(tau) * C_php(tau) * psi_h(tau) + C_ph(tau) * C_srp(tau) * psi_r(tau)),
    )
    eq_r = sp.Eq(
        (lam + 1 / tau_r) ** 2 * psi_r(tau) - sp.diff(psi_r(tau), tau, 2),
        C_php(tau) * psi_h(tau) / tau_r**2,
    )
    # Green's function of κ² − ∂²: verify (κ² − ∂²)G = 0 off 0 and the unit jump of −G'
    G = sp.exp(-kappa * tau) / (2 * kappa)  # τ > 0 branch; even extension
    assert sp.simplify(kappa**2 * G - sp.diff(G, tau, 2)) == 0
    jump = sp.simplify(-2 * sp.diff(G, tau).subs(tau, 0))
    assert jump == 1
    # α_r = 0: σ_r' ≡ 0, C_σr = s_r²  → Schrödinger problem H ψ = E ψ with E = s_z² − (λ + s_z)²
    E = sp.Symbol("E", real=True)
    schro_energy = sp.expand(s_z**2 - (lam + s_z) ** 2)
    roots = sp.solve(sp.Eq(schro_energy, E0), lam)
    lam_max = max(roots, key=lambda rt: rt.subs({s_z: 1, E0: -sp.Rational(1, 10)}))
    # classical network: H = −∂² − V''(Δ(τ)); SymPy differentiates the SCS potential twice (Price)
    V = classical_dmft_derivation("tanh").rhs("potential")
    Vpp = sp.diff(V, cl_Delta, 2)
    Cphip = gaussian_cross(
        diff_x(sp.tanh(X))
    )  # φ' in the spine's canonical form (as Price's theorem writes it)
    expected = -1 + cl_g**2 * Cphip(cl_Delta, cl_Delta0)
    if sp.simplify(Vpp - expected) != 0:
        raise AssertionError(f"V'' = {Vpp}, expected {expected}")
    lam_classical = lam_max.subs(s_z, 1)
    steps = [
        Step(
            "replica_h",
            eq_h,
            r"Two replicas of the network share the couplings. For $\alpha_z=0$ "
            r"($\sigma_z\equiv s_z$) their linearised cross-correlation with the ansatz "
            r"$\epsilon(t,t')=e^{\lambda(t+t')}\psi(t-t')$ obeys, in the $h$ channel,",
            "Sec. VI.B",
            title="Two-replica equations",
        ),
        Step(
            "replica_r",
            eq_r,
            r"and in the $r$ channel, driven by $C_{\phi'}\psi_h$ through $J^r$,",
        ),
        Step(
            "green",
            sp.Eq(
                sp.Function("G", positive=True)(kappa, tau),
                sp.exp(-kappa * sp.Abs(tau)) / (2 * kappa),
            ),
            r"The bounded Green's function of $\kappa^2-\partial_\tau^2$ (SymPy verifies the "
            r"homogeneous equation off 0 and the unit jump of $-\partial_\tau G$) turns the pair "
            r"into one integral operator; $\lambda_{\max}$ is where the top eigenvalue of "
            r"$\mathcal K_\lambda=s_z^2g_JG_{\lambda+s_z}[C_{\sigma_r}C_{\phi'}+C_\phi "
            r"C_{\sigma_r'}\tau_r^{-2}G_{\lambda+1/\tau_r}C_{\phi'}]$ equals 1.",
            title="Green's function form",
        ),
        Step(
            "schrodinger_energy",
            sp.Eq(E, schro_energy),
            r"Without output-gate sharpness ($\alpha_r=0$: $C_{\sigma_r'}=0$, "
            r"$C_{\sigma_r}=s_r^2$) the $h$ equation is the Schr\"odinger problem "
            r"$[-\partial_\tau^2+s_z^2(1-g_Js_r^2C_{\phi'})]\psi=E\psi$ with",
            title='Schr"odinger form',
        ),
        Step(
            "lyapunov_from_ground_state",
            sp.Eq(sp.Symbol(r"\lambda_{\max}", real=True), lam_max),
            r"The bounded solution with the largest $\lambda$ is the ground state $E_0$ (the "
            r"larger root) \cite{crisanti2018}:",
            title="Lyapunov exponent from the ground state",
        ),
        Step(
            "classical_potential_curvature",
            sp.Eq(sp.Symbol("V''", real=True), Vpp),
            r"For the classical network SymPy differentiates the potential $V$ of its DMFT "
            r"\derivref{classical_dmft} twice ($\partial_\Delta^2C_\Phi=C_{\phi'}$), so "
            r"$H=-\partial_\tau^2-V''(\Delta(\tau))$,",
            title="The classical network",
        ),
        Step(
            "classical_lyapunov",
            sp.Eq(sp.Symbol(r"\lambda_{\max}^{\rm SCS}", real=True), lam_classical),
            r"and, with $s_z=1$,",
        ),
    ]
    return Derivation(
        name="gated_lyapunov_dmft",
        title="Maximal Lyapunov exponent from the two-replica DMFT",
        steps=steps,
        references=[KCS_LYAP, CS2018],
        summary=(
            r"Two replicas of the gated network \cite{krishnamurthy2022} share the couplings; the "
            r"growth rate of their distance is the largest $\lambda$ for which the linearised "
            r"equations of their cross-correlation have a bounded solution. Without output-gate "
            r"sharpness this is the ground state of a Schr\"odinger problem, as for the classical "
            r"network \cite{crisanti2018}."
        ),
        notation=[
            (
                r"C_F(\tau)",
                r"the stationary Gaussian cross moment $C_F(C_h(\tau);C_h(0))$ of the forward DMFT",
            ),
            (s_z, r"the constant update gate $\sigma_z(0)$"),
            (s_r, r"the constant output gate"),
        ],
        symbols=[jump] if isinstance(jump, sp.Symbol) else [],
    )


@derivation("gated_lyapunov_dmft", theory="gating")
def _registered() -> Derivation:
    return lyapunov_dmft_derivation()


@functools.cache
def _lam_from_E0() -> CompiledFunction:
    d = lyapunov_dmft_derivation()
    lam = d.rhs("lyapunov_from_ground_state")  # −s_z + √(s_z² − E0)
    # near the onset |E0| ≪ s_z² and the difference loses every digit: multiply by the conjugate
    conj = lam + 2 * s_z
    num = sp.expand(lam * conj)
    if num.has(sp.sqrt(s_z**2 - E0)) or num.free_symbols != {E0}:
        raise AssertionError(f"unexpected form of lambda_max: {lam}")
    return compile_function(num / conj, [s_z, E0])


@dataclass(frozen=True)
class LyapunovDMFT:
    """DMFT maximal Lyapunov exponent.

    Attributes
    ----------
    value:
        λ_max.
    method:
        ``"schrodinger"`` or ``"two_replica"``.
    ground_energy:
        E_0 (Schrödinger form) or NaN.
    discretisation_error:
        |λ(dτ) − λ(2dτ)|/3, a Richardson estimate of the O(dτ²) grid error.
    """

    value: float
    method: str
    ground_energy: float
    discretisation_error: float
    info: dict[str, float]


def _ground_energy(potential: np.ndarray, dtau: float) -> float:
    n = potential.size
    d = 2.0 / dtau**2 + potential
    e = -np.ones(n - 1) / dtau**2
    w = sl.eigh_tridiagonal(d, e, select="i", select_range=(0, 0), eigvals_only=True)
    return float(w[0])


def classical_lyapunov_dmft(
    g: float,
    *,
    phi: str = "tanh",
    method: str = "spectral",
    order: int = 16,
    L: float = 30.0,
    dtau: float = 0.02,
    solution: Any = None,
) -> LyapunovDMFT:
    """λ_max of the classical random RNN, Schrödinger form (Crisanti & Sompolinsky 2018).

    H = −∂² − V''(Δ(τ)) = −∂² + 1 − g² C_{φ'}(Δ(τ); Δ0) (step ``classical_potential_curvature``;
    the solver tabulates −V'' = ∂_Δ F on the panels of :class:`~theory.gating.classical.dmft.Separatrix`);
    λ = −1 + √(1 − E_0) (step ``lyapunov_from_ground_state``). Reference λ(g=2) ≈ 0.1125.

    ``method="spectral"`` (default): spectral elements (:func:`schrodinger_ground_state`) on
    elements graded like the separatrix panels near τ = 0 (at large g the well of −V'' is 1/g wide)
    and one τ_R long beyond, out to 24 τ_R; ``discretisation_error`` = |λ(order) − λ(order − 4)|
    (≈ 1e-12). Cost ≈ 2 ms after the DMFT solve, flat in g up to 10³.
    ``method="fd"``: second-order finite differences on [−L, L] with step ``dtau`` (the previous
    method), ``discretisation_error`` = |λ(dτ) − λ(2dτ)|/3 (Richardson, ≈ 1e-5).

    Raises
    ------
    ParameterError
        For g ≤ 1 (no chaotic solution: λ_max = g − 1 < 0 is the zero fixed point's rate),
        g > 10³, or bad grid parameters.
    """
    from theory.gating.classical.dmft import MAX_GAIN

    require(
        isinstance(g, (int, float, np.integer, np.floating))
        and not isinstance(g, bool)
        and bool(np.isfinite(g))
        and 1 < g <= MAX_GAIN,
        "g",
        g,
        f"a number 1 < g <= {MAX_GAIN:g} (chaotic phase of the classical network, solver "
        "domain; the gain itself, not a ClassicalParams)",
    )
    require(method in ("spectral", "fd"), "method", method, "'spectral' or 'fd'")
    if method == "fd":
        require(L > 5 and 0 < dtau < 0.5, "L, dtau", (L, dtau), "L > 5 and 0 < dtau < 0.5")

        def solve(h: float) -> tuple[float, float]:
            sol = solve_classical_dmft(ClassicalParams(g, phi=phi), tau_max=L, dtau=h)
            assert sol.separatrix is not None
            Vpp = -sol.separatrix.stiffness_curve(sol.delta)
            pot = np.concatenate([Vpp[:0:-1], Vpp]) * -1.0  # −V''(Δ(τ)) on [−L, L]
            E = _ground_energy(pot, h)
            return float(_lam_from_E0()(1.0, E)), E

        lam1, E = solve(dtau)
        lam2, _ = solve(2 * dtau)
        return LyapunovDMFT(
            lam1, "schrodinger", E, abs(lam1 - lam2) / 3, {"g": g, "L": L, "dtau": dtau}
        )
    require(
        isinstance(order, (int, np.integer)) and 8 <= order <= 40,
        "order",
        order,
        "an integer 8 <= order <= 40",
    )
    sol = solution if solution is not None else solve_classical_dmft(ClassicalParams(g, phi=phi))
    sep = sol.separatrix
    if sep is None:
        raise ParameterError("solution", sol, "a solution of the energy method (a separatrix)")
    near = sep.element_bounds()
    n_far = 24
    bounds = np.concatenate([near, near[-1] + sep.tau_R * np.arange(1, n_far + 1)])

    def potential(t: np.ndarray) -> np.ndarray:
        return sep.stiffness_curve(sep.delta(t))  # −V''(Δ(τ))

    E1 = schrodinger_ground_state(potential, bounds, int(order))
    E2 = schrodinger_ground_state(potential, bounds, int(order) - 4)
    lam = _lam_from_E0()
    lam1, lam2 = float(lam(1.0, E1)), float(lam(1.0, E2))
    if not np.isfinite(lam1):
        raise ConvergenceError(f"non-finite lambda_max at g = {g}", float("nan"))
    return LyapunovDMFT(
        lam1,
        "schrodinger",
        E1,
        abs(lam1 - lam2),
        {"g": g, "elements": float(bounds.size - 1), "order": float(order), "L": float(bounds[-1])},
    )


@functools.cache
def _gll(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gauss–Lobatto–Legendre nodes, weights and differentiation matrix on [−1, 1] (n + 1 nodes)."""
    from numpy.polynomial import legendre as Lg

    Pn = np.zeros(n + 1)
    Pn[n] = 1.0
    x = np.concatenate([[-1.0], np.sort(Lg.legroots(Lg.legder(Pn))), [1.0]])
    P = Lg.legval(x, Pn)
    w = 2.0 / (n * (n + 1) * P**2)
    with np.errstate(divide="ignore"):
        D = (P[:, None] / P[None, :]) / (x[:, None] - x[None, :])
    np.fill_diagonal(D, 0.0)
    D[0, 0] = -n * (n + 1) / 4.0
    D[n, n] = n * (n + 1) / 4.0
    return x, w, D


def schrodinger_ground_state(
    potential: Callable[[np.ndarray], np.ndarray], bounds: np.ndarray, order: int = 16
) -> float:
    r"""Lowest eigenvalue of H = −∂² + U(τ) on [0, L] with ψ'(0) = 0 and ψ(L) = 0 (even states).

    Spectral elements (Legendre, Gauss–Lobatto–Legendre nodes of degree ``order`` on each element
    [bounds[i], bounds[i+1]]; Patera, J. Comput. Phys. 54, 468 (1984)): the weak form
    ∫ψ'χ' + Uψχ = E∫ψχ with GLL quadrature gives a symmetric banded stiffness matrix and a
    diagonal mass matrix, so E_0 is the smallest eigenvalue of the banded M^{−1/2} K M^{−1/2}
    (LAPACK dsbevx). The error falls exponentially with ``order`` for U analytic on each element.
    The Neumann condition at 0 is natural; Dirichlet at L costs e^{−2κL}, κ² = U(L) − E_0.
    """
    x, w, D = _gll(order)
    a, b = bounds[:-1], bounds[1:]
    J = (b - a) / 2.0
    ne = J.size
    tn = a[:, None] + J[:, None] * (x[None, :] + 1.0)
    U = potential(tn)
    N = ne * order + 1
    mass = np.zeros(N)
    ab = np.zeros((order + 1, N))  # upper banded storage: ab[order + i − j, j] = A[i, j]
    Kref = D.T @ (w[:, None] * D)
    Ke = Kref[None, :, :] / J[:, None, None]
    diag = np.arange(order + 1)
    Ke[:, diag, diag] += J[:, None] * w[None, :] * U
    ii, jj = np.triu_indices(order + 1)
    cols = np.arange(ne)[:, None] * order + jj[None, :]
    rows = np.broadcast_to(order + ii - jj, cols.shape)
    np.add.at(ab, (rows, cols), Ke[:, ii, jj])
    np.add.at(mass, np.arange(ne)[:, None] * order + diag[None, :], J[:, None] * w[None, :])
    # Dirichlet at the last node: drop it
    ab = ab[:, :-1]
    mass = mass[:-1]
    s = 1.0 / np.sqrt(mass)
    Nn = N - 1
    for k in range(order + 1):
        off = order - k  # superdiagonal offset
        j = np.arange(off, Nn)
        ab[k, j] *= s[j - off] * s[j]
    ev = sl.eig_banded(ab, lower=False, eigvals_only=True, select="i", select_range=(0, 0))
    return float(ev[0])


def green_kernel(kappa_value: float, tau_grid: np.ndarray) -> np.ndarray:
    """Discretised (κ² − ∂²)⁻¹: G_ij = e^{−κ|τ_i−τ_j|}/(2κ)·Δτ (step ``green`` of the derivation)."""
    d = np.abs(tau_grid[:, None] - tau_grid[None, :])
    return np.exp(-kappa_value * d) / (2 * kappa_value) * (tau_grid[1] - tau_grid[0])


def two_replica_lyapunov(
    params: GatedParams,
    tau: np.ndarray,
    C_h: np.ndarray,
    C_r: np.ndarray,
    *,
    L: float = 25.0,
    stride: int = 1,
    closures: tuple | None = None,
) -> float:
    """λ_max from the two-replica eigenproblem given DMFT correlations (α_z = 0).

    Parameters
    ----------
    tau, C_h, C_r:
        Lags τ ≥ 0 (uniform from 0) and the correlation functions on them.
    L:
        Half-width of the symmetric window [−L, L] (the kernels decay like the correlations).
    stride:
        Use every ``stride``-th lag (coarser grid for error estimates).
    closures:
        (C_φ, C_{φ'}, C_{σ_r}, C_{σ_r'}) as callables (c, c0); default: the gated DMFT's compiled
        closures (:class:`theory.gating.dmft.equations.GatedDMFT`).
    """
    from theory.gating.dmft.equations import compiled_theory, coupling_variance

    require(
        params.alpha_z == 0,
        "alpha_z",
        params.alpha_z,
        "alpha_z = 0 (the replica equations are closed only for a constant rate)",
    )
    tau = np.asarray(tau, dtype=float)
    require(
        tau.ndim == 1 and tau.size > 10 and tau[0] == 0,
        "tau",
        tau.shape,
        "uniform lags starting at 0",
    )
    for name, v in (("C_h", C_h), ("C_r", C_r)):
        if not np.all(np.isfinite(v)):
            raise ParameterError(name, "array with NaN", "finite correlations")
    keep = tau <= L + 1e-9
    t_half = tau[keep][::stride]
    ch, cr = np.asarray(C_h)[keep][::stride], np.asarray(C_r)[keep][::stride]
    if closures is None:
        th = compiled_theory(params)  # memoised per closure parameters (same closures)
        from theory.gating.dmft.closures import ClosureTable

        closures = (
            ClosureTable(th.C_phi),
            ClosureTable(th.dC_phi),
            ClosureTable(th.C_sigma_r),
            ClosureTable(th.dC_sigma_r),
        )
    cphi, cphip, csr, csrp = closures
    ch0, cr0 = float(C_h[0]), float(C_r[0])
    A_half = csr(cr, cr0) * cphip(ch, ch0)
    B_half = cphi(ch, ch0) * (csrp(cr, cr0) if params.alpha_r > 0 else 0.0 * cr)
    P_half = cphip(ch, ch0)
    grid = np.concatenate([-t_half[:0:-1], t_half])
    ev = lambda v: np.concatenate([v[:0:-1], v])  # noqa: E731
    A, B, P = ev(A_half), ev(B_half), ev(P_half)
    sz, tr = params.s_z, params.tau_r
    gJ = coupling_variance(params)

    def top(lv: float) -> float:
        Gh = green_kernel(lv + sz, grid)
        K = Gh * A[None, :]
        if params.alpha_r > 0:
            Gr = green_kernel(lv + 1 / tr, grid)
            K = K + Gh @ (B[:, None] * Gr * P[None, :]) / tr**2
        K *= sz**2 * gJ
        return float(np.max(np.linalg.eigvals(K).real))

    lo = -0.95 * min(sz, 1 / tr)
    hi = 2.0
    f_lo, f_hi = top(lo) - 1, top(hi) - 1
    if f_lo < 0:
        raise ConvergenceError(
            f"two-replica operator below 1 at lambda = {lo:.3g}: no bounded mode in range", f_lo
        )
    if f_hi > 0:
        raise ConvergenceError("two-replica operator above 1 at lambda = 2", f_hi)
    return float(so.brentq(lambda v: top(v) - 1, lo, hi, xtol=1e-10))


def gated_lyapunov_dmft(
    params: GatedParams,
    *,
    dtau: float = 0.1,
    n: int = 2048,
    L: float = 25.0,
    solution: GatedDMFTSolution | None = None,
) -> LyapunovDMFT:
    """λ_max of the gated network from the DMFT (α_z = 0).

    α_r = 0, β_h = 0, no inputs, convention A: the exact reduction to the classical network
    (x = g_h h, time s_z t, gain g = g_h s_r), λ_max = s_z λ_SCS(g_h s_r) (Schrödinger form).
    Otherwise the Fourier solver
    (:func:`theory.gating.dmft.equations.solve_dmft_fourier`) gives C_h, C_r and :func:`two_replica_lyapunov`
    the exponent; the grid error is estimated by repeating on every second lag.

    Raises
    ------
    ParameterError
        For α_z ≠ 0 (not implemented from the DMFT: use simulations).
    ConvergenceError
        If the DMFT does not converge or the replica operator has no root.
    """
    require(isinstance(params, GatedParams), "params", params, "a GatedParams")
    require(
        params.alpha_z == 0,
        "alpha_z",
        params.alpha_z,
        "alpha_z = 0 (for alpha_z > 0 lambda_max comes from simulations only)",
    )
    simple = (
        params.alpha_r == 0
        and params.beta_h == 0
        and params.sigma_h == params.sigma_z == params.sigma_r == 0
        and params.convention == "A"
        and not has_user_functions(params)  # the reduction is to the classical tanh network
    )
    if simple:
        geff = params.g_h * params.s_r
        if geff <= 1:
            return LyapunovDMFT(
                params.s_z * (geff - 1), "zero_fixed_point", float("nan"), 0.0, {"g_eff": geff}
            )
        cl = classical_lyapunov_dmft(geff)
        return LyapunovDMFT(
            params.s_z * cl.value,
            "schrodinger",
            cl.ground_energy,
            params.s_z * cl.discretisation_error,
            {"g_eff": geff},
        )
    from theory.gating.dmft.fourier import solve_dmft_fourier

    sol = solution if solution is not None else solve_dmft_fourier(params, dtau=dtau, n=n)
    if not sol.converged:
        raise ConvergenceError(f"DMFT did not converge for {params}", sol.residual, sol.iterations)
    if sol.C_h[0] < 1e-8:
        return LyapunovDMFT(
            float("nan"), "quiescent", float("nan"), 0.0, {"C_h0": float(sol.C_h[0])}
        )
    v1 = two_replica_lyapunov(params, sol.tau, sol.C_h, sol.C_r, L=L)
    v2 = two_replica_lyapunov(params, sol.tau, sol.C_h, sol.C_r, L=L, stride=2)
    return LyapunovDMFT(
        v1,
        "two_replica",
        float("nan"),
        abs(v1 - v2) / 3,
        {"C_h0": float(sol.C_h[0]), "C_r0": float(sol.C_r[0])},
    )
