"""Output of a check run: the console table, the JSON records, the HTML and Markdown report.

``theory check`` prints :func:`format_table`, writes :func:`write_json` with ``--json`` and
:func:`write_report` (``index.html`` with the plots embedded, ``report.md`` with PNG files).
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from theory.checks.result import CheckResult

__all__ = [
    "format_table",
    "format_power",
    "format_target",
    "target_summary",
    "write_json",
    "write_report",
]


def format_power(r: CheckResult) -> str:
    """The check's power as text: ``±12%`` (two-sided), ``+8%``/``-8%`` (one-sided), ``-``."""
    if r.epsilon is None or r.epsilon_sides in ("none", "failed", ""):
        return "-"
    if r.epsilon > 10:
        return "inf"
    sign = "±" if r.epsilon_sides == "±" else r.epsilon_sides
    return f"{sign}{100 * r.epsilon:.3g}%"


def format_target(r: CheckResult) -> str:
    """The power target as text: ``5%`` when ε reaches it, ``5% MISS`` when not, ``-`` for none."""
    if r.target is None:
        return "-"
    t = f"{100 * r.target:.3g}%"
    return t + (" MISS" if r.meets_target is False else "")


def target_summary(results: Sequence[CheckResult]) -> str:
    """One line: how many checks with a power target reach it, and the misses' projected cost."""
    with_t = [r for r in results if r.meets_target is not None]
    miss = [r for r in with_t if r.meets_target is False]
    line = f"power: {len(with_t) - len(miss)} of {len(with_t)} checks with a target reach it"
    if miss:
        need = sum(r.seconds_to_target or 0.0 for r in miss)
        line += (
            f"; the {len(miss)} misses would need ~{need / 60:.1f} check-minutes of work at "
            "1/sqrt(samples) (JSON: seconds_to_target)"
        )
    return line


def format_table(results: Sequence[CheckResult]) -> str:
    """Plain-text table: check, theory, simulation, error, tolerance, power ε, target, verdict.

    ε is the smallest relative error of the prediction that the check detects
    (:func:`theory.checks.result.detectable_error`); the target is the power its kind of
    prediction should reach (:func:`theory.checks.result.power_target`).
    """
    head = ("check", "theory", "simulation", "error", "tolerance", "eps", "target", "verdict")
    rows = [
        (
            r.name,
            f"{r.theory:.6g}",
            f"{r.simulation:.6g}",
            f"{r.error:.3g}",
            f"{r.tolerance:.3g}",
            format_power(r),
            format_target(r),
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
    if any(r.meets_target is not None for r in results):
        lines.append(target_summary(results))
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
    summary = target_summary(results)
    md = [f"# {title}", "", f"{n_pass} passed, {len(results) - n_pass} failed", "", summary, ""]
    md += [
        "| check | theory | simulation | error | tolerance | ε (power) | target | verdict | error model |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    rows_html = []
    sections_html = []
    sections_md = []
    for i, r in enumerate(results):
        verdict = "PASS" if r.passed else "FAIL"
        md.append(
            f"| [{r.name}](#check-{i}) | {r.theory:.6g} | {r.simulation:.6g} | {r.error:.3g} | "
            f"{r.tolerance:.3g} | {format_power(r)} | {format_target(r)} | {verdict} | "
            f"{r.error_model} |"
        )
        cls = "pass" if r.passed else "fail"
        rows_html.append(
            f"<tr class='{cls}'><td><a href='#check-{i}'>{html.escape(r.name)}</a></td>"
            f"<td>{r.theory:.6g}</td><td>{r.simulation:.6g}</td><td>{r.error:.3g}</td>"
            f"<td>{r.tolerance:.3g}</td><td>{html.escape(format_power(r))}</td>"
            f"<td>{html.escape(format_target(r))}</td>"
            f"<td>{verdict}</td><td>{r.seconds:.1f}s</td></tr>"
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
            f"≤? tolerance {r.tolerance:.3g}; power: detects a relative error of the prediction "
            f"of {html.escape(format_power(r))}{html.escape(_target_text(r))}</p>"
            f"<table class='details'>{detail_rows}</table>{''.join(imgs_html)}</section>"
        )
        sections_md.append(
            f"\n## <a id='check-{i}'></a>{r.name} — {verdict}\n\n{r.description}\n\n"
            f"*Error model:* {r.error_model}\n\n"
            f"*Power:* {format_power(r)}{_target_text(r)}\n\n"
            + "\n".join(f"- {k}: {_short(v)}" for k, v in r.details.items() if k != "traceback")
            + ("\n\n" + "\n".join(imgs_md) if imgs_md else "")
        )
    md += sections_md
    (d / "report.md").write_text("\n".join(md) + "\n")
    page = f"""<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:auto}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}} td:first-child,th:first-child{{text-align:left}}
tr.pass td:nth-child(8),h2.pass{{color:#176117}} tr.fail td:nth-child(8),h2.fail{{color:#b00}}
img{{max-width:100%;display:block;margin:8px 0}} .details th{{text-align:left;vertical-align:top}}
pre{{margin:0;white-space:pre-wrap;text-align:left}}</style></head><body>
<h1>{html.escape(title)}</h1><p>{n_pass} passed, {len(results) - n_pass} failed</p>
<p>{html.escape(summary)}</p>
<p>ε (power): the smallest relative error of the prediction that the check detects, ±ε for
two-sided checks, +ε or −ε for one-sided bounds. Target: the power the kind of prediction should
reach (moments 5 %, exponents, spectra, fractions, gradients, time scales and curves 10 %, fitted
exponents ±0.05; 25 % at quick sizes); MISS marks a check below it.</p>
<table><tr><th>check</th><th>theory</th><th>simulation</th><th>error</th><th>tolerance</th>
<th>ε (power)</th><th>target</th><th>verdict</th><th>time</th></tr>{"".join(rows_html)}</table>{"".join(sections_html)}</body></html>"""
    out = d / "index.html"
    out.write_text(page)
    return out


def _target_text(r: CheckResult) -> str:
    if r.target is None:
        return ""
    out = f" (target {100 * r.target:.3g}% for a {r.target_kind}"
    if r.meets_target is False and r.seconds_to_target is not None:
        out += (
            f": missed; at 1/sqrt(samples) its work would need ~{r.seconds_to_target:.0f} "
            "check-seconds to reach it"
        )
    return out + ")"


def _short(v: Any, limit: int = 2000) -> str:
    if isinstance(v, np.ndarray):
        s = np.array2string(v, precision=5, threshold=20)
    elif isinstance(v, float):
        s = f"{v:.6g}"
    else:
        s = str(v)
    return s if len(s) <= limit else s[:limit] + " …"
