"""Run the benchmarks: ``python benchmarks/run.py [--quick] [--only NAME ...] [--json PATH]``.

Each ``benchmarks/bench_<name>.py`` defines ``run(quick: bool = False) -> list[dict]`` returning
records ``{name, value, unit, baseline, ratio, note}``: every speed claim is a ratio against a
baseline measured in the same run, on the same machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _load(path: Path):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    ap.add_argument("--only", nargs="+", help="benchmark module names, e.g. classical")
    ap.add_argument("--json", help="write all records to this file")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(HERE))  # bench modules import benchmarks/timing.py
    records = []
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        if args.only and name not in args.only:
            continue
        t0 = time.perf_counter()
        recs = _load(path).run(quick=args.quick)
        print(f"== {name} ({time.perf_counter() - t0:.1f} s)")
        for r in recs:
            ratio = r.get("ratio")
            ratio_s = f"{ratio:10.3g}x" if isinstance(ratio, (int, float)) else " " * 11
            print(
                f"  {r['name']:55s} {r['value']:12.4g} {r['unit']:10s} {ratio_s}  {r.get('note', '')}"
            )
            records.append({"module": name, **r})
    if args.json:
        Path(args.json).write_text(json.dumps(records, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
