"""Parameter sweeps on Dask: a function over a grid → an ``xarray.Dataset``, cached on disk.

:func:`sweep` evaluates ``func(**point, **fixed)`` at every point of a Cartesian grid and returns
an :class:`xarray.Dataset` whose coordinates are the grid parameters and whose variables are the
function's results (``func`` returns a mapping name → scalar: floats, ints or bools such as
convergence flags), plus ``failed`` (the call raised) and ``error`` (the exception text).

Engine: :mod:`dask.distributed`. By default a :class:`~distributed.LocalCluster` with
``n_workers`` single-threaded workers is started for the sweep and shut down afterwards; pass
``scheduler="tcp://host:8786"`` to run on an existing cluster (connection attempts time out after
``timeout`` seconds with a clear error, never hang), or an existing ``client``: the same call runs
unchanged on either. Points are sent in tasks of several points (``chunk``; whole lines of
``chunk_axis`` for continuations), so each task pays its function's start-up (imports, compiled
theory) once; a function marked ``vectorized = True`` receives a task's points as arrays. Each task
pins the BLAS/OpenMP pools of its worker to ``threads`` (threadpoolctl; default 1), so two workers
on two cores do not oversubscribe them (:func:`worker_threads` shows the pools). Progress is shown
with a tqdm bar as tasks complete, only when stderr is a terminal unless asked. Results are cached in ``cache_dir`` (netCDF, keyed on the
function's qualified name, its source, the grid and the fixed arguments).

Command line (registered in :data:`theory.cli.EXTRA_COMMANDS`)::

    theory sweep theory.gating.chaos.phase_diagram:phase_point --grid g_h=1.2:3:40 --grid alpha_r=0:20:40 \\
        [--fixed n=1024] [--scheduler tcp://...] [--workers 2] [--out sweep.nc] [--chunk 40]
        [--chunk-axis g_h] [--allow-failures]

It exits with status 1 and a summary of the failures (grouped by error) when any point failed,
unless ``--allow-failures``.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import inspect
import itertools
import json
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from theory.errors import ParameterError

__all__ = [
    "sweep",
    "parse_grid",
    "validate_grid",
    "resolve_function",
    "sweep_cache_dir",
    "task_chunks",
    "worker_threads",
    "is_vectorized",
    "failure_summary",
]


def sweep_cache_dir() -> Path:
    """Default cache directory: ``$THEORY_CACHE_DIR/sweeps`` or ``~/.cache/rnn-theory/sweeps``."""
    from theory.symbolic.cache import cache_dir

    return cache_dir() / "sweeps"


def validate_grid(grid: Mapping[str, Sequence[float] | np.ndarray]) -> dict[str, np.ndarray]:
    """Check a grid: a non-empty mapping of identifier → non-empty 1-D finite numeric values.

    Raises
    ------
    ParameterError
        For an empty grid, a non-identifier name, an empty/ragged/non-numeric/non-finite axis or
        repeated values.
    """
    if not isinstance(grid, Mapping) or len(grid) == 0:
        raise ParameterError("grid", grid, "a non-empty mapping name -> 1-D sequence of numbers")
    out: dict[str, np.ndarray] = {}
    for name, values in grid.items():
        if not (isinstance(name, str) and name.isidentifier()):
            raise ParameterError(
                "grid name", name, "a Python identifier (the keyword argument of the function)"
            )
        try:
            arr = np.asarray(values, dtype=float)
        except (TypeError, ValueError):
            raise ParameterError(f"grid[{name!r}]", values, "a 1-D sequence of numbers") from None
        if arr.ndim != 1 or arr.size == 0:
            raise ParameterError(f"grid[{name!r}]", values, "a non-empty 1-D sequence of numbers")
        if not np.all(np.isfinite(arr)):
            raise ParameterError(f"grid[{name!r}]", values, "finite numbers")
        if np.unique(arr).size != arr.size:
            raise ParameterError(f"grid[{name!r}]", values, "distinct values")
        out[name] = arr
    return out


def parse_grid(specs: Sequence[str]) -> dict[str, np.ndarray]:
    """Parse ``name=start:stop:num`` (linspace, num ≥ 1) or ``name=v1,v2,...`` specifications."""
    grid: dict[str, np.ndarray] = {}
    for spec in specs:
        if "=" not in spec:
            raise ParameterError("--grid", spec, "name=start:stop:num or name=v1,v2,...")
        name, _, rhs = spec.partition("=")
        name = name.strip()
        try:
            if ":" in rhs:
                parts = rhs.split(":")
                if len(parts) != 3:
                    raise ValueError
                a, b, n = float(parts[0]), float(parts[1]), int(parts[2])
                if n < 1:
                    raise ValueError
                values = np.linspace(a, b, n)
            else:
                values = np.array([float(v) for v in rhs.split(",") if v.strip() != ""])
        except ValueError:
            raise ParameterError(
                f"--grid {name}",
                rhs,
                "start:stop:num (num >= 1 integer) or a comma-separated list of numbers",
            ) from None
        if name in grid:
            raise ParameterError("--grid", name, "each parameter once")
        grid[name] = values
    return validate_grid(grid)


def resolve_function(path: str) -> Callable[..., Mapping[str, Any]]:
    """Import ``module:function`` (e.g. ``theory.gating.chaos.phase_diagram:phase_point``)."""
    mod, _, attr = path.partition(":")
    if not mod or not attr:
        raise ParameterError("function", path, "'module:function'")
    try:
        obj: Any = importlib.import_module(mod)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise ParameterError("function", path, f"an importable module:function ({exc})") from None
    if not callable(obj):
        raise ParameterError("function", path, "a callable")
    return obj


def _call(
    func: Callable[..., Mapping[str, Any]], point: dict[str, float], fixed: dict[str, Any]
) -> dict[str, Any]:
    """Evaluate one point; exceptions become ``failed=True`` with the message (never a lost task)."""
    try:
        res = func(**point, **fixed)
        if not isinstance(res, Mapping):
            raise TypeError(
                f"sweep function must return a mapping name -> scalar, got {type(res).__name__}"
            )
        return {"__ok__": True, **{str(k): v for k, v in res.items()}}
    except Exception as exc:  # reported per point
        return {"__ok__": False, "__error__": f"{type(exc).__name__}: {exc}"}


def is_vectorized(func: Callable[..., Any]) -> bool:
    """Whether ``func`` takes whole arrays of points (attribute ``vectorized = True``)."""
    return bool(getattr(func, "vectorized", False))


def _call_task(
    func: Callable[..., Mapping[str, Any]],
    points: list[dict[str, float]],
    fixed: dict[str, Any],
    threads: int | None,
) -> list[dict[str, Any]]:
    """Evaluate one task (a chunk of points) with BLAS/OpenMP pools pinned to ``threads``
    (:func:`_pin_threads`; None leaves them alone).

    A vectorised function is called once with 1-D arrays (one per grid name) and must return a
    mapping name -> sequence of one value per point; an exception fails every point of the task.
    Other functions are called point by point (an exception fails that point only).
    """
    from theory.numerics.memory import retain_freed_memory

    retain_freed_memory()
    if threads is not None:
        _pin_threads(int(threads))
    if not is_vectorized(func):
        return [_call(func, pt, fixed) for pt in points]
    try:
        arrays = {k: np.array([pt[k] for pt in points]) for k in points[0]}
        res = func(**arrays, **fixed)
        if not isinstance(res, Mapping):
            raise TypeError(
                f"vectorised sweep function must return a mapping name -> array, got {type(res).__name__}"
            )
        cols = {str(k): np.asarray(v) for k, v in res.items()}
        for k, v in cols.items():
            if v.shape != (len(points),):
                raise ValueError(
                    f"vectorised sweep function returned {k!r} of shape {v.shape}, expected ({len(points)},)"
                )
        return [
            {"__ok__": True, **{k: v[i].item() for k, v in cols.items()}}
            for i in range(len(points))
        ]
    except Exception as exc:  # the whole task fails
        err = f"{type(exc).__name__}: {exc}"
        return [{"__ok__": False, "__error__": err} for _ in points]


def _pin_threads(threads: int) -> None:
    """Limit this process's BLAS/OpenMP pools to ``threads`` and leave them so.

    The pools are process-wide: restoring them after each task would race between the threads
    of a threaded worker (one task restoring while another still runs), so a sweep worker keeps
    the limit for the rest of its life.
    """
    from threadpoolctl import threadpool_info, threadpool_limits

    if any(int(d.get("num_threads", 0)) != threads for d in threadpool_info()):
        threadpool_limits(limits=threads)


def worker_threads() -> dict[str, Any]:
    """BLAS/OpenMP thread pools of this process (``threadpoolctl.threadpool_info``), summarised:
    ``{"max_threads": ..., "pools": [(internal_api, num_threads), ...]}`` (run on workers with
    ``client.run(worker_threads)`` to see oversubscription)."""
    from threadpoolctl import threadpool_info

    pools = [(d.get("internal_api", "?"), int(d.get("num_threads", 0))) for d in threadpool_info()]
    return {"max_threads": max((t for _, t in pools), default=0), "pools": pools}


def task_chunks(
    grid: Mapping[str, np.ndarray], chunk: int | None, chunk_axis: str | None, n_tasks_hint: int
) -> list[list[int]]:
    """Split the points of ``grid`` (C order over its names) into tasks of point indices.

    ``chunk_axis``: keep every line along this axis in one task (tasks are groups of whole
    lines). ``chunk``: points per task (rounded up to whole lines); default about
    ``n_tasks_hint`` tasks.
    """
    names = list(grid)
    shape = tuple(len(grid[n]) for n in names)
    total = int(np.prod(shape))
    idx = np.arange(total).reshape(shape)
    if chunk_axis is not None:
        if chunk_axis not in grid:
            raise ParameterError("chunk_axis", chunk_axis, f"one of the grid names {names}")
        ax = names.index(chunk_axis)
        lines = np.moveaxis(idx, ax, -1).reshape(-1, shape[ax])
        units = [list(map(int, line)) for line in lines]
    else:
        units = [[i] for i in range(total)]
    per_unit = len(units[0])
    if chunk is None:
        n_units = max(1, math.ceil(len(units) / max(1, n_tasks_hint)))
    else:
        if not (isinstance(chunk, int) and chunk >= 1):
            raise ParameterError("chunk", chunk, "an integer >= 1 (points per task)")
        n_units = max(1, math.ceil(chunk / per_unit))
    return [sum(units[i : i + n_units], []) for i in range(0, len(units), n_units)]


def _show_progress(progress: bool | None) -> bool:
    """``None``: a bar only when stderr is a terminal (no carriage returns in a redirected log)."""
    if progress is None:
        import sys

        return bool(getattr(sys.stderr, "isatty", lambda: False)())
    return bool(progress)


def _cache_key(func: Callable[..., Any], grid: dict[str, np.ndarray], fixed: dict[str, Any]) -> str:
    try:
        src = inspect.getsource(func)
    except (OSError, TypeError):
        src = ""
    payload = json.dumps(
        {
            "f": f"{func.__module__}:{func.__qualname__}",
            "src": hashlib.sha256(src.encode()).hexdigest(),
            "grid": {k: v.tolist() for k, v in grid.items()},
            "fixed": {k: repr(v) for k, v in sorted(fixed.items())},
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def _connect(
    scheduler: str | None, n_workers: int, processes: bool, timeout: float
) -> tuple[Any, Any]:
    from distributed import Client, LocalCluster

    if scheduler:
        if not (isinstance(scheduler, str) and "://" in scheduler):
            raise ParameterError("scheduler", scheduler, "an address like tcp://host:8786")
        try:
            client = Client(scheduler, timeout=f"{timeout}s")
        except (OSError, TimeoutError) as exc:
            raise ParameterError(
                "scheduler",
                scheduler,
                f"a reachable Dask scheduler (could not connect within {timeout:g} s: {type(exc).__name__})",
            ) from None
        return client, None
    cluster = LocalCluster(
        n_workers=n_workers, threads_per_worker=1, processes=processes, dashboard_address=None
    )
    return Client(cluster, timeout=f"{timeout}s"), cluster


def sweep(
    func: Callable[..., Mapping[str, Any]],
    grid: Mapping[str, Sequence[float] | np.ndarray],
    *,
    fixed: Mapping[str, Any] | None = None,
    scheduler: str | None = None,
    client: Any = None,
    n_workers: int = 2,
    processes: bool = True,
    timeout: float = 10.0,
    cache: bool = True,
    cache_dir: str | Path | None = None,
    progress: bool | None = None,
    name: str = "",
    chunk: int | None = None,
    chunk_axis: str | None = None,
    threads: int | None = 1,
) -> Any:
    """Evaluate ``func`` on a Cartesian grid with Dask and return an :class:`xarray.Dataset`.

    Parameters
    ----------
    func:
        Module-level function (workers must import it) of the grid names (and ``fixed``) returning
        a mapping name → scalar (float, int, bool).
    grid:
        name → 1-D values; the Dataset's coordinates, in this order.
    fixed:
        Extra keyword arguments passed unchanged to every call.
    scheduler:
        Address of a running Dask scheduler (``tcp://host:8786``); default: a LocalCluster.
    client:
        An existing :class:`distributed.Client` (takes precedence; not closed here).
    n_workers, processes:
        LocalCluster workers (single-threaded) and whether they are processes.
    timeout:
        Seconds to wait for a scheduler connection before a clear error.
    cache, cache_dir:
        Read/write the result at ``cache_dir/<key>.nc`` (default :func:`sweep_cache_dir`).
    progress:
        tqdm progress bar over completed points; ``None`` (default): only when stderr is a
        terminal, so a redirected log gets no carriage-return updates.
    chunk, chunk_axis:
        Points per task (default: about four tasks per worker) and an axis whose lines are kept
        whole in one task (:func:`task_chunks`); a task pays the start-up of its function once.
        A function with ``vectorized = True`` gets each task's points as arrays in one call.
    threads:
        BLAS/OpenMP threads of each worker process (threadpoolctl, set by its first task and kept:
        the pools are process-wide), so that workers on the cores of one machine do not
        oversubscribe them; None leaves the pools alone.

    Returns
    -------
    xarray.Dataset
        Variables: every result name (NaN / False where a point failed), ``failed`` (bool),
        ``error`` (str); attributes: function, fixed arguments, number of failures.

    Raises
    ------
    ParameterError
        Empty or malformed grid, bad ``n_workers``/``timeout``, unreachable scheduler.
    """
    import xarray as xr

    g = validate_grid(grid)
    fixed_d = dict(fixed or {})
    if not callable(func):
        raise ParameterError("func", func, "a callable")
    if not (isinstance(n_workers, int) and n_workers >= 1):
        raise ParameterError("n_workers", n_workers, "an integer >= 1")
    if threads is not None and not (isinstance(threads, int) and threads >= 1):
        raise ParameterError("threads", threads, "None or an integer >= 1")
    if not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout > 0):
        raise ParameterError("timeout", timeout, "a finite number of seconds > 0")
    overlap = set(g) & set(fixed_d)
    if overlap:
        raise ParameterError("fixed", sorted(overlap), "names not already on the grid")
    key = _cache_key(func, g, fixed_d)
    path = Path(cache_dir) if cache_dir is not None else sweep_cache_dir()
    file = path / f"{key}.nc"
    if cache and file.exists():
        ds = xr.load_dataset(file, engine="scipy")
        ds["failed"] = ds["failed"].astype(bool)
        return ds

    names = list(g)
    points = [
        dict(zip(names, map(float, vals), strict=True))
        for vals in itertools.product(*(g[n] for n in names))
    ]
    shape = tuple(g[n].size for n in names)
    own_client = client is None
    cl, cluster = (
        (client, None)
        if client is not None
        else _connect(scheduler, n_workers, processes, float(timeout))
    )
    results: list[dict[str, Any] | None] = [None] * len(points)
    try:
        from distributed import as_completed
        from tqdm.auto import tqdm

        n_workers_now = len(cl.scheduler_info().get("workers", {})) or n_workers
        tasks = task_chunks(g, chunk, chunk_axis, 4 * max(1, n_workers_now))
        futures = [
            cl.submit(_call_task, func, [points[i] for i in t], fixed_d, threads, pure=False)
            for t in tasks
        ]
        index = {f.key: k for k, f in enumerate(futures)}
        bar = tqdm(
            total=len(points),
            desc=name or f"sweep {func.__name__}",
            unit="pt",
            disable=not _show_progress(progress),
        )
        for fut in as_completed(futures):
            t = tasks[index[fut.key]]
            for i, r in zip(t, fut.result(), strict=True):
                results[i] = r
            bar.update(len(t))
        bar.close()
    finally:
        if own_client:
            cl.close()
            if cluster is not None:
                cluster.close()

    # assemble
    var_names: list[str] = []
    for r in results:
        for k in r or {}:
            if not k.startswith("__") and k not in var_names:
                var_names.append(k)
    data: dict[str, Any] = {}
    for v in var_names:
        sample = next(r[v] for r in results if r and v in r)
        is_bool = isinstance(sample, (bool, np.bool_))
        arr = np.zeros(len(points), dtype=bool) if is_bool else np.full(len(points), np.nan)
        for i, r in enumerate(results):
            if r and v in r and r[v] is not None:
                arr[i] = bool(r[v]) if is_bool else float(r[v])
        data[v] = (names, arr.reshape(shape))
    failed = np.array([not (r and r.get("__ok__")) for r in results]).reshape(shape)
    errors = np.array([(r or {}).get("__error__", "") for r in results], dtype=object).reshape(
        shape
    )
    data["failed"] = (names, failed)
    data["error"] = (names, errors.astype(str))
    ds = xr.Dataset(data, coords={n: g[n] for n in names})
    ds.attrs.update(
        {
            "function": f"{func.__module__}:{func.__qualname__}",
            "fixed": json.dumps({k: repr(v) for k, v in fixed_d.items()}),
            "n_failed": int(failed.sum()),
        }
    )
    if cache:
        path.mkdir(parents=True, exist_ok=True)
        tmp = file.with_suffix(".tmp.nc")
        ds.to_netcdf(tmp, engine="scipy")
        tmp.replace(file)
    return ds


# ---------------------------------------------------------------------------- CLI
def _configure(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Run a function over a parameter grid on Dask and write an xarray Dataset (netCDF)."
    )
    p.add_argument("function", help="module:function returning a mapping name -> scalar")
    p.add_argument(
        "--grid",
        action="append",
        required=True,
        metavar="NAME=SPEC",
        help="name=start:stop:num or name=v1,v2,... (repeat per axis)",
    )
    p.add_argument(
        "--fixed",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="fixed keyword argument (number)",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        help="Dask scheduler address (tcp://host:8786); default: a local cluster",
    )
    p.add_argument("--workers", type=int, default=2, help="local cluster workers (default 2)")
    p.add_argument(
        "--timeout", type=float, default=10.0, help="seconds to wait for the scheduler (default 10)"
    )
    p.add_argument("--out", default="sweep.nc", help="output netCDF file")
    p.add_argument("--no-cache", action="store_true", help="recompute even if cached")
    p.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar (default: a bar only when stderr is a terminal)",
    )
    p.add_argument(
        "--chunk", type=int, default=None, help="points per task (default: ~4 tasks per worker)"
    )
    p.add_argument(
        "--chunk-axis",
        default=None,
        help="grid axis whose lines stay whole in one task (e.g. g_h for a continuation)",
    )
    p.add_argument(
        "--allow-failures",
        action="store_true",
        help="exit 0 even if some points failed (default: exit 1 with a summary of the failures)",
    )


def _run(args: argparse.Namespace) -> int:
    func = resolve_function(args.function)
    grid = parse_grid(args.grid)
    fixed: dict[str, Any] = {}
    for spec in args.fixed:
        k, sep, v = spec.partition("=")
        if not sep:
            raise ParameterError("--fixed", spec, "name=value")
        try:
            fixed[k] = int(v) if v.lstrip("-").isdigit() else float(v)
        except ValueError:
            fixed[k] = v
    ds = sweep(
        func,
        grid,
        fixed=fixed,
        scheduler=args.scheduler,
        n_workers=args.workers,
        timeout=args.timeout,
        cache=not args.no_cache,
        progress=False if args.no_progress else None,
        chunk=args.chunk,
        chunk_axis=args.chunk_axis,
    )
    ds.to_netcdf(args.out, engine="scipy")
    print(ds)
    n_failed = int(ds["failed"].sum())
    print(f"wrote {args.out} ({n_failed} failed points of {int(ds['failed'].size)})")
    if n_failed:
        import sys

        print(failure_summary(ds), file=sys.stderr)
        if not args.allow_failures:
            print(
                f"theory sweep: {n_failed} point(s) failed; exit status 1 (--allow-failures to accept)",
                file=sys.stderr,
            )
            return 1
    return 0


def failure_summary(ds: Any, max_points: int = 3) -> str:
    """The failed points of a sweep Dataset grouped by error message, one line per message
    (count and the first ``max_points`` points); "" when nothing failed."""
    failed = np.asarray(ds["failed"].values, dtype=bool)
    if not failed.any():
        return ""
    names = list(ds["failed"].dims)
    errors = np.asarray(ds["error"].values).astype(str)
    groups: dict[str, list[str]] = {}
    for pos in zip(*np.nonzero(failed), strict=True):
        label = ", ".join(
            f"{n}={float(ds[n].values[i]):g}" for n, i in zip(names, pos, strict=True)
        )
        groups.setdefault(str(errors[pos]), []).append(label)
    lines = [f"{int(failed.sum())} failed point(s):"]
    for msg, pts in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        more = f" and {len(pts) - max_points} more" if len(pts) > max_points else ""
        lines.append(f"  {len(pts)} x {msg}  at ({'); ('.join(pts[:max_points])}){more}")
    return "\n".join(lines)


def _register_cli() -> None:
    from theory.cli import EXTRA_COMMANDS

    EXTRA_COMMANDS.setdefault("sweep", (_configure, _run))


_register_cli()
