"""Run the benchmarks: ``python benchmarks/run.py [--quick] [--only NAME ...] [--json PATH] [--plots DIR]``.

Each ``benchmarks/bench_<name>.py`` defines ``run(quick: bool = False) -> list[dict]`` returning
records ``{name, value, unit, baseline, ratio, note}`` (optional: ``accuracy``, the package's error
on the problem; ``baseline_accuracy``; ``series``, a measured curve ``{x, y, xlabel, ylabel}``):
every speed claim is a ratio against a baseline measured in the same run, on the same machine.

The table prints, per problem, the package's time and accuracy next to the baseline's and the
ratio (baseline / package unless the note says otherwise). ``--json`` writes every record (with
the machine: cores, load average) to a file; ``--plots DIR`` draws every ``series`` on log-log
axes with the fitted power law (its exponent in the legend) into ``DIR/<name>.png``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _load(path: Path):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _num(v: Any, fmt: str = "10.4g") -> str:
    if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
        return format(v, fmt)
    return " " * len(format(1.0, fmt))


def format_record(r: dict) -> str:
    """One table line: name, value, accuracy, baseline, baseline accuracy, ratio, note."""
    ratio = r.get("ratio")
    ratio_s = f"{_num(ratio, '8.3g')}x" if isinstance(ratio, (int, float)) else " " * 9
    return (
        f"  {r['name'][:48]:48s} {_num(r.get('value'))} {r.get('unit', ''):7s}"
        f" acc {_num(r.get('accuracy'), '9.2g')} | base {_num(r.get('baseline'))}"
        f" acc {_num(r.get('baseline_accuracy'), '9.2g')} | {ratio_s}  {r.get('note', '')}"
    )


def fit_exponent(x: list[float], y: list[float]) -> tuple[float, float]:
    """Least-squares power law y = c x^p on log-log axes: returns (p, c)."""
    import numpy as np

    lx, ly = np.log(np.asarray(x, dtype=float)), np.log(np.asarray(y, dtype=float))
    p, lc = np.polyfit(lx, ly, 1)
    return float(p), float(np.exp(lc))


def plot_series(records: list[dict], out_dir: Path) -> list[Path]:
    """Draw every record's ``series`` (one or more curves) with its fitted power law."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    for r in records:
        s = r.get("series")
        if not (isinstance(s, dict) and "x" in s and "y" in s):
            continue
        curves = s["y"] if isinstance(s["y"], dict) else {r["name"]: s["y"]}
        fig, ax = plt.subplots(figsize=(5, 3.6))
        for label, y in curves.items():
            p, c = fit_exponent(s["x"], y)
            xs = np.asarray(s["x"], dtype=float)
            ax.loglog(xs, y, "o", label=f"{label}")
            ax.loglog(xs, c * xs**p, "--", color=ax.lines[-1].get_color(), label=f"fit x^{p:.2f}")
        ax.set_xlabel(s.get("xlabel", "size"))
        ax.set_ylabel(s.get("ylabel", "time [s]"))
        ax.set_title(r["name"], fontsize=9)
        ax.legend(fontsize=7)
        fig.tight_layout()
        f = out_dir / (re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{r['module']}_{r['name']}") + ".png")
        fig.savefig(f, dpi=120)
        plt.close(fig)
        files.append(f)
    return files


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    ap.add_argument("--only", nargs="+", help="benchmark module names, e.g. classical")
    ap.add_argument("--json", help="write all records to this file")
    ap.add_argument("--plots", help="write time-vs-size plots (with fitted exponents) here")
    args = ap.parse_args(argv)
    for path_arg in (args.json, args.plots):  # validate outputs before any work
        if path_arg and not Path(path_arg).resolve().parent.exists():
            ap.error(f"the folder of {path_arg} does not exist")
    sys.path.insert(0, str(HERE))  # bench modules import benchmarks/timing.py
    names = [p.stem.removeprefix("bench_") for p in sorted(HERE.glob("bench_*.py"))]
    if args.only:
        unknown = sorted(set(args.only) - set(names))
        if unknown:
            ap.error(f"unknown benchmark(s) {unknown}; available: {names}")
    records = []
    print(
        f"  {'problem':48s} {'package':>10s} {'unit':7s} {'accuracy':>13s} | {'baseline':>15s}"
        f" {'accuracy':>13s} | {'ratio':>9s}  note"
    )
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        if args.only and name not in args.only:
            continue
        t0 = time.perf_counter()
        recs = _load(path).run(quick=args.quick)
        print(f"== {name} ({time.perf_counter() - t0:.1f} s)")
        for r in recs:
            print(format_record(r), flush=True)
            records.append({"module": name, **r})
    if args.json:
        meta = {
            "cores": len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity")
            else os.cpu_count(),
            "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
            "quick": bool(args.quick),
        }
        Path(args.json).write_text(
            json.dumps({"machine": meta, "records": records}, indent=2, default=str)
        )
    if args.plots:
        for f in plot_series(records, Path(args.plots)):
            print(f"plot: {f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
