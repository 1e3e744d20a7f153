"""The finite network of N units trained online on a Markov path.

The network and training scheme of Lam, Sirignano, Spiliopoulos, arXiv:2308.14555 (2023), our
reading (:mod:`theory.kernel_limit.model`; derivation ``kernel_limit_rtrl``).

One step k = one data sample, one memory update, one SGD step:

    S_{k+1}, G_{k+1} = RTRL step(X_k, S_k, G_k; θ)           (compiled from the SymPy derivation)
    Ŷ_k = N^{−β} Σ_i C^i S^i_{k+1},   e_k = Y_k − Ŷ_k
    C ← C + η_N e_k N^{−β} S_{k+1},   φ ← φ + η_N e_k N^{−β} C G_{k+1}   (φ = W, B, b; old C)

with η_N = α N^{2β−2}. Arrays have shape (R, N): R independent networks (seeds) are trained at
once, each on its own data path. This module knows nothing of the limit theory: the trained output
on a history is the network's own forward pass over that history (oldest entry first, S = 0
before it), and the empirical NTK is built from the network's own forward derivatives.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal, cast, overload

import numpy as np

from theory.errors import require
from theory.kernel_limit.model import KernelLimitParams, Task
from theory.kernel_limit.rtrl import RTRL

__all__ = [
    "TrainResult",
    "train",
    "forward_on_histories",
    "output_on_histories",
    "empirical_ntk",
    "init_network",
]

PARAM_NAMES = ("C", "W", "B", "b")


def init_network(
    params: KernelLimitParams, N: int, R: int, rng: np.random.Generator, *, symmetric: bool = False
) -> dict[str, np.ndarray]:
    """θ₀ for R networks of N units, shape (R, N) each.

    ``symmetric=True`` (N even): units i and i + N/2 share (W, B, b) and have opposite C, so the
    initial output vanishes identically (an option; the default draws all units i.i.d.).
    """
    if not symmetric:
        return params.init(N, R, rng)
    require(N % 2 == 0, "N", N, "an even N for symmetric initialisation")
    half = params.init(N // 2, R, rng)
    return {k: np.concatenate([v, -v if k == "C" else v], axis=1) for k, v in half.items()}


@overload
def forward_on_histories(
    params: KernelLimitParams,
    theta: dict[str, np.ndarray],
    values: np.ndarray,
    *,
    gradients: Literal[True] = ...,
) -> tuple[np.ndarray, np.ndarray]: ...
@overload
def forward_on_histories(
    params: KernelLimitParams,
    theta: dict[str, np.ndarray],
    values: np.ndarray,
    *,
    gradients: Literal[False],
) -> tuple[np.ndarray, None]: ...
@overload
def forward_on_histories(
    params: KernelLimitParams,
    theta: dict[str, np.ndarray],
    values: np.ndarray,
    *,
    gradients: bool = ...,
) -> tuple[np.ndarray, np.ndarray | None]: ...
def forward_on_histories(
    params: KernelLimitParams,
    theta: dict[str, np.ndarray],
    values: np.ndarray,
    *,
    gradients: bool = True,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Run each network over each history (oldest entry first, from S = G = 0).

    Parameters
    ----------
    theta:
        Parameters with arrays of shape (N,) (one network).
    values:
        Histories, shape (H, L), column 0 most recent.

    Returns
    -------
    S:
        (H, N) memory after the most recent entry.
    G:
        (3, H, N) forward derivatives (W, B, b), or None when ``gradients`` is False.
    """
    W, B, b = (np.asarray(theta[k], dtype=float) for k in ("W", "B", "b"))
    values = np.asarray(values, dtype=float)
    H, L = values.shape
    step = RTRL.for_phi(params.phi, params.truncated_gradient).raw
    S = np.zeros((H, W.size))
    GW, GB, Gb = np.zeros_like(S), np.zeros_like(S), np.zeros_like(S)
    sigma = params.sigma.func
    for j in range(L - 1, -1, -1):
        x = values[:, j][:, None]
        if gradients:
            S, GW, GB, Gb = step(x, S, GW, GB, Gb, W, B, b)
        else:
            S = sigma(W * x + B * S + b)
    return S, (np.stack([GW, GB, Gb]) if gradients else None)


