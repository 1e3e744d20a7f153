"""Finite Markov chains: stationary laws, the Poisson equation and the CLT variance.

The data of the kernel-limit theory (:mod:`theory.kernel_limit`; Lam, Sirignano, Spiliopoulos,
"Kernel limit of recurrent neural networks trained on ergodic data sequences", arXiv:2308.14555
(2023)) is a finite irreducible aperiodic Markov chain, and the network sees it through histories
of length L, themselves a Markov chain. This package validates chains, simulates paths, lifts a
chain to its histories, and solves for the stationary law π, the fundamental matrix
Z = (I − P + 𝟙πᵀ)^{−1} (Kemeny & Snell, *Finite Markov Chains* (1960), Thm. 4.3.1), the Poisson
equation (I − P)v = F − π(F) and the CLT variance σ²(F) = 2π(F_c v) − π(F_c²) (Meyn & Tweedie,
*Markov Chains and Stochastic Stability*, 2nd ed. (2009), Ch. 17) -- exactly in rationals (SymPy)
or with sparse LU / GMRES for large chains.

Front door (loaded lazily; ``import theory.markov`` imports neither NumPy nor SymPy)::

    from theory.markov import MarkovChain, HistoryChain, example_chain, solve, asymptotic_variance

* chains: :class:`MarkovChain` (validated on construction; paths by :meth:`MarkovChain.sample`),
  :class:`HistoryChain`, :func:`example_chain`;
* solvers: :func:`solve` (= :func:`poisson_numeric`, the Poisson equation), the stationary law
  :func:`stationary_numeric` / :func:`stationary_exact`, :func:`fundamental_exact`,
  :func:`poisson_exact`, :func:`asymptotic_variance` / :func:`asymptotic_variance_exact`,
  :func:`asymptotic_covariance`, :func:`finite_n_variance`, :func:`two_state_closed_forms`;
* derivation: :func:`derivation` (= :func:`poisson_derivation`, registered as ``markov_poisson``:
  the two-state chain in closed form and the exact example chain).

The checks (exact vs numeric solvers, the CLT variance against simulated paths) are in
:mod:`theory.markov.checks` and run as ``theory check --only markov``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from theory.frontdoor import lazy_exports

__all__ = [
    "MarkovChain",
    "example_chain",
    "HistoryChain",
    "solve",
    "stationary_numeric",
    "stationary_exact",
    "fundamental_exact",
    "poisson_numeric",
    "poisson_exact",
    "PoissonSolution",
    "asymptotic_variance",
    "asymptotic_variance_exact",
    "asymptotic_covariance",
    "finite_n_variance",
    "two_state_closed_forms",
    "derivation",
    "poisson_derivation",
    "KEMENY_SNELL",
    "MEYN_TWEEDIE",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "MarkovChain": "chain",
        "example_chain": "chain",
        "HistoryChain": "histories",
        "solve": "poisson:poisson_numeric",
        "stationary_numeric": "poisson",
        "stationary_exact": "poisson",
        "fundamental_exact": "poisson",
        "poisson_numeric": "poisson",
        "poisson_exact": "poisson",
        "PoissonSolution": "poisson",
        "asymptotic_variance": "poisson",
        "asymptotic_variance_exact": "poisson",
        "asymptotic_covariance": "poisson",
        "finite_n_variance": "poisson",
        "two_state_closed_forms": "poisson",
        "derivation": "poisson:poisson_derivation",
        "poisson_derivation": "poisson",
        "KEMENY_SNELL": "poisson",
        "MEYN_TWEEDIE": "poisson",
    },
)

if TYPE_CHECKING:
    from theory.markov.chain import MarkovChain, example_chain
    from theory.markov.histories import HistoryChain
    from theory.markov.poisson import (
        KEMENY_SNELL,
        MEYN_TWEEDIE,
        PoissonSolution,
        asymptotic_covariance,
        asymptotic_variance,
        asymptotic_variance_exact,
        finite_n_variance,
        fundamental_exact,
        poisson_derivation,
        poisson_exact,
        poisson_numeric,
        stationary_exact,
        stationary_numeric,
        two_state_closed_forms,
    )
    from theory.markov.poisson import poisson_derivation as derivation
    from theory.markov.poisson import poisson_numeric as solve
