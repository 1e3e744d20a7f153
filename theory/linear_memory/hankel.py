r"""Hankel singular values of a memory kernel and the AAK lower bound.

A lower bound added here to the approximation theory of LHEL (Li, Han, E, Li, JMLR 23 (2022),
Sec. 3): any width-m RNN has ‖ρ − ρ̂‖_{L¹} ≥ ‖ρ − ρ̂‖_{H∞} ≥ σ_{m+1}, the (m+1)-th Hankel singular
value of ρ (Adamjan–Arov–Krein; Glover, Int. J. Control 39 (1984)); derivation
``linear_memory_hankel``, step ``aak_bound``.

* Exponential sums ρ = Σ_j b_j e^{−v_j t}: the diagonal realisation (W = −diag v, U = 1, c = b) has
  Gramians P_ij = ∫e^{−(v_i+v_j)t}dt = 1/(v_i+v_j), Q_ij = b_ib_j/(v_i+v_j) (SymPy's integral,
  :func:`hankel_derivation`) and σ_k² = eig(PQ).
* Any kernel: Nyström discretisation of the Hankel operator (Γf)(t) = ∫_0^∞ ρ(t+s)f(s)ds with
  Gauss–Legendre nodes in v = ln(1+t): σ_k = |eig(D^{1/2} ρ(t_i+t_j) D^{1/2})| (Γ is self-adjoint).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np
import sympy as sp

from theory.errors import require
from theory.linear_memory.kernels import LHEL, MemoryKernel, t
from theory.symbolic.compile import CompiledFunction, compile_function
from theory.symbolic.derivation import Derivation, Reference, Step, derivation, prove_equal
from theory.symbolic.printing import tex_name

__all__ = ["hankel_derivation", "hankel_singular_values", "hankel_singular_values_exp", "AAK"]

AAK = Reference(
    "Adamjan, Arov, Krein, Math. USSR Sb. 15, 31 (1971); Glover, Int. J. Control 39, 1115 (1984)",
    "Thm 7.2",
    key="glover1984",
)
vi, vj = sp.symbols("v_i v_j", positive=True)
bi, bj = sp.symbols("b_i b_j", real=True)


@functools.cache
def hankel_derivation() -> Derivation:
    """Gramians of the diagonal realisation of an exponential sum, and the AAK bound."""
    Pij = sp.integrate(sp.exp(-vi * t) * sp.exp(-vj * t), (t, 0, sp.oo))
    Qij = sp.integrate(bi * sp.exp(-vi * t) * bj * sp.exp(-vj * t), (t, 0, sp.oo))
    sig = tex_name(sp.Symbol("sigma_{m+1}", nonnegative=True), r"\sigma_{m+1}")
    Pij = prove_equal(Pij, 1 / (vi + vj), "P_ij")
    Qij = prove_equal(Qij, bi * bj / (vi + vj), "Q_ij")
    steps = [
        Step(
            "controllability_gramian",
            sp.Eq(sp.Symbol("P_{ij}", real=True), Pij),
            r"An exponential sum $\rho(t)=\sum_ib_ie^{-v_it}$ is realised by "
            r"$W=-\operatorname{diag}(v)$, $U=\mathbf 1$, $c=b$; SymPy integrates the Gramians "
            r"$P=\int_0^\infty e^{Wt}UU^\top e^{W^\top t}dt$ and "
            r"$Q=\int_0^\infty e^{W^\top t}cc^\top e^{Wt}dt$:",
            title="Gramians of an exponential sum",
        ),
        Step(
            "observability_gramian",
            sp.Eq(sp.Symbol("Q_{ij}", real=True), Qij),
            "",
        ),
        Step(
            "singular_values",
            sp.Eq(
                sp.Symbol(r"\sigma_k^2", nonnegative=True),
                sp.Symbol(r"\lambda_k(PQ)", nonnegative=True),
            ),
            r"The Hankel singular values are",
            title="Hankel singular values and the AAK bound",
        ),
        Step(
            "aak_bound",
            sp.Ge(sp.Symbol(r"\|\rho-\hat\rho\|_{L^1}", nonnegative=True), sig),
            r"and no linear RNN of width $m$ gets closer than $\sigma_{m+1}$ "
            r"\cite{adamjan1971,glover1984}, since the $L^1$ norm bounds the $H_\infty$ norm, "
            r"which bounds the Hankel norm:",
        ),
    ]
    return Derivation(
        name="linear_memory_hankel",
        title="Hankel singular values and the AAK lower bound",
        steps=steps,
        references=[
            Reference(key="adamjan1971"),
            AAK,
            Reference(LHEL.work, "Sec. 3", key="li2022"),
        ],
        summary=(
            r"A lower bound, our addition to \cite{li2022}, on the error with which any linear "
            r"RNN of width $m$ approximates a linear functional, from the Hankel singular values "
            r"of its memory kernel."
        ),
    )


@derivation("linear_memory_hankel", theory="linear_memory")
def _registered_hankel() -> Derivation:
    return hankel_derivation()


@functools.cache
def _gram_fns() -> tuple[CompiledFunction, CompiledFunction]:
    d = hankel_derivation()
    return compile_function(d.rhs("controllability_gramian"), [vi, vj]), compile_function(
        d.rhs("observability_gramian"), [bi, bj, vi, vj]
    )


def hankel_singular_values_exp(
    b: Sequence[float] | np.ndarray, v: Sequence[float] | np.ndarray
) -> np.ndarray:
    """σ_k of ρ = Σ b_j e^{−v_j t}, decreasing (compiled Gramians, σ² = eig(PQ))."""
    b = np.atleast_1d(np.asarray(b, dtype=float))
    v = np.atleast_1d(np.asarray(v, dtype=float))
    require(
        b.ndim == 1 and b.shape == v.shape and b.size >= 1,
        "b, v",
        (b.shape, v.shape),
        "1-d arrays of one length >= 1",
    )
    require(bool(np.all(np.isfinite(b))), "b", b, "finite coefficients")
    require(bool(np.all(np.isfinite(v)) and np.all(v > 0)), "v", v, "finite decay rates v_j > 0")
    Pf, Qf = _gram_fns()
    P = Pf(v[:, None], v[None, :])
    Q = Qf(b[:, None], b[None, :], v[:, None], v[None, :])
    ev = np.linalg.eigvals(P @ Q).real
    return np.sqrt(np.sort(np.clip(ev, 0, None))[::-1])


def hankel_singular_values(
    kernel: MemoryKernel, *, n: int = 400, T: float | None = None, k: int = 12
) -> np.ndarray:
    """Leading k Hankel singular values of any kernel by Nyström discretisation (n nodes).

    Error model: Gauss–Legendre in v = ln(1+t) on [0, ln(1+T)] converges spectrally for smooth
    kernels; compare n and 2n to estimate it (the checks do). Heavy tails are cut at T = 1e6.

    Raises
    ------
    ParameterError
        Unless 2 ≤ n ≤ 8000 (an n × n eigenproblem), k ≥ 1 and T (if given) finite > 0; for a
        kernel that is not integrable (the hypothesis: a bounded Hankel operator).
    """
    require(
        isinstance(n, (int, np.integer)) and 2 <= n <= 8000,
        "n",
        n,
        "an integer 2 <= n <= 8000 (dense n x n eigenproblem)",
    )
    require(isinstance(k, (int, np.integer)) and k >= 1, "k", k, "an integer k >= 1")
    require(T is None or (math.isfinite(T) and T > 0), "T", T, "None or a finite horizon T > 0")
    # hypothesis: ρ ∈ L¹, so the Hankel operator is bounded (user kernels: checked on construction)
    require(kernel.regularity().integrable, "kernel", kernel.label, "an integrable kernel (L^1)")
    Tc = T if T is not None else (min(kernel.support(), 1e6) if not kernel.heavy_tail else 1e6)
    x, w = np.polynomial.legendre.leggauss(n)
    V = math.log1p(Tc)
    v = 0.5 * V * (x + 1)
    tt = np.expm1(v)
    wt = 0.5 * V * w * (1 + tt)
    sq = np.sqrt(wt)
    H = sq[:, None] * kernel(tt[:, None] + tt[None, :]) * sq[None, :]
    ev = np.linalg.eigvalsh(0.5 * (H + H.T))
    return np.sort(np.abs(ev))[::-1][:k]