def output_on_histories(
    params: KernelLimitParams,
    theta: dict[str, np.ndarray],
    values: np.ndarray,
    *,
    chunk: int = 2**22,
) -> np.ndarray:
    """g^N(ξ) = N^{−β} Σ_i C^i S(θ^i; ξ) for networks θ of shape (R, N): returns (R, H)."""
    C = np.atleast_2d(theta["C"])
    R, N = C.shape
    H = np.asarray(values).shape[0]
    out = np.empty((R, H))
    per = max(1, chunk // max(1, H))
    for r in range(R):
        acc = np.zeros(H)
        for s in range(0, N, per):
            th = {k: np.atleast_2d(theta[k])[r, s : s + per] for k in PARAM_NAMES}
            S, _ = forward_on_histories(params, th, values, gradients=False)
            acc += S @ th["C"]
        out[r] = acc * float(N) ** (-params.beta)
    return out


def empirical_ntk(
    params: KernelLimitParams, theta: dict[str, np.ndarray], values: np.ndarray
) -> np.ndarray:
    """(1/N) Σ_i [S_i(ξ)S_i(ξ') + (C^i)² G_i(ξ)·G_i(ξ')] for one network (arrays (N,)): (H, H)."""
    S, G = forward_on_histories(params, theta, values)
    C2 = np.asarray(theta["C"], dtype=float) ** 2
    N = S.shape[1]
    A = S @ S.T
    for k in range(3):
        A += (G[k] * C2[None, :]) @ G[k].T
    return A / N


@dataclass
class TrainResult:
    """Outcome of :func:`train` for R networks.

    Attributes
    ----------
    N, steps:
        Width and number of SGD steps (steps = ⌊N·T⌋).
    times:
        Record times t = k/N, shape (n_rec,).
    outputs:
        g^N on the evaluation histories at the record times, shape (n_rec, R, H).
    theta0, theta:
        Initial and final parameters (dicts of (R, N) arrays).
    memory:
        Final memory S_k (R, N) and the final data path entries (R, L_keep) (most recent first).
    losses:
        Running mean of ½e_k² per network, shape (R,).
    """

    N: int
    steps: int
    times: np.ndarray
    outputs: np.ndarray
    theta0: dict[str, np.ndarray]
    theta: dict[str, np.ndarray]
    memory: np.ndarray
    recent_states: np.ndarray
    losses: np.ndarray
    info: dict[str, float] = field(default_factory=dict)

    def drift(self) -> tuple[np.ndarray, np.ndarray]:
        """Per network: (max_i |θ^i − θ^i_0|, RMS_i |θ^i − θ^i_0|), Euclidean over (C, W, B, b)."""
        d2 = sum((self.theta[k] - self.theta0[k]) ** 2 for k in PARAM_NAMES)
        return np.sqrt(d2.max(axis=1)), np.sqrt(d2.mean(axis=1))


def train(
    params: KernelLimitParams,
    task: Task,
    N: int,
    T: float,
    *,
    R: int = 1,
    rng: np.random.Generator,
    eval_values: np.ndarray | None = None,
    record_times: np.ndarray | None = None,
    theta0: dict[str, np.ndarray] | None = None,
    paths: np.ndarray | None = None,
    symmetric: bool = False,
    learn: bool = True,
    keep_recent: int = 12,
    threads: int = 1,
) -> TrainResult:
    """Train R networks of N units online for ⌊N T⌋ steps on R independent stationary paths.

    Parameters
    ----------
    eval_values:
        Histories (H, L) on which g^N is recorded (default: none).
    record_times:
        Times t in [0, T] at which g^N is recorded (default: 0 and T).
    theta0:
        Initial parameters (dict of (R, N) arrays); default drawn from μ₀ with ``rng``.
    paths:
        Data paths of state indices (R, ⌊NT⌋ + q); default sampled from π with ``rng``.
    learn:
        If False, only the memory runs (parameters frozen).
    threads:
        Split the units into this many chunks processed by threads (NumPy releases the GIL); one
        dispatch per step applies the pending SGD update and the next memory/RTRL step. Results
        agree with ``threads=1`` up to the summation order of Ŷ.
    """
    require(isinstance(N, (int, np.integer)) and N >= 2, "N", N, "an integer N >= 2")
    require(T > 0, "T", T, "T > 0")
    steps = int(np.floor(N * T))
    q = task.q
    if theta0 is None:
        theta0 = init_network(params, N, R, rng, symmetric=symmetric)
    th = {k: np.array(theta0[k], dtype=float, copy=True) for k in PARAM_NAMES}
    require(th["C"].shape == (R, N), "theta0", th["C"].shape, f"arrays of shape ({R}, {N})")
    if paths is None:
        paths = task.chain.sample(steps + q, R, rng)
    require(paths.shape == (R, steps + q), "paths", paths.shape, f"({R}, {steps + q})")
    xs = task.chain.states[paths]  # (R, steps + q)
    Y = task.targets(paths)  # (R, steps): Y_k for k = q .. steps + q − 1
    rec = np.array([0.0, T]) if record_times is None else np.asarray(record_times, dtype=float)
    rec_steps = np.clip(np.round(rec * N).astype(int), 0, steps)
    H = 0 if eval_values is None else eval_values.shape[0]
    outputs = np.zeros((rec.size, R, H))
    step = RTRL.for_phi(params.phi, params.truncated_gradient).raw
    C, W, B, b = th["C"], th["W"], th["B"], th["b"]
    scale = float(N) ** (-params.beta)
    lr = params.learning_rate(N) * scale
    loss = np.zeros(R)
    require(
        isinstance(threads, int) and 1 <= threads <= 64, "threads", threads, "an integer in [1, 64]"
    )
    n_chunks = max(1, min(threads, N // 1024 if threads > 1 else 1))
    bounds = np.linspace(0, N, n_chunks + 1).astype(int)
    chunks = [slice(int(a), int(z)) for a, z in zip(bounds[:-1], bounds[1:], strict=True)]
    zeros = [np.zeros((R, sl.stop - sl.start)) for sl in chunks]
    state = [[z, z.copy(), z.copy(), z.copy()] for z in zeros]  # per chunk: S, G_W, G_B, G_b

    def update(j: int, e: np.ndarray) -> None:
        """SGD step of chunk j with the error e of the last sample (uses C before its update)."""
        sl, st = chunks[j], state[j]
        c = (lr * e)[:, None]
        Cj = C[:, sl]
        cC = c * Cj
        Cj += c * st[0]
        W[:, sl] += cC * st[1]
        B[:, sl] += cC * st[2]
        b[:, sl] += cC * st[3]

    def work(j: int, col: int, e_prev: np.ndarray | None) -> np.ndarray:
        """Apply the pending update, then one memory/RTRL step on sample ``col``; return Σ_i C S."""
        if e_prev is not None:
            update(j, e_prev)
        sl, st = chunks[j], state[j]
        st[:] = step(xs[:, col : col + 1], st[0], st[1], st[2], st[3], W[:, sl], B[:, sl], b[:, sl])
        return np.einsum("rn,rn->r", C[:, sl], st[0])

    pool = ThreadPoolExecutor(n_chunks) if n_chunks > 1 else None

    def run_all(col: int, e_prev: np.ndarray | None) -> np.ndarray:
        if pool is None:
            return work(0, col, e_prev)
        # builtins.sum is typed `T | Literal[0]` (empty sum); here n_chunks > 1 arrays are summed
        return cast(np.ndarray, sum(pool.map(lambda j: work(j, col, e_prev), range(n_chunks))))

    def flush(e_prev: np.ndarray | None) -> None:
        if e_prev is None or not learn:
            return
        if pool is None:
            update(0, e_prev)
        else:
            list(pool.map(lambda j: update(j, e_prev), range(n_chunks)))

    # warm the memory on the q samples preceding the first target (no learning)
    for k in range(q):
        run_all(k, None)

    def record(k: int) -> None:
        for i in np.nonzero(rec_steps == k)[0]:
            if H:
                assert eval_values is not None  # H = 0 when eval_values is None
                outputs[i] = output_on_histories(
                    params, {"C": C, "W": W, "B": B, "b": b}, eval_values
                )

    pending: np.ndarray | None = None
    try:
        for k in range(steps):
            if np.any(rec_steps == k):
                flush(pending)
                pending = None
                record(k)
            out = run_all(q + k, pending)
            e = Y[:, k] - scale * out
            loss += 0.5 * e * e
            pending = e if learn else None
        flush(pending)
    finally:
        if pool is not None:
            pool.shutdown()
    S = np.concatenate([st[0] for st in state], axis=1)
    record(steps)
    return TrainResult(
        N=N,
        steps=steps,
        times=rec,
        outputs=outputs,
        theta0={k: np.asarray(v) for k, v in theta0.items()},
        theta={"C": C, "W": W, "B": B, "b": b},
        memory=S,
        recent_states=xs[:, ::-1][:, :keep_recent],
        losses=loss / max(1, steps),
    )
