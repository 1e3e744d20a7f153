"""Finite Markov chains: validation, stationary law, simulation.

The data of the kernel-limit theory (:mod:`theory.kernel_limit`).

A :class:`MarkovChain` holds a transition matrix P (rows sum to one) on m states with values
x^(1..m) ⊂ R. It is validated on construction: P must be square, non-negative and stochastic,
irreducible (one strongly connected component) and aperiodic (period 1, computed from the BFS
levels of the transition graph: the period is the gcd of level(i) + 1 − level(j) over edges i → j).
Exact rational matrices (``sympy.Matrix`` / ``fractions``) keep an exact copy for the symbolic
Poisson solver of :mod:`theory.markov.poisson`; large chains are stored as ``scipy.sparse`` CSR.

References: Kemeny & Snell, *Finite Markov Chains* (1960), Ch. 4–5; Levin, Peres & Wilmer,
*Markov Chains and Mixing Times* (2nd ed. 2017), §1.3 (irreducibility, aperiodicity).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from typing import Any

import numpy as np
import scipy.sparse as sps
import sympy as sp
from scipy.sparse.csgraph import breadth_first_order, connected_components

from theory.errors import ParameterError, require, require_generator, require_memory

__all__ = ["MarkovChain", "example_chain", "STOCHASTIC_TOL"]

#: Row sums of float matrices must equal one to this tolerance.
STOCHASTIC_TOL = 1e-10


def _as_exact(P: Any) -> sp.Matrix | None:
    """An exact SymPy matrix if every entry is rational (``Fraction``, ``sympy.Rational``, int)."""
    if isinstance(P, sp.MatrixBase):
        M = sp.Matrix(P)
        return M if all(e.is_Rational for e in M) else None
    if isinstance(P, (list, tuple)):
        rows = [list(r) for r in P]
        if rows and all(
            isinstance(e, (Fraction, int, sp.Rational)) and not isinstance(e, bool)
            for r in rows
            for e in r
        ):
            return sp.Matrix(
                [
                    [
                        sp.Rational(e.numerator, e.denominator)
                        if isinstance(e, Fraction)
                        else sp.Rational(e)
                        for e in r
                    ]
                    for r in rows
                ]
            )
    return None


@dataclass(frozen=True, eq=False)
class MarkovChain:
    """A validated finite Markov chain.

    Parameters
    ----------
    P:
        Transition matrix, shape (m, m): a NumPy array, a ``scipy.sparse`` matrix, a ``sympy.Matrix``
        of rationals, or nested lists of ``Fraction``/``int`` (kept exact).
    states:
        Values x^(i) of the states, shape (m,); default 0..m−1.
    name:
        Label used in reports.

    Raises
    ------
    ParameterError
        If P is not square, has negative or non-finite entries, rows not summing to one, is
        reducible or periodic, or ``states`` has the wrong shape.
    """

    P: Any
    states: Any = None
    name: str = "chain"
    exact: sp.Matrix | None = field(init=False, default=None)
    matrix: sps.csr_matrix = field(init=False)

    def __post_init__(self) -> None:
        exact = _as_exact(self.P)
        if exact is not None:
            dense = np.array(exact.tolist(), dtype=float)
            mat = sps.csr_matrix(dense)
        elif sps.issparse(self.P):
            mat = sps.csr_matrix(self.P, dtype=float)
        else:
            arr = np.asarray(self.P, dtype=float)
            require(arr.ndim == 2, "P", arr.shape, "a square 2-d transition matrix")
            mat = sps.csr_matrix(arr)
        m, m2 = mat.shape
        require(m == m2 and m >= 1, "P", f"shape {mat.shape}", "a square (m, m) matrix with m >= 1")
        require(bool(np.all(np.isfinite(mat.data))), "P", "non-finite entries", "finite entries")
        if mat.data.size and mat.data.min() < 0:
            i = int(np.argmin(mat.data))
            raise ParameterError(
                "P", f"entry {mat.data[i]:.3g} < 0", "non-negative entries (a stochastic matrix)"
            )
        if exact is not None:
            bad = [i for i in range(m) if sum(exact.row(i)) != 1]
            require(
                not bad,
                "P",
                f"row sums {[str(sum(exact.row(i))) for i in bad]} of rows {bad}",
                "rows summing exactly to 1 (a stochastic matrix)",
            )
        else:
            rs = np.asarray(mat.sum(axis=1)).ravel()
            dev = np.abs(rs - 1.0)
            require(
                bool(dev.max() <= STOCHASTIC_TOL),
                "P",
                f"row {int(dev.argmax())} sums to {rs[dev.argmax()]:.12g}",
                f"rows summing to 1 within {STOCHASTIC_TOL:g} (a stochastic matrix)",
            )
        mat.eliminate_zeros()
        ncomp, _ = connected_components(mat, directed=True, connection="strong")
        require(
            ncomp == 1,
            "P",
            f"reducible chain with {ncomp} communicating classes",
            "an irreducible chain (every state reaches every state)",
        )
        period = _period(mat)
        require(
            period == 1,
            "P",
            f"periodic chain with period {period}",
            "an aperiodic chain (period 1)",
        )
        if self.states is None:
            states = np.arange(m, dtype=float)
        else:
            states = np.asarray(self.states, dtype=float)
            require(
                states.shape == (m,),
                "states",
                states.shape,
                f"shape ({m},): one real value per state",
            )
            require(bool(np.all(np.isfinite(states))), "states", states, "finite values")
        object.__setattr__(self, "states", states)
        object.__setattr__(self, "exact", exact)
        object.__setattr__(self, "matrix", mat)

    @property
    def m(self) -> int:
        """Number of states."""
        return int(self.matrix.shape[0])

    @cached_property
    def dense(self) -> np.ndarray:
        """P as a dense float array (m, m); only for small chains."""
        return self.matrix.toarray()

    @cached_property
    def stationary(self) -> np.ndarray:
        """Stationary law π (numeric), see :func:`theory.markov.poisson.stationary_numeric`."""
        from theory.markov.poisson import stationary_numeric

        return stationary_numeric(self)

    def sample(
        self,
        n: int,
        n_chains: int,
        rng: np.random.Generator,
        *,
        start: np.ndarray | str = "stationary",
    ) -> np.ndarray:
        """Simulate ``n_chains`` independent paths of length ``n`` (vectorised over chains).

        Sampling uses inverse-CDF on the CSR rows: with the row-wise cumulative sums stored as
        ``row + cumsum`` (a globally increasing key), the next state of a chain in state s with
        uniform u is ``indices[searchsorted(key, s + u)]`` — O(log nnz) per draw for any size.

        Parameters
        ----------
        n:
            Path length (number of states per path), n >= 1.
        n_chains:
            Number of independent paths, >= 1.
        rng:
            Explicit generator.
        start:
            ``"stationary"`` (X_0 ~ π) or an integer array of initial states (n_chains,).

        Returns
        -------
        np.ndarray
            State indices, shape (n_chains, n), dtype int32 (int64 above 2³¹ states).
        """
        require(isinstance(n, (int, np.integer)) and n >= 1, "n", n, "an integer n >= 1")
        require(
            isinstance(n_chains, (int, np.integer)) and n_chains >= 1,
            "n_chains",
            n_chains,
            "an integer >= 1",
        )
        require_generator(rng)
        require_memory(8.0 * n * n_chains, "n", n, "paths (n_chains × n indices)")
        out = np.empty((n_chains, n), dtype=np.int64 if self.m > 2**31 - 1 else np.int32)
        if isinstance(start, str):
            require(
                start == "stationary", "start", start, "'stationary' or an array of state indices"
            )
            cdf = np.cumsum(self.stationary)
            x = np.minimum(
                np.searchsorted(cdf, rng.random(n_chains) * cdf[-1], side="right"), self.m - 1
            )
        else:
            x = np.asarray(start, dtype=np.int64)
            require(
                x.shape == (n_chains,) and bool(np.all((x >= 0) & (x < self.m))),
                "start",
                start,
                f"{n_chains} state indices in [0, {self.m})",
            )
        key, idx = self._sampling_key
        out[:, 0] = x
        for k in range(1, n):
            pos = np.searchsorted(key, x + rng.random(n_chains), side="right")
            x = idx[np.minimum(pos, idx.size - 1)]
            out[:, k] = x
        return out

    @cached_property
    def _sampling_key(self) -> tuple[np.ndarray, np.ndarray]:
        mat = self.matrix
        key = np.empty(mat.nnz)
        for_rows = np.repeat(np.arange(self.m), np.diff(mat.indptr))
        cs = np.cumsum(mat.data)
        row_start = np.concatenate([[0.0], cs])[mat.indptr[:-1]]
        key[:] = cs - np.repeat(row_start, np.diff(mat.indptr)) + for_rows
        # the last entry of each row is exactly row + 1 (guards rounding of the cumulative sum)
        last = mat.indptr[1:] - 1
        key[last] = np.arange(self.m) + 1.0
        return key, mat.indices.astype(np.int64)

    def __repr__(self) -> str:
        kind = "exact" if self.exact is not None else "float"
        return f"MarkovChain({self.name!r}, m={self.m}, {kind}, nnz={self.matrix.nnz})"


def _period(mat: sps.csr_matrix) -> int:
    """Period of an irreducible chain: gcd over edges i→j of level(i) + 1 − level(j) (BFS levels)."""
    m = mat.shape[0]
    order, pred = breadth_first_order(mat, 0, directed=True, return_predecessors=True)
    level = np.zeros(m, dtype=np.int64)
    for v in order[1:]:
        level[v] = level[pred[v]] + 1
    coo = mat.tocoo()
    diffs = np.abs(level[coo.row] + 1 - level[coo.col])
    return int(np.gcd.reduce(diffs)) if diffs.size else 0


def example_chain(exact: bool = True) -> MarkovChain:
    """The example chain of the checks: states (−1, 0, 1), P = [[.5,.3,.2],[.1,.6,.3],[.3,.3,.4]].

    Its stationary law is π = (15, 24, 17)/56 (derivation ``markov_poisson``, step
    ``example_stationary``).
    """
    rows = [["1/2", "3/10", "1/5"], ["1/10", "3/5", "3/10"], ["3/10", "3/10", "2/5"]]
    if exact:
        P: Any = [[Fraction(e) for e in r] for r in rows]
    else:
        P = np.array([[float(Fraction(e)) for e in r] for r in rows])
    return MarkovChain(P, states=[-1.0, 0.0, 1.0], name="example")
