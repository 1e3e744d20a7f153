r"""Stationary law, fundamental matrix, Poisson equation and asymptotic variance of a finite chain.

For an irreducible aperiodic chain with transition matrix P and stationary law π
(the tools of the fluctuation analysis of :mod:`theory.kernel_limit`):

.. math::
    Z = (I - P + \mathbf 1\pi^\top)^{-1},\qquad (I-P)v = F - \pi(F),\ \pi(v)=0,\quad v = Z(F-\pi F),

    \sigma^2(F) = 2\,\pi(F_c v) - \pi(F_c^2),\qquad F_c = F - \pi(F),

the fundamental matrix of Kemeny & Snell (1960, Thm. 4.3.1), the solution of the Poisson equation
(Meyn & Tweedie, *Markov Chains and Stochastic Stability*, 2nd ed. 2009, Ch. 17, Eq. (17.39)),
and the variance of the CLT :math:`\sqrt n(\bar F_n-\pi F)\Rightarrow\mathcal N(0,\sigma^2(F))`
(Meyn & Tweedie Thm. 17.0.1). Two solvers:

* **exact** (SymPy rationals) for small rational chains: :func:`stationary_exact`,
  :func:`poisson_exact`, :func:`asymptotic_variance_exact`;
* **sparse numeric** for large chains (10⁵ states): π and v from sparse LU of the system with one
  state removed (``method="direct"``), or GMRES on the non-singular rank-one corrected operators
  ``I − Pᵀ + 𝟙𝟙ᵀ`` and ``I − P + 𝟙πᵀ`` (``method="iterative"``), with residual checks.

:func:`poisson_derivation` derives the closed forms for the general two-state chain with SymPy
(registered as ``markov_poisson``); they are compiled and tested against both solvers.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sps
import scipy.sparse.linalg as spla
import sympy as sp

from theory.errors import ConvergenceError, ParameterError, require
from theory.markov.chain import MarkovChain
from theory.symbolic.compile import CompiledFunction, compile_function
from theory.symbolic.derivation import Derivation, Reference, Step, derivation, prove_equal

__all__ = [
    "stationary_numeric",
    "stationary_exact",
    "fundamental_exact",
    "poisson_numeric",
    "poisson_exact",
    "asymptotic_variance",
    "asymptotic_variance_exact",
    "asymptotic_covariance",
    "finite_n_variance",
    "PoissonSolution",
    "poisson_derivation",
    "two_state_closed_forms",
    "KEMENY_SNELL",
    "MEYN_TWEEDIE",
]

KEMENY_SNELL = Reference(
    "Kemeny, Snell, Finite Markov Chains, Van Nostrand (1960)",
    "Thm. 4.3.1 (fundamental matrix)",
    key="kemeny1960",
)
MEYN_TWEEDIE = Reference(
    "Meyn, Tweedie, Markov Chains and Stochastic Stability, 2nd ed., Cambridge (2009)",
    "Ch. 17, Eq. (17.39) and Thm. 17.0.1",
    key="meyn2009",
)

#: Relative residual required of the numeric solvers.
RESIDUAL_TOL = 1e-9
#: Above this many states ``method="auto"`` switches from sparse LU to GMRES.
DIRECT_MAX_STATES = 20000


# ============================================================================ stationary law
def stationary_exact(chain: MarkovChain) -> sp.Matrix:
    """π as an exact column vector of rationals (requires an exact chain)."""
    require(
        chain.exact is not None,
        "chain",
        chain,
        "a chain with exact rational P (sympy.Matrix or Fraction lists)",
    )
    return _stationary_exact(sp.ImmutableMatrix(chain.exact))


@functools.lru_cache(maxsize=32)
def _stationary_exact(P: sp.ImmutableMatrix) -> sp.Matrix:
    m = P.shape[0]
    A = (sp.eye(m) - P.T).as_mutable()
    A[m - 1, :] = sp.ones(1, m)
    rhs = sp.zeros(m, 1)
    rhs[m - 1] = 1
    return A.LUsolve(rhs)


def stationary_numeric(chain: MarkovChain, *, method: str = "auto") -> np.ndarray:
    """π (float, shape (m,)) by sparse LU (``"direct"``) or GMRES (``"iterative"``).

    Direct: π_{m−1} fixed by normalisation; the system ``(I − Pᵀ)π = 0`` with its last row
    replaced by ``𝟙ᵀπ = 1`` is non-singular for an irreducible chain. Iterative:
    ``(I − Pᵀ + 𝟙𝟙ᵀ/m)π = 𝟙/m`` (non-singular: apply 𝟙ᵀ to see 𝟙ᵀπ = 1, then π ∝ the Perron vector).

    Raises
    ------
    ConvergenceError
        If the relative residual max|π − Pᵀπ| / max π exceeds :data:`RESIDUAL_TOL`.
    """
    m = chain.m
    method = _method(method, m)
    PT = chain.matrix.T.tocsr()
    if m == 1:
        return np.ones(1)
    if method == "direct":
        A = (sps.identity(m, format="csr") - PT).tolil()
        A[m - 1, :] = np.ones(m)
        rhs = np.zeros(m)
        rhs[m - 1] = 1.0
        pi = spla.splu(A.tocsc()).solve(rhs)
    else:
        ones = np.full(m, 1.0 / m)
        op = spla.LinearOperator((m, m), matvec=lambda x: x - PT @ x + ones * x.sum(), dtype=float)
        pi, _info = spla.gmres(
            op, ones, x0=ones.copy(), rtol=1e-14, atol=0.0, restart=50, maxiter=200
        )
    pi = np.clip(pi, 0.0, None)
    pi /= pi.sum()
    res = float(np.max(np.abs(pi - PT @ pi)) / np.max(pi))
    if not res <= RESIDUAL_TOL:
        raise ConvergenceError(f"stationary law of {chain!r} by {method}", res)
    return pi


def _method(method: str, m: int) -> str:
    require(
        method in ("auto", "direct", "iterative"),
        "method",
        method,
        "'auto', 'direct' or 'iterative'",
    )
    if method == "auto":
        return "direct" if m <= DIRECT_MAX_STATES else "iterative"
    return method


# ============================================================================ Poisson equation
def fundamental_exact(chain: MarkovChain) -> sp.Matrix:
    """Z = (I − P + 𝟙πᵀ)⁻¹, exact rationals (Kemeny & Snell Thm. 4.3.1)."""
    pi = stationary_exact(chain)
    P = chain.exact
    assert P is not None  # stationary_exact raised ParameterError otherwise
    m = P.shape[0]
    return (sp.eye(m) - P + sp.ones(m, 1) * pi.T).inv()


def _as_matrix_F(F: np.ndarray, m: int) -> tuple[np.ndarray, bool]:
    F = np.asarray(F, dtype=float)
    require(
        F.shape[:1] == (m,) and F.ndim in (1, 2),
        "F",
        f"shape {F.shape}",
        f"shape ({m},) or ({m}, p): one value per state",
    )
    require(bool(np.all(np.isfinite(F))), "F", "non-finite values", "finite values")
    return (F[:, None], True) if F.ndim == 1 else (F, False)


@dataclass(frozen=True)
class PoissonSolution:
    """Numeric solution of the Poisson equation (I − P)v = F − π(F), π(v) = 0.

    Attributes
    ----------
    v:
        Solution, shape of F: (m,) or (m, p).
    pi:
        Stationary law used.
    mean:
        π(F), scalar or (p,).
    residual:
        max |(I − P)v − F_c| (absolute).
    method:
        ``"direct"`` or ``"iterative"``.
    """

    v: np.ndarray
    pi: np.ndarray
    mean: np.ndarray
    residual: float
    method: str


def poisson_numeric(
    chain: MarkovChain, F: np.ndarray, *, method: str = "auto", pi: np.ndarray | None = None
) -> PoissonSolution:
    """Solve (I − P)v = F − π(F), π(v) = 0 (Meyn & Tweedie Eq. (17.39)), sparse.

    Direct: fix v_{m−1} = 0, solve the (m−1)×(m−1) principal block of I − P by sparse LU
    (non-singular for an irreducible chain), then shift v ← v − π(v). Iterative: GMRES on
    ``(I − P + 𝟙πᵀ)v = F_c`` (the fundamental matrix Z⁻¹ applied matrix-free).

    Parameters
    ----------
    F:
        Function on states, shape (m,) or (m, p) (p functions at once).

    pi:
        The stationary law, if known: a probability vector (nonnegative, summing to one within
        1e-10) that is stationary (‖πP − π‖_∞ ≤ 1e-10); default :attr:`MarkovChain.stationary`.

    Raises
    ------
    ParameterError
        If ``pi`` is not a stationary probability vector of the chain.
    ConvergenceError
        If the residual exceeds :data:`RESIDUAL_TOL` times max(1, max|F_c|).
    """
    m = chain.m
    Fm, squeeze = _as_matrix_F(F, m)
    method = _method(method, m)
    if pi is None:
        pi = chain.stationary
    else:
        pi = np.asarray(pi, dtype=float).reshape(-1)
        require(
            pi.shape == (m,) and bool(np.all(np.isfinite(pi))),
            "pi",
            pi.shape,
            f"a finite vector of shape ({m},)",
        )
        require(
            bool(np.all(pi >= 0)) and abs(float(pi.sum()) - 1.0) <= 1e-10,
            "pi",
            f"masses in [{pi.min():.3g}, {pi.max():.3g}] summing to {pi.sum():.12g}",
            "a probability vector (nonnegative, summing to 1 within 1e-10)",
        )
        drift = float(np.max(np.abs(chain.matrix.T @ pi - pi)))
        require(
            drift <= 1e-10,
            "pi",
            f"a vector with max|pi P - pi| = {drift:.3g}",
            "the stationary law of the chain (pi P = pi within 1e-10)",
        )
    mean = pi @ Fm
    Fc = Fm - mean
    P = chain.matrix
    if m == 1:
        v = np.zeros_like(Fc)
    elif method == "direct":
        A = (sps.identity(m, format="csr") - P).tocsc()[: m - 1, : m - 1]
        try:
            lu = spla.splu(A.tocsc())
        except RuntimeError as exc:  # "Factor is exactly singular": numerically reducible chain
            raise ParameterError(
                "chain", chain, "an irreducible chain (I - P with one state removed is singular)"
            ) from exc
        v = np.zeros_like(Fc)
        v[: m - 1] = lu.solve(np.ascontiguousarray(Fc[: m - 1]))
        v -= pi @ v
    else:
        v = np.zeros_like(Fc)
        for j in range(Fc.shape[1]):
            op = spla.LinearOperator((m, m), matvec=lambda x: x - P @ x + pi @ x, dtype=float)
            vj, _info = spla.gmres(op, Fc[:, j], rtol=1e-13, atol=0.0, restart=50, maxiter=400)
            v[:, j] = vj - pi @ vj
    res = float(np.max(np.abs(v - P @ v - Fc))) if m > 1 else 0.0
    scale = max(1.0, float(np.max(np.abs(Fc))))
    if not res <= RESIDUAL_TOL * scale:
        raise ConvergenceError(f"Poisson equation on {chain!r} by {method}", res)
    if squeeze:
        return PoissonSolution(v[:, 0], pi, mean[0], res, method)
    return PoissonSolution(v, pi, mean, res, method)


def poisson_exact(chain: MarkovChain, F: sp.Matrix | list) -> sp.Matrix:
    """v = Z(F − π(F)) exactly (F a column of rationals or symbols)."""
    pi = stationary_exact(chain)
    Fv = sp.Matrix(F)
    require(Fv.shape == (chain.m, 1), "F", Fv.shape, f"a column of {chain.m} entries")
    Fc = Fv - sp.ones(chain.m, 1) * (pi.T * Fv)[0]
    return fundamental_exact(chain) * Fc


def asymptotic_variance(chain: MarkovChain, F: np.ndarray, *, method: str = "auto") -> float:
    """σ²(F) = 2π(F_c v) − π(F_c²) (Meyn & Tweedie Thm. 17.0.1), numeric."""
    sol = poisson_numeric(chain, np.asarray(F, dtype=float).ravel(), method=method)
    Fc = np.asarray(F, dtype=float).ravel() - sol.mean
    return float(2 * sol.pi @ (Fc * sol.v) - sol.pi @ (Fc * Fc))


def asymptotic_covariance(chain: MarkovChain, F: np.ndarray, *, method: str = "auto") -> np.ndarray:
    r"""Σ(F) = Π(F_c vᵀ + v F_cᵀ − F_c F_cᵀ) for vector-valued F (m, p): CLT covariance, (p, p)."""
    sol = poisson_numeric(chain, F, method=method)
    Fm, _ = _as_matrix_F(F, chain.m)
    Fc = Fm - sol.mean
    v = sol.v if sol.v.ndim == 2 else sol.v[:, None]
    W = Fc * sol.pi[:, None]
    return W.T @ v + v.T @ W - W.T @ Fc


def asymptotic_variance_exact(chain: MarkovChain, F: sp.Matrix | list) -> sp.Expr:
    """σ²(F) exactly (rationals, or a polynomial in the symbols of F)."""
    pi = stationary_exact(chain)
    Fv = sp.Matrix(F)
    Fc = Fv - sp.ones(chain.m, 1) * (pi.T * Fv)[0]
    v = fundamental_exact(chain) * Fc
    return sp.expand(
        2 * sum(pi[i] * Fc[i] * v[i] for i in range(chain.m))
        - sum(pi[i] * Fc[i] ** 2 for i in range(chain.m))
    )


def finite_n_variance(chain: MarkovChain, F: np.ndarray, n: int) -> float:
    r"""Exact Var[n^{-1/2} Σ_{k<n} F(X_k)] for X_0 ~ π: γ_0 + 2Σ_{j=1}^{n−1}(1 − j/n)γ_j.

    γ_j = π(F_c P^j F_c) (autocovariances under stationarity). Its difference to σ²(F) is the
    O(1/n) bias of the CLT check, −(2/n)Σ_j j γ_j + o(1/n). Cost O(min(n, mixing) · nnz(P)):
    the sum stops once |γ_j| < 1e-18.

    Raises
    ------
    ParameterError
        Unless n ≥ 1 is an integer and F is a finite function on the states.
    """
    require(
        isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1,
        "n",
        n,
        "an integer n >= 1",
    )
    pi = chain.stationary
    F = np.asarray(F, dtype=float).ravel()
    require(
        F.shape == (chain.m,) and bool(np.all(np.isfinite(F))),
        "F",
        F.shape,
        f"finite values of shape ({chain.m},)",
    )
    Fc = F - pi @ F
    total = float(pi @ (Fc * Fc))
    w = Fc.copy()
    P = chain.matrix
    for j in range(1, n):
        w = P @ w
        gj = float(pi @ (Fc * w))
        total += 2 * (1 - j / n) * gj
        if abs(gj) < 1e-18:
            break
    return total


# ============================================================================ derivation
p_sym = sp.Symbol("p", positive=True)
q_sym = sp.Symbol("q", positive=True)
f1, f2 = sp.symbols("f_1 f_2", real=True)
n_sym = sp.Symbol("n", integer=True, positive=True)


@functools.cache
def poisson_derivation() -> Derivation:
    r"""Poisson equation of the two-state chain P = [[1−p, p], [q, 1−q]], solved by SymPy.

    SymPy derives π, Z, the Poisson solution v and σ²(F) in closed form for symbolic p, q and
    F = (f₁, f₂); it also verifies the martingale decomposition of ergodic sums symbolically
    (the one-step identity F_c(x) = v(x) − Pv(x)), and the exact example chain
    (:func:`~theory.markov.chain.example_chain`).
    """
    P = sp.Matrix([[1 - p_sym, p_sym], [q_sym, 1 - q_sym]])
    A = (sp.eye(2) - P.T).as_mutable()
    A[1, :] = sp.ones(1, 2)
    pi = sp.simplify(A.LUsolve(sp.Matrix([0, 1])))
    Z = sp.simplify((sp.eye(2) - P + sp.ones(2, 1) * pi.T).inv())
    F = sp.Matrix([f1, f2])
    mean = sp.simplify((pi.T * F)[0])
    Fc = F - sp.ones(2, 1) * mean
    v = sp.simplify(Z * Fc)
    residual = sp.simplify((sp.eye(2) - P) * v - Fc)
    if residual != sp.zeros(2, 1) or sp.simplify((pi.T * v)[0]) != 0:
        raise AssertionError(f"Poisson solution check failed: {residual}")
    sigma2 = sp.factor(
        sp.simplify(
            2 * sum(pi[i] * Fc[i] * v[i] for i in range(2))
            - sum(pi[i] * Fc[i] ** 2 for i in range(2))
        )
    )
    lam = 1 - p_sym - q_sym  # second eigenvalue of P
    var_pi = sp.factor(sp.simplify(sum(pi[i] * Fc[i] ** 2 for i in range(2))))
    spectral = var_pi * (1 + lam) / (1 - lam)
    if sp.simplify(sigma2 - spectral) != 0:
        raise AssertionError("sigma^2 differs from Var_pi(F)(1+lambda)/(1-lambda)")
    # display forms, proved equal to the derived ones
    Z = Z.applyfunc(sp.factor)
    v = v.applyfunc(sp.factor)
    sigma2 = prove_equal(
        sigma2,
        p_sym * q_sym * (f1 - f2) ** 2 * (2 - p_sym - q_sym) / (p_sym + q_sym) ** 3,
        "asymptotic variance",
    )
    lam_s = sp.Symbol("lambda", real=True)
    var_s = sp.Symbol(r"\mathrm{Var}_\pi(F)", nonnegative=True)

    from theory.markov.chain import example_chain

    ex = example_chain()
    pi_ex = stationary_exact(ex)
    Z_ex = fundamental_exact(ex)
    g1, g2, g3 = sp.symbols("F_1 F_2 F_3", real=True)
    sig_ex = sp.factor(asymptotic_variance_exact(ex, [g1, g2, g3]))

    vF = sp.Function("v", real=True)
    PvF = sp.Function("Pv", real=True)
    FcF = sp.Function("F_c", real=True)
    xi = sp.IndexedBase("xi", real=True)
    k = sp.Symbol("k", integer=True, nonnegative=True)
    sym = {
        "pi": sp.Symbol(r"\pi", real=True),
        "Z": sp.Symbol("Z", real=True),
        "v": sp.Symbol("v", real=True),
        "sigma2": sp.Symbol(r"\sigma^{2}(F)", nonnegative=True),
    }
    steps = [
        Step(
            "chain",
            sp.Eq(sp.Symbol("P", real=True), P, evaluate=False),
            r"General two-state chain, $0<p,q$, $p+q<2$ (aperiodic).",
            title="Two-state chain",
        ),
        Step(
            "stationary",
            sp.Eq(sym["pi"], pi.T, evaluate=False),
            r"Solving $\pi^\top P=\pi^\top$, $\pi^\top\mathbf 1=1$.",
            title="Stationary law",
        ),
        Step(
            "fundamental",
            sp.Eq(sym["Z"], Z, evaluate=False),
            r"The fundamental matrix $Z=(I-P+\mathbf 1\pi^\top)^{-1}$:",
            Reference(key="kemeny1960", where="Thm. 4.3.1"),
            title="Fundamental matrix",
        ),
        Step(
            "poisson",
            sp.Eq(sym["v"], v.T, evaluate=False),
            r"$v=Z(F-\pi F)$ solves $(I-P)v=F-\pi(F)$ with $\pi(v)=0$ (SymPy verifies both).",
            Reference(key="meyn2009", where="Eq. (17.39)"),
            title="Poisson equation",
        ),
        Step(
            "martingale",
            sp.Eq(
                sp.Sum(FcF(xi[k]), (k, 0, n_sym - 1)),
                sp.Sum(vF(xi[k]) - PvF(xi[k - 1]), (k, 1, n_sym)) + vF(xi[0]) - vF(xi[n_sym]),
            ),
            r"With $F_c=F-\pi(F)=v-Pv$ an ergodic sum telescopes; the "
            r"$v(\xi_k)-Pv(\xi_{k-1})$ are martingale increments.",
            Reference(key="meyn2009", where="Ch. 17"),
            title="Martingale decomposition",
        ),
        Step(
            "asymptotic_variance",
            sp.Eq(sym["sigma2"], sigma2),
            r"$\sigma^2(F)=2\pi(F_cv)-\pi(F_c^2)$; SymPy factors it.",
            Reference(key="meyn2009", where="Thm. 17.0.1"),
            title="Asymptotic variance",
        ),
        Step(
            "spectral_form",
            sp.Eq(sym["sigma2"], var_s * (1 + lam_s) / (1 - lam_s)),
            r"With the second eigenvalue $\lambda=1-p-q$ of $P$, SymPy verifies that this equals",
        ),
        Step(
            "example_stationary",
            sp.Eq(sp.Symbol(r"\pi_{\mathrm{ex}}", real=True), pi_ex.T, evaluate=False),
            r"For the three-state chain of the checks, with rows $(0.5,0.3,0.2)$, "
            r"$(0.1,0.6,0.3)$, $(0.3,0.3,0.4)$, everything is exact and rational:",
            title="The example chain",
        ),
        Step(
            "example_fundamental",
            sp.Eq(sp.Symbol(r"Z_{\mathrm{ex}}", real=True), Z_ex, evaluate=False),
            "",
        ),
        Step(
            "example_variance",
            sp.Eq(sp.Symbol(r"\sigma^{2}_{\mathrm{ex}}(F)", nonnegative=True), sig_ex),
            r"and the asymptotic variance is a quadratic form in $F=(F_1,F_2,F_3)$:",
        ),
    ]
    return Derivation(
        name="markov_poisson",
        title="Poisson equation, fundamental matrix and CLT variance of a finite Markov chain",
        steps=steps,
        references=[
            KEMENY_SNELL,
            MEYN_TWEEDIE,
            Reference(
                "Lam, Sirignano, Spiliopoulos, Kernel limit of recurrent neural networks trained "
                "on ergodic data sequences (2023), arXiv 2308.14555",
                key="lam2023",
            ),
        ],
        summary=(
            r"The Poisson equation of a finite ergodic chain and the variance in the central limit "
            r"theorem of its ergodic sums \cite{kemeny1960,meyn2009}, in closed form for the "
            r"general two-state chain and exactly for the rational example chain; the numeric "
            r"solvers are tested against them. The Poisson equation of the history chain drives "
            r"the fluctuations of the kernel limit \derivref{kernel_limit_fluctuations}."
        ),
        notation=[
            (r"P", "the transition matrix"),
            (r"\pi", "the stationary law"),
            (r"F", r"a function of the state, $\pi(F)$ its stationary mean"),
        ],
    )


@derivation("markov_poisson", theory="markov")
def _registered_poisson() -> Derivation:
    return poisson_derivation()


@functools.cache
def two_state_closed_forms() -> dict[str, CompiledFunction]:
    """Compiled closed forms of :func:`poisson_derivation`: π₁(p, q), v(p, q, f₁, f₂), σ²(p, q, f₁, f₂)."""
    d = poisson_derivation()
    pi = d.rhs("stationary")
    v = d.rhs("poisson")
    return {
        "pi": compile_function((pi[0], pi[1]), [p_sym, q_sym]),
        "v": compile_function((v[0], v[1]), [p_sym, q_sym, f1, f2]),
        "sigma2": compile_function(d.rhs("asymptotic_variance"), [p_sym, q_sym, f1, f2]),
    }
