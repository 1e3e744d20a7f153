r"""The lifted chain of length-L histories (the state space of the kernel limit,
:mod:`theory.kernel_limit`).

For a chain X_k on m states, the history ξ_k = (X_k, X_{k−1}, ..., X_{k−L+1}) (most recent first) is
itself a Markov chain on m^L states with shift transitions

.. math::
    P_L\big((i_0,\dots,i_{L-1}) \to (j, i_0, \dots, i_{L-2})\big) = P_{i_0 j},

and stationary law :math:`\Pi(i_0,\dots,i_{L-1}) = \pi_{i_{L-1}} \prod_{k=1}^{L-1} P_{i_k i_{k-1}}`.
A history is encoded by the integer :math:`h=\sum_j i_j m^j` (the most recent state is the least
significant digit). Histories of zero stationary mass (when P has zeros) are transient and are
dropped, so the lifted chain stays irreducible; it is aperiodic when the base chain is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sps

from theory.errors import require
from theory.markov.chain import MarkovChain

__all__ = ["HistoryChain", "MAX_HISTORIES"]

#: Largest number of histories m^L built (memory guard).
MAX_HISTORIES = 2_000_000


@dataclass(frozen=True, eq=False)
class HistoryChain:
    """Histories of length L of a chain, their stationary law Π and the shift chain P_L.

    Parameters
    ----------
    base:
        The chain X_k.
    L:
        History length, L >= 1.

    Attributes
    ----------
    codes:
        Codes h of the histories in the support of Π, shape (H,), increasing.
    digits:
        State indices, shape (H, L); column j is i_j (lag j, j = 0 most recent).
    values:
        State values x^(i_j), shape (H, L).
    Pi:
        Stationary law of histories, shape (H,) (closed form above).
    chain:
        The lifted :class:`MarkovChain` on the H histories (validated: irreducible, aperiodic).
    """

    base: MarkovChain
    L: int
    codes: np.ndarray = field(init=False)
    digits: np.ndarray = field(init=False)
    values: np.ndarray = field(init=False)
    Pi: np.ndarray = field(init=False)
    chain: MarkovChain = field(init=False)
    _lookup: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        L, m = self.L, self.base.m
        require(
            isinstance(L, (int, np.integer)) and L >= 1, "L", L, "an integer history length L >= 1"
        )
        require(m**L <= MAX_HISTORIES, "L", L, f"m^L <= {MAX_HISTORIES} histories (m = {m})")
        total = m**L
        all_codes = np.arange(total, dtype=np.int64)
        digits = (all_codes[:, None] // (m ** np.arange(L, dtype=np.int64))[None, :]) % m
        P = self.base.dense if m <= 4096 else None
        pi = self.base.stationary
        mass = pi[digits[:, L - 1]].copy()
        for k in range(L - 1, 0, -1):
            if P is not None:
                mass *= P[digits[:, k], digits[:, k - 1]]
            else:
                mass *= np.asarray(self.base.matrix[digits[:, k], digits[:, k - 1]]).ravel()
        keep = mass > 0
        codes = all_codes[keep]
        lookup = np.full(total, -1, dtype=np.int64)
        lookup[codes] = np.arange(codes.size)
        H = codes.size
        # transitions: h -> j + m * (h mod m^{L-1}) with probability P[i_0, j]
        Pm = self.base.matrix
        i0 = digits[keep, 0]
        starts, ends = Pm.indptr[i0], Pm.indptr[i0 + 1]
        counts = ends - starts
        rows = np.repeat(np.arange(H), counts)
        flat = (
            np.concatenate([np.arange(s, e) for s, e in zip(starts, ends, strict=True)])
            if H
            else np.array([], dtype=int)
        )
        j = Pm.indices[flat]
        vals = Pm.data[flat]
        tail = codes % (m ** (L - 1)) if L > 1 else np.zeros(H, dtype=np.int64)
        new = j + m * np.repeat(tail, counts)
        cols = lookup[new]
        ok = cols >= 0
        mat = sps.csr_matrix((vals[ok], (rows[ok], cols[ok])), shape=(H, H))
        lifted = MarkovChain(mat, states=np.arange(H, dtype=float), name=f"{self.base.name}^L={L}")
        object.__setattr__(self, "codes", codes)
        object.__setattr__(self, "digits", digits[keep])
        object.__setattr__(self, "values", self.base.states[digits[keep]])
        object.__setattr__(self, "Pi", mass[keep] / mass[keep].sum())
        object.__setattr__(self, "chain", lifted)
        object.__setattr__(self, "_lookup", lookup)

    @property
    def H(self) -> int:
        """Number of histories in the support."""
        return int(self.codes.size)

    def encode(self, paths: np.ndarray) -> np.ndarray:
        """Positions (0..H−1) of the histories ξ_k of paths, for k = L−1, ..., n−1.

        Parameters
        ----------
        paths:
            State indices, shape (S, n) (time increasing), n >= L.

        Returns
        -------
        np.ndarray
            Shape (S, n − L + 1); entry [s, k − L + 1] is the history (X_k, ..., X_{k−L+1}).
        """
        paths = np.atleast_2d(np.asarray(paths, dtype=np.int64))
        S, n = paths.shape
        require(n >= self.L, "paths", paths.shape, f"paths of length n >= L = {self.L}")
        m = self.base.m
        code = np.zeros((S, n - self.L + 1), dtype=np.int64)
        for j in range(self.L):
            code += paths[:, self.L - 1 - j : n - j] * m**j
        pos = self._lookup[code]
        require(
            bool(np.all(pos >= 0)),
            "paths",
            "a history of zero stationary mass",
            "paths of the chain",
        )
        return pos
