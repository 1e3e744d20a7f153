"""Disk cache for slow symbolic steps (integrals, simplifications).

:func:`symbolic_cache` memoises a function returning SymPy objects on disk, keyed on the function's
qualified name, its source code, the ``repr`` of its arguments and the SymPy version, so that a
cold ``import theory`` never re-derives anything and a changed derivation is never served stale.
Values are stored as ``srepr`` strings and rebuilt with :func:`sympy.parse_expr`-free evaluation in
a namespace holding SymPy and the workbench's registered function classes.

Location: ``$THEORY_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/rnn-theory`` (``~/.cache/...``).
Set ``THEORY_NO_DISK_CACHE=1`` to disable.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import sympy as sp

__all__ = ["symbolic_cache", "cache_dir", "register_sympy_class", "clear_cache"]

F = TypeVar("F", bound=Callable[..., Any])

#: Extra names available when a cached ``srepr`` is rebuilt (dynamically created classes).
_CLASS_NAMESPACE: dict[str, Any] = {}


def register_sympy_class(cls: type) -> type:
    """Make a dynamically created SymPy class rebuildable from a cached ``srepr``."""
    _CLASS_NAMESPACE[cls.__name__] = cls
    return cls


def cache_dir() -> Path:
    """The cache directory (created on demand)."""
    env = os.environ.get("THEORY_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rnn-theory"


def clear_cache() -> int:
    """Delete every cached entry; return how many files were removed."""
    d = cache_dir()
    n = 0
    if d.exists():
        for f in d.glob("*.srepr"):
            f.unlink()
            n += 1
    return n


def _rebuild(text: str) -> Any:
    ns: dict[str, Any] = {k: getattr(sp, k) for k in dir(sp) if not k.startswith("_")}
    ns.update(_CLASS_NAMESPACE)
    ns["Integer"] = sp.Integer
    ns["Rational"] = sp.Rational
    ns["Float"] = sp.Float
    return eval(text, ns)  # noqa: S307 - our own cache of srepr strings


def symbolic_cache(func: F) -> F:
    """Memoise ``func`` (in memory and on disk). Arguments must have a stable ``repr``."""
    try:
        source = inspect.getsource(func)
    except (OSError, TypeError):  # pragma: no cover
        source = func.__qualname__
    fingerprint = hashlib.sha256(source.encode()).hexdigest()[:16]
    memory: dict[str, Any] = {}

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key_src = "|".join(
            [
                func.__module__,
                func.__qualname__,
                fingerprint,
                sp.__version__,
                sp.srepr(args) if args else "",
                repr(sorted(kwargs.items())),
            ]
        )
        key = hashlib.sha256(key_src.encode()).hexdigest()[:32]
        if key in memory:
            return memory[key]
        use_disk = os.environ.get("THEORY_NO_DISK_CACHE", "") not in ("1", "true", "yes")
        path = cache_dir() / f"{key}.srepr"
        if use_disk and path.exists():
            try:
                value = _rebuild(path.read_text())
                memory[key] = value
                return value
            except Exception:  # corrupted or incompatible entry: recompute
                path.unlink(missing_ok=True)
        value = func(*args, **kwargs)
        memory[key] = value
        if use_disk:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".tmp{os.getpid()}")
                tmp.write_text(sp.srepr(value))
                tmp.replace(path)
            except OSError:  # read-only home: the memory cache still works
                pass
        return value

    return cast(F, wrapper)  # functools.wraps keeps func's signature at runtime
