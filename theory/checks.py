"""The registry of checks and the report they produce — the product's spine.

A *check* compares a prediction of compiled theory with a finite-width measurement. It states

* the prediction (``theory``) and the measurement (``simulation``), as numbers;
* the ``error`` between them (absolute difference, or a sup-norm over a curve);
* an :class:`ErrorModel`: what the finite-size / truncation / quadrature error should be
  (``c/√N``, ``O(1/N)``, ``ρ^L`` ...), written out, and the ``tolerance`` that follows from it;
* the verdict ``passed = error <= tolerance``.

Checks are registered with :func:`check` (or :func:`register_check` for parametrised families)
by the theory packages, listed in :mod:`theory.catalog`. ``theory check`` runs them
(:func:`run_checks`), prints a table, writes an HTML + Markdown report with plots
(:func:`write_report`) and exits non-zero when one fails. Every check runs at two sizes: the
*full* default sizes, and *quick* sizes (``--quick``) for CI, whose tolerances follow from the same
error model at the smaller size.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from theory.errors import ParameterError

__all__ = [
    "ErrorModel",
    "CheckContext",
    "CheckResult",
    "Check",
    "CHECKS",
    "check",
    "register_check",
    "check_names",
    "run_checks",
    "format_table",
    "write_report",
    "write_json",
    "fit_power_law",
    "compare_curve",
    "mean_sem",
    "statistical_tolerance",
]


# ============================================================================ error models
@dataclass(frozen=True)
class ErrorModel:
    """An error model and the tolerance it implies.

    Parameters
    ----------
    description:
        What the error should be and why, in words and symbols, e.g. ``"4 SEM over 4 networks
        (fluctuation c/√(NT)) + O(1/N) bias bound 2/N"``.
    tolerance:
        The tolerance that follows (same units as the check's error).
    """

    description: str
    tolerance: float

    def __post_init__(self) -> None:
        if not (self.tolerance >= 0 and math.isfinite(self.tolerance)):
            raise ParameterError("tolerance", self.tolerance, "a finite number >= 0")


def mean_sem(values: Sequence[float] | np.ndarray, axis: int = 0) -> tuple[Any, Any]:
    """Mean and standard error of the mean over ``axis`` (ddof = 1)."""
    v = np.asarray(values, dtype=float)
    n = v.shape[axis]
    if n < 2:
        raise ParameterError("values", v.shape, "at least two samples along the averaging axis")
    return v.mean(axis=axis), v.std(axis=axis, ddof=1) / np.sqrt(n)


def statistical_tolerance(
    sem: float,
    n_samples: int,
    *,
    alpha: float = 1e-3,
    bias: float = 0.0,
    bias_text: str = "",
) -> ErrorModel:
    """Tolerance ``t_{1−α/2, n−1}·SEM + bias`` for a mean over ``n_samples`` independent samples.

    The Student-t quantile makes a false alarm from the statistical part alone an event of
    probability ``alpha`` (1e-3 by default) for Gaussian sample errors, with the SEM itself
    estimated from the samples; ``bias`` is the deterministic part (finite size ``O(1/N)``, time
    step, truncation) whose bound must be justified in ``bias_text``.
    """
    from scipy.stats import t as student_t

    if n_samples < 2:
        raise ParameterError("n_samples", n_samples, "at least 2 independent samples")
    z = float(student_t.ppf(1 - alpha / 2, n_samples - 1))
    desc = f"t-quantile {z:.2f} (alpha={alpha:g}, {n_samples} samples) x SEM {sem:.3g}"
    if bias:
        desc += f" + bias bound {bias:.3g}" + (f" ({bias_text})" if bias_text else "")
    return ErrorModel(desc, z * float(sem) + float(bias))


def compare_curve(
    theory: np.ndarray,
    samples: np.ndarray,
    *,
    alpha: float = 1e-3,
    n_independent: int = 1,
    bias: float | np.ndarray = 0.0,
    bias_text: str = "",
    details: dict[str, Any] | None = None,
    figures: list[Any] | None = None,
) -> CheckResult:
    """Compare a predicted curve with S independent measured curves, point by point.

    The error is the largest *standardised* deviation
    ``max_k max(0, |mean_k − theory_k| − bias_k) / SEM_k`` and the tolerance is the Student-t
    quantile at ``alpha / n_independent`` (Bonferroni over roughly independent points) with
    S − 1 degrees of freedom. Standardising point by point keeps the test sharp where the
    measurement is precise (short lags) and honest where it is not (long lags, where finite-N
    slow modes make single networks fluctuate). The theory and simulation columns report the
    values at the worst point.

    Parameters
    ----------
    theory:
        Prediction, shape (K,).
    samples:
        Measurements, shape (S, K), one row per independent sample (network, seed).
    """
    from scipy.stats import t as student_t

    samples = np.asarray(samples, dtype=float)
    theory = np.asarray(theory, dtype=float)
    S = samples.shape[0]
    mean, sem = mean_sem(samples)
    excess = np.clip(np.abs(mean - theory) - bias, 0.0, None)
    z = excess / np.maximum(sem, 1e-300)
    k = int(np.argmax(z))
    a = alpha / max(1, n_independent)
    q = float(student_t.ppf(1 - a / 2, S - 1))
    desc = (
        f"pointwise: (|mean - theory| - bias)/SEM over {S} samples <= t-quantile {q:.2f} "
        f"(alpha={alpha:g}, Bonferroni over {n_independent} independent points)"
    )
    if np.any(np.asarray(bias) > 0):
        desc += f"; bias bound max {float(np.max(bias)):.3g}" + (
            f" ({bias_text})" if bias_text else ""
        )
    det = {
        "worst_index": k,
        "sem_at_worst": float(sem[k]),
        "abs_error_at_worst": float(abs(mean[k] - theory[k])),
        "sup_abs_error": float(np.max(np.abs(mean - theory))),
    }
    det.update(details or {})
    return CheckResult.compare(
        "",
        float(theory[k]),
        float(mean[k]),
        ErrorModel(desc, q),
        error=float(z[k]),
        details=det,
        figures=figures,
    )


def fit_power_law(sizes: Sequence[float], errors: Sequence[float]) -> tuple[float, float, float]:
    """Least-squares fit of ``log error = log c + p log size``.

    Returns
    -------
    (p, c, stderr_p):
        The fitted exponent, prefactor and the standard error of the exponent (0 for two points).
    """
    x = np.log(np.asarray(sizes, dtype=float))
    y = np.log(np.asarray(errors, dtype=float))
    if x.size < 2:
        raise ParameterError("sizes", sizes, "at least two sizes")
    if not np.all(np.isfinite(y)):
        raise ParameterError("errors", errors, "positive finite errors")
    A = np.vstack([x, np.ones_like(x)]).T
    coef, res, *_ = np.linalg.lstsq(A, y, rcond=None)
    p, logc = coef
    if x.size > 2:
        resid = y - A @ coef
        s2 = resid @ resid / (x.size - 2)
        cov = s2 * np.linalg.inv(A.T @ A)
        se = float(np.sqrt(cov[0, 0]))
    else:
        se = 0.0
    return float(p), float(np.exp(logc)), se


# ============================================================================ results
@dataclass(frozen=True)
class CheckContext:
    """What a check function receives.

    Attributes
    ----------
    quick:
        Run at the small CI sizes.
    seed:
        Base seed; checks derive their generators from it (``np.random.default_rng(seed)``).
    progress:
        Whether long inner loops may show progress bars.
    """

    quick: bool = False
    seed: int = 20221
    progress: bool = False

    def size(self, quick: Any, full: Any) -> Any:
        """Pick the quick or the full value."""
        return quick if self.quick else full

    def rng(self, *stream: int) -> np.random.Generator:
        """An independent generator for a named stream of this check."""
        return np.random.default_rng([self.seed, *stream])


@dataclass
class CheckResult:
    """Outcome of one check (one row of the table)."""

    name: str
    theory: float
    simulation: float
    error: float
    tolerance: float
    passed: bool
    error_model: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    figures: list[Any] = field(default_factory=list)
    seconds: float = 0.0
    description: str = ""

    @classmethod
    def compare(
        cls,
        name: str,
        theory: float,
        simulation: float,
        model: ErrorModel,
        *,
        error: float | None = None,
        details: dict[str, Any] | None = None,
        figures: list[Any] | None = None,
    ) -> CheckResult:
        """Build a result; ``error`` defaults to ``|theory − simulation|``."""
        theory = float(theory)
        simulation = float(simulation)
        err = abs(theory - simulation) if error is None else float(error)
        passed = bool(np.isfinite(err) and err <= model.tolerance)
        return cls(
            name=name,
            theory=theory,
            simulation=simulation,
            error=err,
            tolerance=model.tolerance,
            passed=passed,
            error_model=model.description,
            details=dict(details or {}),
            figures=list(figures or []),
        )

    def record(self) -> dict[str, Any]:
        """JSON-serialisable record ``{name, theory, simulation, error, tolerance, passed, ...}``."""
        return {
            "name": self.name,
            "theory": _jsonable(self.theory),
            "simulation": _jsonable(self.simulation),
            "error": _jsonable(self.error),
            "tolerance": _jsonable(self.tolerance),
            "passed": bool(self.passed),
            "error_model": self.error_model,
            "seconds": round(self.seconds, 3),
            "details": {k: _jsonable(v) for k, v in self.details.items()},
        }


def _jsonable(v: Any) -> Any:
    if isinstance(v, (np.floating, float)):
        f = float(v)
        return f if math.isfinite(f) else str(f)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, np.ndarray):
        return [_jsonable(x) for x in v.tolist()]
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (str, int, bool)) or v is None:
        return v
    return str(v)


# ============================================================================ registry
@dataclass(frozen=True)
class Check:
    """A registered check."""

    name: str
    theory: str
    func: Callable[[CheckContext], CheckResult]
    description: str = ""


#: name -> Check, filled by the theory packages on :func:`theory.catalog.load_all`.
CHECKS: dict[str, Check] = {}


def register_check(
    name: str, func: Callable[[CheckContext], CheckResult], *, theory: str, description: str = ""
) -> None:
    """Register ``func`` as check ``name`` (names are unique; use ``family[param=value]``)."""
    if name in CHECKS:
        raise ParameterError("check name", name, "a name not registered yet")
    CHECKS[name] = Check(name=name, theory=theory, func=func, description=description)


def check(
    name: str, *, theory: str, description: str = ""
) -> Callable[[Callable[[CheckContext], CheckResult]], Callable[[CheckContext], CheckResult]]:
    """Decorator form of :func:`register_check`."""

    def wrap(func: Callable[[CheckContext], CheckResult]) -> Callable[[CheckContext], CheckResult]:
        register_check(
            name,
            func,
            theory=theory,
            description=description or (func.__doc__ or "").strip().split("\n")[0],
        )
        return func

    return wrap


def check_names(theory: str | None = None) -> list[str]:
    """Names of all registered checks, in registration order."""
    from theory.catalog import load_all

    load_all()
    return [n for n, c in CHECKS.items() if theory in (None, c.theory)]


def _select(only: Iterable[str] | None) -> list[Check]:
    from theory.catalog import load_all

    load_all()
    if not only:
        return list(CHECKS.values())
    chosen: list[Check] = []
    for pattern in only:
        hits = [
            c for n, c in CHECKS.items() if n == pattern or n.startswith(pattern) or pattern in n
        ]
        if not hits:
            raise ParameterError(
                "--only", pattern, f"a check name or prefix; known: {list(CHECKS)}"
            )
        chosen.extend(h for h in hits if h not in chosen)
    return chosen


def run_checks(
    only: Iterable[str] | None = None,
    *,
    quick: bool = False,
    seed: int = 20221,
    progress: bool = True,
    on_result: Callable[[CheckResult], None] | None = None,
) -> list[CheckResult]:
    """Run the selected checks; a check that raises becomes a failed row with the traceback."""
    from tqdm.auto import tqdm

    checks = _select(only)
    import matplotlib

    # checks return their figures for the report, so many stay open by design
    matplotlib.rcParams["figure.max_open_warning"] = 0
    ctx = CheckContext(quick=quick, seed=seed, progress=progress)
    results: list[CheckResult] = []
    bar = tqdm(checks, desc="checks", unit="check", disable=not progress)
    for c in bar:
        bar.set_postfix_str(c.name)
        t0 = time.perf_counter()
        try:
            res = c.func(ctx)
            res.name = c.name
        except Exception as exc:  # a crashing check is a failing check, reported
            res = CheckResult(
                name=c.name,
                theory=float("nan"),
                simulation=float("nan"),
                error=float("nan"),
                tolerance=float("nan"),
                passed=False,
                error_model="check raised an exception",
                details={
                    "exception": f"{type(exc).__name__}: {exc}",
                    "traceback": traceback.format_exc(),
                },
            )
        res.seconds = time.perf_counter() - t0
        res.description = c.description
        results.append(res)
        if on_result is not None:
            on_result(res)
    return results


# ============================================================================ output
def format_table(results: Sequence[CheckResult]) -> str:
    """Plain-text table: check, theory, simulation, error, tolerance, verdict."""
    head = ("check", "theory", "simulation", "error", "tolerance", "verdict")
    rows = [
        (
            r.name,
            f"{r.theory:.6g}",
            f"{r.simulation:.6g}",
            f"{r.error:.3g}",
            f"{r.tolerance:.3g}",
            "PASS" if r.passed else "FAIL",
        )
        for r in results
    ]
    widths = [
        max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(head)
    ]
    fmt = "  ".join(f"{{:<{w}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    lines = [fmt.format(*head), "  ".join("-" * w for w in widths)]
    lines += [fmt.format(*row) for row in rows]
    n_pass = sum(r.passed for r in results)
    lines.append(f"{n_pass} passed, {len(results) - n_pass} failed")
    return "\n".join(lines)


def write_json(results: Sequence[CheckResult], path: str | Path) -> Path:
    """Write ``[{name, theory, simulation, error, tolerance, passed, ...}, ...]``."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps([r.record() for r in results], indent=2))
    return p


def _figure_png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return buf.getvalue()


def write_report(
    results: Sequence[CheckResult], directory: str | Path, *, title: str = "theory check"
) -> Path:
    """Write ``index.html`` (self-contained: plots embedded) and ``report.md`` (+ PNG files).

    Returns the path of ``index.html``; open it in a browser, no server needed.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    n_pass = sum(r.passed for r in results)
    md = [f"# {title}", "", f"{n_pass} passed, {len(results) - n_pass} failed", ""]
    md += [
        "| check | theory | simulation | error | tolerance | verdict | error model |",
        "|---|---|---|---|---|---|---|",
    ]
    rows_html = []
    sections_html = []
    sections_md = []
    for i, r in enumerate(results):
        verdict = "PASS" if r.passed else "FAIL"
        md.append(
            f"| [{r.name}](#check-{i}) | {r.theory:.6g} | {r.simulation:.6g} | {r.error:.3g} | "
            f"{r.tolerance:.3g} | {verdict} | {r.error_model} |"
        )
        cls = "pass" if r.passed else "fail"
        rows_html.append(
            f"<tr class='{cls}'><td><a href='#check-{i}'>{html.escape(r.name)}</a></td>"
            f"<td>{r.theory:.6g}</td><td>{r.simulation:.6g}</td><td>{r.error:.3g}</td>"
            f"<td>{r.tolerance:.3g}</td><td>{verdict}</td><td>{r.seconds:.1f}s</td></tr>"
        )
        imgs_html = []
        imgs_md = []
        for k, fig in enumerate(r.figures):
            png = _figure_png(fig)
            fname = f"fig-{i:02d}-{k}.png"
            (d / fname).write_bytes(png)
            plt.close(fig)
            b64 = base64.b64encode(png).decode()
            imgs_html.append(
                f"<img alt='{html.escape(r.name)}' src='data:image/png;base64,{b64}'/>"
            )
            imgs_md.append(f"![{r.name}]({fname})")
        detail_rows = "".join(
            f"<tr><th>{html.escape(str(k))}</th><td><pre>{html.escape(_short(v))}</pre></td></tr>"
            for k, v in r.details.items()
        )
        sections_html.append(
            f"<section id='check-{i}'><h2 class='{cls}'>{html.escape(r.name)} — {verdict}</h2>"
            f"<p>{html.escape(r.description)}</p>"
            f"<p><b>error model:</b> {html.escape(r.error_model)}</p>"
            f"<p>theory {r.theory:.8g}, simulation {r.simulation:.8g}, error {r.error:.3g} "
            f"≤? tolerance {r.tolerance:.3g}</p>"
            f"<table class='details'>{detail_rows}</table>{''.join(imgs_html)}</section>"
        )
        sections_md.append(
            f"\n## <a id='check-{i}'></a>{r.name} — {verdict}\n\n{r.description}\n\n"
            f"*Error model:* {r.error_model}\n\n"
            + "\n".join(f"- {k}: {_short(v)}" for k, v in r.details.items() if k != "traceback")
            + ("\n\n" + "\n".join(imgs_md) if imgs_md else "")
        )
    md += sections_md
    (d / "report.md").write_text("\n".join(md) + "\n")
    page = f"""<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:auto}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}} td:first-child{{text-align:left}}
tr.pass td:nth-child(6),h2.pass{{color:#176117}} tr.fail td:nth-child(6),h2.fail{{color:#b00}}
img{{max-width:100%;display:block;margin:8px 0}} .details th{{text-align:left;vertical-align:top}}
pre{{margin:0;white-space:pre-wrap;text-align:left}}</style></head><body>
<h1>{html.escape(title)}</h1><p>{n_pass} passed, {len(results) - n_pass} failed</p>
<table><tr><th>check</th><th>theory</th><th>simulation</th><th>error</th><th>tolerance</th>
<th>verdict</th><th>time</th></tr>{"".join(rows_html)}</table>{"".join(sections_html)}</body></html>"""
    out = d / "index.html"
    out.write_text(page)
    return out


def _short(v: Any, limit: int = 2000) -> str:
    if isinstance(v, np.ndarray):
        s = np.array2string(v, precision=5, threshold=20)
    elif isinstance(v, float):
        s = f"{v:.6g}"
    else:
        s = str(v)
    return s if len(s) <= limit else s[:limit] + " …"
