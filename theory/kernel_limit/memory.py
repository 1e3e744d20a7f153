r"""Memory fixed point S(θ; ξ) and forward derivative G(θ; ξ) on truncated histories.

The random algebraic equation of the limit (our reading of Lam, Sirignano, Spiliopoulos,
arXiv:2308.14555 (2023); derivation ``kernel_limit_memory_kernel``, steps ``fixed_point``,
``contraction``, ``truncation``):

.. math::
    S(\theta;\xi) = \sigma(W x_0 + B\,S(\theta;\xi^-) + b),\qquad
    G(\theta;\xi) = \sigma'(u)\,[(x_0, S(\theta;\xi^-), 1) + B\,G(\theta;\xi^-)],

ξ = (x_0, x_{−1}, ...) and ξ⁻ its shift. Since |∂S/∂S(ξ⁻)| = |Bσ'| ≤ ρ < 1 the map is a
contraction and the fixed point is unique; truncating the history at length L (S = G = 0 before
the oldest entry) changes S by at most sup|σ|·ρ^L. The right-hand sides are the compiled RTRL
step of :mod:`theory.kernel_limit.rtrl` (the same SymPy derivation).

All histories of length L are evaluated at once on the trie of their oldest entries: the state
after the oldest ℓ entries is shared by m^{L−ℓ} histories, so the cost is Σ_ℓ m^ℓ ≈ 1.5·m^L
evaluations per parameter point instead of L·m^L.
"""

from __future__ import annotations

import numpy as np

from theory.errors import require, require_finite, require_memory
from theory.kernel_limit.model import KernelLimitParams
from theory.kernel_limit.rtrl import RTRL
from theory.markov.histories import HistoryChain

__all__ = ["memory_on_histories", "memory_on_history", "truncation_bound"]


def memory_on_histories(
    params: KernelLimitParams,
    hc: HistoryChain,
    W: np.ndarray,
    B: np.ndarray,
    b: np.ndarray,
    *,
    truncated_gradient: bool | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """S(θ; ξ) and G(θ; ξ) for every history ξ of ``hc`` and every parameter point θ.

    Parameters
    ----------
    W, B, b:
        Parameter points, shape (P,) each.
    truncated_gradient:
        Use the truncated recursion (default: ``params.truncated_gradient``).

    Returns
    -------
    S:
        Shape (H, P).
    G:
        Shape (3, H, P): (G_W, G_B, G_b).
    """
    W, B, b = (np.asarray(a, dtype=float).ravel() for a in (W, B, b))
    require(
        W.shape == B.shape == b.shape, "W, B, b", (W.shape, B.shape, b.shape), "equal shapes (P,)"
    )
    for name, arr in (("W", W), ("B", B), ("b", b)):
        require_finite(name, arr)
    require_memory(
        8.0 * 4 * hc.base.m**hc.L * W.size, "W", W.shape, "recursion arrays (4 × m^L × P)"
    )
    tg = params.truncated_gradient if truncated_gradient is None else truncated_gradient
    step = RTRL.for_phi(params.phi, tg).raw
    m, L = hc.base.m, hc.L
    xs = hc.base.states
    P = W.size
    S = np.zeros((1, P))
    GW = np.zeros((1, P))
    GB = np.zeros((1, P))
    Gb = np.zeros((1, P))
    for _ in range(L):
        x = xs[None, :, None]  # (1, m, 1): the next-more-recent state
        out = step(x, S[:, None, :], GW[:, None, :], GB[:, None, :], Gb[:, None, :], W, B, b)
        n_old = S.shape[0]
        S, GW, GB, Gb = (np.broadcast_to(o, (n_old, m, P)).reshape(n_old * m, P) for o in out)
    # full code c = Σ_j i_j m^j; keep the support of Π
    return S[hc.codes], np.stack([GW[hc.codes], GB[hc.codes], Gb[hc.codes]])


def memory_on_history(
    params: KernelLimitParams, history: np.ndarray, W: np.ndarray, B: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """S_L(θ; ξ) and G_L(θ; ξ) for one history ξ = (x_0, ..., x_{−L+1}) (values, most recent first).

    Returns S of shape (P,) and G of shape (3, P) for parameter points of shape (P,).
    """
    history = np.asarray(history, dtype=float).ravel()
    require(history.size >= 1, "history", history, "at least one entry")
    for name, arr in (("history", history), ("W", W), ("B", B), ("b", b)):
        require_finite(name, arr)
    step = RTRL.for_phi(params.phi, params.truncated_gradient).raw
    S = np.zeros_like(np.asarray(W, dtype=float))
    GW, GB, Gb = np.zeros_like(S), np.zeros_like(S), np.zeros_like(S)
    for xv in history[::-1]:
        S, GW, GB, Gb = step(xv, S, GW, GB, Gb, W, B, b)
    return S, np.stack([GW, GB, Gb])


def truncation_bound(params: KernelLimitParams, L: int) -> float:
    """sup|σ|·ρ^L: bound on |S(θ; ξ) − S_L(θ; ξ)| for histories truncated at length L ≥ 1."""
    require(
        isinstance(L, (int, np.integer)) and not isinstance(L, bool) and L >= 1,
        "L",
        L,
        "an integer history length L >= 1",
    )
    return params.sup_sigma * params.rho**L
