"""The registry of checks: one decorator for single checks and for families, and name selection.

A check is a function ``f(ctx, **case) -> CheckResult`` registered with :func:`check`. Its name
starts with the package path of its code, so a name says where the code is: a function in
``theory/gating/classical/checks.py`` registered as ``@check("delta0", cases=[{"g": 2.0}])`` is
the check ``gating.classical.delta0[g=2.0]``. A module outside :mod:`theory` (a user's checks,
see :func:`theory.checks.runner.load_user_checks`) gets its own module path as the prefix
(``mylab.checks`` → ``mylab.<name>``).

Families: ``cases`` is a list of keyword dictionaries (each case labelled ``k=v,k=v``) or a
mapping ``{label: kwargs}`` when a label says it better (``"rho=exp(-t)/(1+t)"``). Each case is
registered as its own check ``<prefix>.<name>[<label>]``.

Selecting checks (``theory check --only PATTERN ...``, :func:`select`):

* an exact name: ``gating.classical.delta0[g=2.0]``;
* a prefix that ends at a name boundary (``.`` or ``[``): ``gating`` (every gating check),
  ``gating.classical.delta0`` (all its cases);
* a glob with ``*`` and ``?`` (brackets are literal): ``*lyapunov*``, ``gating.*[g_h=4]``.

A pattern that selects nothing is an error listing the closest names.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from theory.checks.result import CheckResult
from theory.errors import ParameterError

__all__ = ["Check", "CHECKS", "check", "check_names", "select", "case_label", "name_prefix"]

CheckFunction = Callable[..., CheckResult]


@dataclass(frozen=True)
class Check:
    """A registered check: ``func(ctx, **case)`` computes its :class:`CheckResult`."""

    name: str
    theory: str
    func: CheckFunction
    case: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    module: str = ""
    #: Names the memoised work this check shares with other checks of its module (equal keys run
    #: in one worker of a parallel run); "" for the case's own label (or, without a case, the
    #: check's own name).
    shares: str = ""
    #: The kind of prediction (a key of :data:`theory.checks.result.POWER_TARGETS`) that sets the
    #: power the check should reach; "" for checks without a statistical power target.
    target: str = ""

    @property
    def group(self) -> tuple[str, str]:
        """The unit of work of a parallel run and of the cost projection of a power target:
        (module, shared-work key, else case label, else the check's own name)."""
        return (self.module, self.shares or case_label(self.case) or self.name)

    def __call__(self, ctx: Any) -> CheckResult:
        return self.func(ctx, **self.case)


#: name -> Check, filled when the theory packages are loaded (:func:`theory.catalog.load_all`).
CHECKS: dict[str, Check] = {}


def name_prefix(module: str) -> str:
    """The check-name prefix of a module: its path without ``theory.`` and ``.checks``."""
    parts = module.split(".")
    if parts and parts[0] == "theory":
        parts = parts[1:]
    if parts and parts[-1] == "checks":
        parts = parts[:-1]
    return ".".join(parts)


def case_label(case: Mapping[str, Any]) -> str:
    """``{"g_h": 4.0, "alpha_r": 0.0}`` → ``"g_h=4.0,alpha_r=0.0"``."""
    return ",".join(f"{k}={v}" for k, v in case.items())


def check(
    name: str,
    *,
    cases: Sequence[Mapping[str, Any]] | Mapping[str, Mapping[str, Any]] | None = None,
    description: str | None = None,
    prefix: str | None = None,
    shares: str | Callable[[Mapping[str, Any]], str] | None = None,
    target: str = "",
) -> Callable[[CheckFunction], CheckFunction]:
    """Register the decorated ``func(ctx, **case)`` as one check, or one check per case.

    Parameters
    ----------
    name:
        The check's name inside its package (``"delta0"``, ``"alpha0_map.C_h0"``).
    cases:
        ``None`` for a single check; a list of keyword dictionaries; or ``{label: kwargs}``.
    description:
        One line for the table and the report (default: the first line of the docstring).
    prefix:
        Override of the package prefix (default :func:`name_prefix` of the function's module).
    shares:
        The memoised work the check shares with others of its module (a simulated ensemble, a
        solved theory): a key, or a function of the case's keywords giving one. Checks of one
        module with equal keys run in the same worker of ``theory check --jobs N`` (default:
        the case label, so only checks of one case are kept together; a check without a case
        is its own unit).
    target:
        The kind of prediction, which sets the power ε the check should reach
        (:data:`theory.checks.result.POWER_TARGETS`: ``"moment"`` 5 %, ``"curve"``,
        ``"lyapunov"``, ``"spectrum"``, ``"fraction"``, ``"gradient"``, ``"timescale"`` 10 %,
        ``"exponent"`` ±0.05 absolute; 25 % for every kind at quick sizes); "" for none.
    """
    from theory.checks.result import POWER_TARGETS

    if target and target not in POWER_TARGETS:
        raise ParameterError("target", target, "one of " + ", ".join(POWER_TARGETS) + ", or ''")

    def wrap(func: CheckFunction) -> CheckFunction:
        pre = name_prefix(func.__module__) if prefix is None else prefix
        full = f"{pre}.{name}" if pre else name
        desc = (
            description if description is not None else (func.__doc__ or "").strip().split("\n")[0]
        )
        if cases is None:
            items: list[tuple[str | None, Mapping[str, Any]]] = [(None, {})]
        elif isinstance(cases, Mapping):
            items = [(str(label), dict(kw)) for label, kw in cases.items()]
        else:
            items = [(case_label(kw), dict(kw)) for kw in cases]
        for label, kw in items:
            cname = full if label is None else f"{full}[{label}]"
            if cname in CHECKS:
                raise ParameterError("check name", cname, "a name not registered yet")
            CHECKS[cname] = Check(
                name=cname,
                theory=full.split(".")[0],
                func=func,
                case=kw,
                description=desc,
                module=func.__module__,
                shares=str(shares(kw) if callable(shares) else (shares or "")),
                target=target,
            )
        return func

    return wrap


def check_names(theory: str | None = None) -> list[str]:
    """Names of all registered checks (of one theory), in registration order."""
    from theory.catalog import load_all

    load_all()
    return [n for n, c in CHECKS.items() if theory in (None, c.theory)]


def _matcher(pattern: str) -> Callable[[str], bool]:
    if "*" in pattern or "?" in pattern:
        rx = re.compile(
            "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
            + r"\Z"
        )
        return lambda n: rx.match(n) is not None
    return lambda n: n == pattern or (n.startswith(pattern) and n[len(pattern)] in ".[")


def select(
    patterns: Iterable[str] | None, checks: Mapping[str, Check] | None = None
) -> list[Check]:
    """The checks selected by names, prefixes or globs (module docstring), in registry order.

    Raises
    ------
    ParameterError
        If a pattern selects nothing; the message lists the closest names, one per line.
    """
    if checks is None:
        from theory.catalog import load_all

        load_all()
        checks = CHECKS
    pats = list(patterns or [])
    if not pats:
        return list(checks.values())
    chosen: dict[str, Check] = {}
    for pattern in pats:
        match = _matcher(pattern)
        hits = [c for n, c in checks.items() if match(n)]
        if not hits:
            close = difflib.get_close_matches(pattern, list(checks), n=8, cutoff=0.4)
            prefixes = sorted({n.split("[")[0] for n in checks if pattern in n})[:8]
            hint = close or prefixes
            msg = "an exact check name, a prefix ending at '.' or '[', or a glob with * and ?"
            if hint:
                msg += "; closest names:\n  " + "\n  ".join(hint)
            raise ParameterError("--only", pattern, msg)
        for h in hits:
            chosen.setdefault(h.name, h)
    return [c for n, c in checks.items() if n in chosen]
