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
from typing import Any, Literal, overload

import numpy as np

from theory.errors import require
from theory.kernel_limit.model import KernelLimitParams, Task
from theory.kernel_limit.rtrl import RTRL

__all__ = [
    "InplacePlan",
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


class InplacePlan:
    """A compiled (lambdified) elementwise function replayed as in-place NumPy ufunc calls.

    The generated source of a :class:`~theory.symbolic.compile.CompiledFunction` (assignments of
    common subexpressions, then a returned tuple) is parsed once into a list of ufunc calls with
    ``out=`` buffers, in Python's evaluation order, so that :meth:`run` computes exactly what the
    function computes (the same operations on the same operands: bitwise equal results) without
    allocating temporaries. The training loop runs it on blocks of units that stay in cache.
    Supported: ``+ - * /``, ``** 2``, unary minus, calls of NumPy ufuncs of one argument.
    """

    def __init__(self, source: str) -> None:
        import ast

        fn = ast.parse(source).body[0]
        if not isinstance(fn, ast.FunctionDef):
            raise ValueError("expected a function definition")
        self.args = [a.arg for a in fn.args.args]
        body = fn.body
        ret = body[-1]
        if not (isinstance(ret, ast.Return) and isinstance(ret.value, ast.Tuple)):
            raise ValueError("expected a returned tuple")
        uses: dict[str, int] = {}
        for node in ast.walk(fn):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                uses[node.id] = uses.get(node.id, 0) + 1
        out_names = {e.id: k for k, e in enumerate(ret.value.elts) if isinstance(e, ast.Name)}
        env: dict[str, tuple[str, Any]] = {a: ("arg", i) for i, a in enumerate(self.args)}
        self.code: list[tuple[Any, tuple[tuple[str, Any], ...], tuple[str, Any]]] = []
        free: list[int] = []
        self.n_tmp = 0
        named_tmp: set[int] = set()
        binops = {
            ast.Add: np.add,
            ast.Sub: np.subtract,
            ast.Mult: np.multiply,
            ast.Div: np.true_divide,
        }

        def new_tmp() -> tuple[str, Any]:
            if free:
                return ("tmp", free.pop())
            self.n_tmp += 1
            return ("tmp", self.n_tmp - 1)

        def dead(ref: tuple[str, Any], name: str | None) -> bool:
            if ref[0] != "tmp":
                return False
            return name is None or uses.get(name, 0) == 0

        def emit(node: Any, dest: tuple[str, Any] | None) -> tuple[str, Any]:
            if isinstance(node, ast.Name):
                uses[node.id] -= 1
                return env[node.id]
            if isinstance(node, ast.Constant):
                if not isinstance(node.value, (int, float)):
                    raise ValueError(f"unsupported constant {node.value!r}")
                return ("const", float(node.value))
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
                if not (isinstance(node.right, ast.Constant) and node.right.value == 2):
                    raise ValueError("only ** 2 is supported")
                return op(np.square, [node.left], dest)
            if isinstance(node, ast.BinOp) and type(node.op) in binops:
                return op(binops[type(node.op)], [node.left, node.right], dest)
            if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
                return op(np.negative, [node.operand], dest)
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and len(node.args) == 1
            ):
                uf = getattr(np, node.func.id, None)
                if not isinstance(uf, np.ufunc):
                    raise ValueError(f"unsupported function {node.func.id}")
                return op(uf, node.args, dest)
            raise ValueError(f"unsupported expression {ast.dump(node)}")

        def op(uf: Any, operands: list[Any], dest: tuple[str, Any] | None) -> tuple[str, Any]:
            refs = []
            for o in operands:
                name = o.id if isinstance(o, ast.Name) else None
                r = emit(o, None)
                refs.append((r, name))
            out = dest
            if out is None:
                for r, name in refs:
                    if dead(r, name) and (name is None or r[1] not in named_tmp or uses[name] == 0):
                        out = r
                        break
            if out is None:
                out = new_tmp()
            self.code.append((uf, tuple(r for r, _ in refs), out))
            for r, name in refs:
                if r != out and dead(r, name):
                    free.append(r[1])
                    named_tmp.discard(r[1])
            return out

        for st in body[:-1]:
            if not (isinstance(st, ast.Assign) and len(st.targets) == 1):
                raise ValueError("expected simple assignments")
            target = st.targets[0]
            if not isinstance(target, ast.Name):
                raise ValueError("expected a name on the left")
            dest = ("out", out_names[target.id]) if target.id in out_names else None
            ref = emit(st.value, dest)
            if ref[0] in ("arg", "const"):  # a plain alias: materialise it
                ref2 = dest or new_tmp()
                self.code.append((np.positive, (ref,), ref2))
                ref = ref2
            env[target.id] = ref
            if ref[0] == "tmp":
                named_tmp.add(ref[1])
        self.n_out = len(ret.value.elts)
        for k, e in enumerate(ret.value.elts):
            if isinstance(e, ast.Name) and env[e.id] == ("out", k):
                continue
            r = emit(e, ("out", k))
            if r != ("out", k):
                self.code.append((np.positive, (r,), ("out", k)))

    def run(self, args: list[Any], outs: list[np.ndarray], tmps: list[np.ndarray]) -> None:
        """Evaluate into ``outs`` (arrays of the result shape) using the buffers ``tmps``
        (``n_tmp`` arrays of that shape); ``args`` in the function's argument order."""
        slots = {"arg": args, "out": outs, "tmp": tmps}
        for uf, refs, (kind, i) in self.code:
            operands = [r[1] if r[0] == "const" else slots[r[0]][r[1]] for r in refs]
            uf(*operands, out=slots[kind][i])


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
    block: int = 8192,
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
        Threads that share the blocks of units (NumPy releases the GIL inside each pass); one
        dispatch per step applies the pending SGD update and the next memory/RTRL step. Results
        are bitwise those of ``threads=1`` (Ŷ is summed over all units after the blocks).
    block:
        Array elements (R × units) per block: a step runs the compiled RTRL step
        (:class:`InplacePlan`, no temporaries) and the SGD update block by block, so the ~30
        passes of a step read and write a cache-resident block instead of streaming the arrays
        from memory each time. Results do not depend on it (every operation is elementwise).

    Memory: 12 arrays of R × N floats (parameters, double-buffered memory and RTRL derivatives)
    plus the data path (R × (⌊NT⌋ + q) states and targets), about 0.1 GB at R = 1, N = 10⁵,
    10⁵ steps.
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
    plan = InplacePlan(RTRL.for_phi(params.phi, params.truncated_gradient).step.source)
    C, W, B, b = th["C"], th["W"], th["B"], th["b"]
    scale = float(N) ** (-params.beta)
    lr = params.learning_rate(N) * scale
    loss = np.zeros(R)
    require(
        isinstance(threads, int) and 1 <= threads <= 64, "threads", threads, "an integer in [1, 64]"
    )
    require(isinstance(block, int) and block >= 1, "block", block, "an integer >= 1")
    # blocks of units small enough to stay in cache through the ~30 in-place passes of a step;
    # threads take interleaved blocks (NumPy releases the GIL inside each pass)
    n_threads = max(1, min(threads, N // 1024 if threads > 1 else 1))
    width = max(1, min(block // R, N))
    blocks = [slice(a, min(a + width, N)) for a in range(0, N, width)]
    # double-buffered state (S, G_W, G_B, G_b): a step reads `cur` and writes `nxt`
    cur = [np.zeros((R, N)) for _ in range(4)]
    nxt = [np.zeros((R, N)) for _ in range(4)]
    n_tmp = max(plan.n_tmp, 2)
    tmps = [[np.empty((R, width)) for _ in range(n_tmp)] for _ in range(n_threads)]

    def work(j: int, col: int, c: np.ndarray | None) -> None:
        """Blocks of thread j: the pending SGD step (factor c = lr·e, old C), then one
        memory/RTRL step on sample ``col``."""
        x = xs[:, col : col + 1]
        tj = tmps[j]
        for sl in blocks[j::n_threads]:
            m = sl.stop - sl.start
            t = [buf[:, :m] for buf in tj]
            S0, G0, G1, G2 = (a[:, sl] for a in cur)
            Wj, Bj, bj = W[:, sl], B[:, sl], b[:, sl]
            if c is not None:
                Cj = C[:, sl]
                cC = np.multiply(c, Cj, out=t[0])  # old C
                Cj += np.multiply(c, S0, out=t[1])
                Wj += np.multiply(cC, G0, out=t[1])
                Bj += np.multiply(cC, G1, out=t[1])
                bj += np.multiply(cC, G2, out=t[1])
            plan.run([x, S0, G0, G1, G2, Wj, Bj, bj], [a[:, sl] for a in nxt], t)

    def sgd(j: int, c: np.ndarray) -> None:
        tj = tmps[j]
        for sl in blocks[j::n_threads]:
            m = sl.stop - sl.start
            t = [buf[:, :m] for buf in tj]
            S0, G0, G1, G2 = (a[:, sl] for a in cur)
            Cj = C[:, sl]
            cC = np.multiply(c, Cj, out=t[0])
            Cj += np.multiply(c, S0, out=t[1])
            W[:, sl] += np.multiply(cC, G0, out=t[1])
            B[:, sl] += np.multiply(cC, G1, out=t[1])
            b[:, sl] += np.multiply(cC, G2, out=t[1])

    pool = ThreadPoolExecutor(n_threads) if n_threads > 1 else None

    def run_all(col: int, e_prev: np.ndarray | None) -> np.ndarray:
        nonlocal cur, nxt
        c = None if e_prev is None else (lr * e_prev)[:, None]
        if pool is None:
            work(0, col, c)
        else:
            list(pool.map(lambda j: work(j, col, c), range(n_threads)))
        cur, nxt = nxt, cur
        return np.einsum("rn,rn->r", C, cur[0])

    def flush(e_prev: np.ndarray | None) -> None:
        if e_prev is None or not learn:
            return
        c = (lr * e_prev)[:, None]
        if pool is None:
            sgd(0, c)
        else:
            list(pool.map(lambda j: sgd(j, c), range(n_threads)))

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
    S = cur[0]
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
