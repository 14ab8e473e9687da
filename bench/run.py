"""`make bench`: run every bench/bench_*.py and print one table of their results.

Each script prints progress to stderr and, as its last stdout line, a JSON list of rows
{"benchmark", "metric", "value", "unit", "aim", "met"}. Run one alone with `.venv/bin/python bench/<script>.py`.
"""
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(names):
    scripts = sorted(HERE.glob("bench_*.py"))
    if names:
        scripts = [s for s in scripts if any(n in s.stem for n in names)]
    rows, failures = [], []
    for script in scripts:
        print(f"== {script.name}", file=sys.stderr, flush=True)
        started = time.monotonic()
        result = subprocess.run([sys.executable, str(script)], cwd=HERE.parent, stdout=subprocess.PIPE, text=True)
        lines = [line for line in result.stdout.splitlines() if line.strip()]
        try:
            found = json.loads(lines[-1])
        except (IndexError, json.JSONDecodeError):
            failures.append(f"{script.name}: exit {result.returncode}, no result line")
            continue
        rows.extend(found)
        print(f"   done in {time.monotonic() - started:.0f} s", file=sys.stderr)
    print(table(rows))
    for failure in failures:
        print("FAILED", failure)
    return 1 if failures else 0


def table(rows):
    header = ("benchmark", "metric", "value", "aim", "met")
    cells = [header] + [(r["benchmark"], r["metric"], f"{_value(r['value'])} {r.get('unit', '')}".strip(),
                         r.get("aim", ""), {True: "yes", False: "NO"}.get(r.get("met"), "-")) for r in rows]
    widths = [max(len(str(row[i])) for row in cells) for i in range(len(header))]
    lines = [" | ".join(str(c).ljust(w) for c, w in zip(row, widths)) for row in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def _value(value):
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    return str(value)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
