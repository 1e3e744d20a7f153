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

import functools
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


@functools.lru_cache(maxsize=32)
def _sigma_func(params: KernelLimitParams) -> Any:
    """σ compiled from its expression, memoised (``KernelLimitParams.sigma`` re-specialises the
    expression on every access: ~60 ms, once per forward pass otherwise)."""
    return params.sigma.func


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
    sigma = _sigma_func(params)
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
    Supported: ``+ - * /``, powers with a constant exponent (``np.square`` for 2, else
    ``np.power``, as NumPy's ``**`` computes them), unary minus, calls of ufuncs of one argument
    (NumPy's, or ``scipy.special``'s such as ``erf`` found in ``namespace``, the globals of the
    lambdified function), and numeric names of ``namespace`` (``pi``); operations on constants
    only are folded when the plan is built, as Python evaluates them. Anything else raises
    ``ValueError`` (the caller then calls the compiled function itself).
    """

    def __init__(self, source: str, namespace: dict[str, Any] | None = None) -> None:
        import ast

        ns = {} if namespace is None else namespace

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
                if node.id in env:
                    uses[node.id] -= 1
                    return env[node.id]
                val = ns.get(node.id)
                if isinstance(val, (int, float)) and not isinstance(val, bool):
                    return ("const", float(val))
                raise ValueError(f"unsupported name {node.id}")
            if isinstance(node, ast.Constant):
                if not isinstance(node.value, (int, float)) or isinstance(node.value, bool):
                    raise ValueError(f"unsupported constant {node.value!r}")
                return ("const", node.value)
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
                if isinstance(node.right, ast.Constant) and node.right.value == 2:
                    return op(np.square, [node.left], dest)
                return op(np.power, [node.left, node.right], dest)
            if isinstance(node, ast.BinOp) and type(node.op) in binops:
                return op(binops[type(node.op)], [node.left, node.right], dest)
            if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
                return op(np.negative, [node.operand], dest)
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and len(node.args) == 1
                and not node.keywords
            ):
                uf = ns.get(node.func.id, getattr(np, node.func.id, None))
                if not (isinstance(uf, np.ufunc) and uf.nin == 1 and uf.nout == 1):
                    raise ValueError(f"unsupported function {node.func.id}")
                return op(uf, node.args, dest)
            raise ValueError(f"unsupported expression {ast.dump(node)}")

        def op(uf: Any, operands: list[Any], dest: tuple[str, Any] | None) -> tuple[str, Any]:
            refs = []
            for o in operands:
                name = o.id if isinstance(o, ast.Name) else None
                r = emit(o, None)
                refs.append((r, name))
            if all(r[0] == "const" for r, _ in refs):
                # Python evaluates constant subexpressions on scalars: fold them the same way
                if uf is np.true_divide and all(isinstance(r[1], int) for r, _ in refs):
                    return ("const", refs[0][0][1] / refs[1][0][1])
                return ("const", uf(*(r[1] for r, _ in refs)))
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


class _CallPlan:
    """Fallback of :class:`InplacePlan` for a step it cannot replay in place: calls the compiled
    function and copies its outputs into the output buffers (same values, with temporaries)."""

    n_tmp = 0

    def __init__(self, func: Any) -> None:
        self.func = func

    def bind(
        self, args: list[Any], outs: list[np.ndarray], tmps: list[np.ndarray]
    ) -> list[tuple[Any, tuple[Any, ...], np.ndarray]]:
        def call(*a: Any, out: tuple[np.ndarray, ...]) -> None:
            for o, v in zip(out, self.func(*a), strict=True):
                np.copyto(o, v)

        return [(call, tuple(args), tuple(outs))]  # type: ignore[list-item]


def _bind_plan(
    plan: InplacePlan, args: list[Any], outs: list[np.ndarray], tmps: list[np.ndarray]
) -> list[tuple[Any, tuple[Any, ...], np.ndarray]]:
    """The plan's ufunc calls with their operands resolved to arrays (or constants) once."""
    slots = {"arg": args, "out": outs, "tmp": tmps}
    return [
        (uf, tuple(r[1] if r[0] == "const" else slots[r[0]][r[1]] for r in refs), slots[kind][i])
        for uf, refs, (kind, i) in plan.code
    ]


def _step_plan(params: KernelLimitParams) -> InplacePlan | _CallPlan:
    step = RTRL.for_phi(params.phi, params.truncated_gradient).step
    try:
        return InplacePlan(step.source, step.func.__globals__)
    except (ValueError, SyntaxError):
        return _CallPlan(step.func)


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
    block: int | None = None,
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
        Threads that share the units (NumPy releases the GIL inside each pass): the main thread
        runs the first share, the others the rest, one dispatch per step (the pending SGD update
        and the next memory/RTRL step). Results are bitwise those of ``threads=1`` (Ŷ is summed
        over all units after the shares).
    block:
        Array elements (R × units) per block (default: one block per thread's share). A step runs
        the compiled RTRL step (:class:`InplacePlan`, no temporaries) and the SGD update block by
        block; the ufunc calls of every block are bound to their arrays once, before the loop, so
        a step costs ~25 ufunc calls per block and no allocation. On the 2-core AMD EPYC of the
        benchmarks a pass over a whole 10⁵-unit array is as fast per element as over an
        L2-resident block, so the per-call overhead (~1 µs) favours few large blocks. Results do
        not depend on it (every operation is elementwise).

    Memory: 13 arrays of R × N floats (parameters, double-buffered memory and RTRL derivatives,
    the SGD temporaries) plus a few R × block temporaries and the data path (R × (⌊NT⌋ + q)
    states and targets): about 0.1 GB at R = 1, N = 10⁵, 10⁵ steps (measured peak: benchmarks).
    """
    require(isinstance(N, (int, np.integer)) and N >= 2, "N", N, "an integer N >= 2")
    require(T > 0, "T", T, "T > 0")
    steps = int(np.floor(N * T))
    q = task.q
    if theta0 is None:
        theta0 = init_network(params, N, R, rng, symmetric=symmetric)
    require(
        np.shape(theta0["C"]) == (R, N),
        "theta0",
        np.shape(theta0["C"]),
        f"arrays of shape ({R}, {N})",
    )
    # parameters: C, and (W, B, b) stacked so that the SGD step updates them in one pass
    C = np.array(theta0["C"], dtype=float, copy=True)
    P = np.empty((3, R, N))
    for i, name in enumerate(("W", "B", "b")):
        P[i] = theta0[name]
    W, B, b = P[0], P[1], P[2]
    if paths is None:
        paths = task.chain.sample(steps + q, R, rng)
    require(paths.shape == (R, steps + q), "paths", paths.shape, f"({R}, {steps + q})")
    xs = task.chain.states[paths]  # (R, steps + q)
    Y = task.targets(paths)  # (R, steps): Y_k for k = q .. steps + q − 1
    rec = np.array([0.0, T]) if record_times is None else np.asarray(record_times, dtype=float)
    rec_steps = np.clip(np.round(rec * N).astype(int), 0, steps)
    rec_set = {int(k) for k in rec_steps}
    H = 0 if eval_values is None else eval_values.shape[0]
    outputs = np.zeros((rec.size, R, H))
    plan = _step_plan(params)
    scale = float(N) ** (-params.beta)
    lr = params.learning_rate(N) * scale
    loss = np.zeros(R)
    require(
        isinstance(threads, int) and 1 <= threads <= 64, "threads", threads, "an integer in [1, 64]"
    )
    require(
        block is None or (isinstance(block, int) and block >= 1),
        "block",
        block,
        "None or an integer >= 1",
    )
    n_threads = max(1, min(threads, N // 1024 if threads > 1 else 1))
    share = -(-N // n_threads)
    width = share if block is None else max(1, min(block // R, share))
    # double-buffered state Z = (S, G_W, G_B, G_b): a step reads `cur` and writes `nxt`
    Zs = [np.zeros((4, R, N)), np.zeros((4, R, N))]
    xbuf = np.zeros((R, 1))  # the current sample x_k of each network
    cbuf = np.zeros((R, 1))  # the pending SGD factor η_N N^{−β} e_k
    n_tmp = max(plan.n_tmp, 1)

    # per thread: its blocks, each with its ufunc calls bound to array views, for both parities
    progs: list[list[list[tuple[Any, tuple[Any, ...], Any]]]] = [[[], []] for _ in range(n_threads)]
    sgds: list[list[list[tuple[Any, tuple[Any, ...], Any]]]] = [[[], []] for _ in range(n_threads)]
    for j in range(n_threads):
        for a in range(j * share, min((j + 1) * share, N), width):
            sl = slice(a, min(a + width, min((j + 1) * share, N)))
            m = sl.stop - sl.start
            t = [np.empty((R, m)) for _ in range(n_tmp)]
            cC = np.empty((R, m))
            tS = np.empty((R, m))
            tG = np.empty((3, R, m))
            Cj, Pj = C[:, sl], P[:, :, sl]
            for par in (0, 1):
                cur, nxt = Zs[par][:, :, sl], Zs[1 - par][:, :, sl]
                args = [xbuf, cur[0], cur[1], cur[2], cur[3], Pj[0], Pj[1], Pj[2]]
                if isinstance(plan, InplacePlan):
                    progs[j][par] += _bind_plan(plan, args, [nxt[k] for k in range(4)], t)
                else:
                    progs[j][par] += plan.bind(args, [nxt[k] for k in range(4)], t)
                # SGD with the old C: C += c S, (W, B, b) += (c C) G (stacked in one pass)
                sgds[j][par] += [
                    (np.multiply, (cbuf, Cj), cC),
                    (np.multiply, (cbuf, cur[0]), tS),
                    (np.add, (Cj, tS), Cj),
                    (np.multiply, (cC[None], cur[1:]), tG),
                    (np.add, (Pj, tG), Pj),
                ]

    def run_ops(ops: list[tuple[Any, tuple[Any, ...], Any]]) -> None:
        for uf, operands, out in ops:
            uf(*operands, out=out)

    def work(j: int, par: int, learn_now: bool) -> None:
        if learn_now:
            run_ops(sgds[j][par])
        run_ops(progs[j][par])

    pool = ThreadPoolExecutor(n_threads - 1) if n_threads > 1 else None
    par = 0  # Zs[par] is the current state

    def dispatch(fn: Any) -> None:
        if pool is None:
            fn(0)
            return
        futs = [pool.submit(fn, j) for j in range(1, n_threads)]
        fn(0)
        for f in futs:
            f.result()

    def run_all(col: int, e_prev: np.ndarray | None) -> np.ndarray:
        nonlocal par
        xbuf[:, 0] = xs[:, col]
        if e_prev is not None:
            np.multiply(lr, e_prev, out=cbuf[:, 0])
        p, lrn = par, e_prev is not None
        dispatch(lambda j: work(j, p, lrn))
        par = 1 - par
        return np.einsum("rn,rn->r", C, Zs[par][0])

    def flush(e_prev: np.ndarray | None) -> None:
        if e_prev is None or not learn:
            return
        np.multiply(lr, e_prev, out=cbuf[:, 0])
        p = par
        dispatch(lambda j: run_ops(sgds[j][p]))

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
            if k in rec_set:
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
    S = Zs[par][0].copy()
    record(steps)
    return TrainResult(
        N=N,
        steps=steps,
        times=rec,
        outputs=outputs,
        theta0={k: np.asarray(v) for k, v in theta0.items()},
        theta={"C": C, "W": W.copy(), "B": B.copy(), "b": b.copy()},
        memory=S,
        recent_states=xs[:, ::-1][:, :keep_recent],
        losses=loss / max(1, steps),
    )
