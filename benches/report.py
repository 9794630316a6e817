#!/usr/bin/env python3
"""`make bench`: runs every benchmark and writes docs/BENCHMARKS.md and the
chart docs/benchmarks.svg from what it measured on this machine.

Parts (each can be skipped with --skip NAME): rust (criterion, benches/engine.rs),
compare (ctpolicy beside Cedar and regorus, benches/compare), memory (RSS of
`ctpolicy check` over 100,000 and 10,000,000 requests), python, go, java
(the bindings' per-call benchmarks).
"""
import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = ROOT / "target" / "release" / "ctpolicy"


def run(cmd, cwd=ROOT, env=None, check=True):
    print("+", " ".join(str(c) for c in cmd), file=sys.stderr, flush=True)
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True)
    if check and done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"benchmark command failed: {' '.join(str(c) for c in cmd)}")
    return done.stdout + done.stderr


def machine():
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    versions = {
        "rustc": run(["rustc", "--version"]).strip(),
        "go": run(["go", "version"], check=False).strip(),
        "python": platform.python_version(),
    }
    return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(), **versions}


KEPT_MARKER = "<!-- hand-written notes below this line are kept by benches/report.py -->"


def rust_benches(seconds):
    started = time.time()
    run(["cargo", "bench", "--locked", "--bench", "engine", "--", "--warm-up-time", "2", "--measurement-time", str(seconds)])
    results = {}
    for estimates in (ROOT / "target" / "criterion").glob("*/*/new/estimates.json"):
        if estimates.stat().st_mtime < started:
            continue  # a benchmark of an earlier run that no longer exists
        group, name = estimates.parts[-4], estimates.parts[-3]
        data = json.loads(estimates.read_text())
        results[f"{group}/{name}"] = data["median"]["point_estimate"]
    return results


def compare_bench():
    manifest = ROOT / "benches" / "compare" / "Cargo.toml"
    if not manifest.exists():
        return None
    results = ROOT / "benches" / "compare" / "results.json"
    # A failed run must not leave the previous run's numbers in the report.
    results.unlink(missing_ok=True)
    run(["bash", str(ROOT / "benches" / "compare" / "report.sh")])
    if not results.exists():
        raise SystemExit("the comparison bench wrote no results.json")
    return json.loads(results.read_text())


def max_rss_kib(lines):
    """Streams `lines` copies of the renewal through `ctpolicy check` and
    returns its peak RSS (KiB) and the wall time."""
    fixture = (ROOT / "benches" / "fixtures.rs").read_text()
    renewal = re.search(r'RENEWAL: &str = r#"(.*?)"#;', fixture, re.S).group(1).encode() + b"\n"
    chunk = renewal * 10_000
    start = time.perf_counter()
    proc = subprocess.Popen(
        ["/usr/bin/time", "-f", "%M", str(CLI), "check", "--format", "jsonl"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    for _ in range(lines // 10_000):
        proc.stdin.write(chunk)
    proc.stdin.close()
    stderr = proc.stderr.read().decode()
    proc.wait()
    elapsed = time.perf_counter() - start
    return int(stderr.strip().splitlines()[-1]), elapsed


def python_bench():
    out = run(["bash", "-c", "source .venv/bin/activate 2>/dev/null || true; python3 bench.py --json --batches 11"], cwd=ROOT / "bindings" / "python")
    start = out.find("{")
    return json.loads(out[start:out.rfind("}") + 1])


def go_bench():
    out = run(["go", "test", "-run", "^$", "-bench", ".", "-benchmem", "-count", "3"], cwd=ROOT / "bindings" / "go", env={"GOTOOLCHAIN": "local"})
    results = {}
    for line in out.splitlines():
        match = re.match(r"^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op", line)
        if match:
            results.setdefault(match.group(1), []).append(float(match.group(2)))
    return {name: statistics.median(values) for name, values in results.items()}


def java_bench():
    jdk = next((p for p in sorted(Path("/usr/lib/jvm").glob("*")) if (p / "bin" / "java").exists() and "25" in p.name), None)
    env = {"JAVA_HOME": str(jdk)} if jdk else {}
    out = run(["mvn", "-q", "-B", "-Pbench", "-DskipTests", "compile", "exec:exec"], cwd=ROOT / "bindings" / "java", env=env, check=False)
    results = {}
    for line in out.splitlines():
        match = re.match(r"^(\S+)\s+(?:\S+\s+)*?avgt\s+\d+\s+([\d.]+)\s+(?:±\s+[\d.]+\s+)?(\S+)", line)
        if match:
            value, unit = float(match.group(2)), match.group(3)
            scale = {"ns/op": 1, "us/op": 1e3, "ms/op": 1e6}.get(unit, 1)
            results[match.group(1)] = value * scale
    return results


def fmt_ns(ns):
    if ns is None:
        return "n/a"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def svg_chart(bars, path):
    """Horizontal bars on a log scale, one per (label, ns)."""
    import math
    bars = [(label, ns) for label, ns in bars if ns]
    width, left, row = 860, 330, 26
    height = 50 + row * len(bars)
    lo, hi = math.log10(min(ns for _, ns in bars) / 2), math.log10(max(ns for _, ns in bars) * 2)
    scale = lambda ns: left + (math.log10(ns) - lo) / (hi - lo) * (width - left - 90)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
        f'<text x="10" y="20" font-size="14" font-weight="bold">Time per decision (log scale, lower is better)</text>',
    ]
    for i, (label, ns) in enumerate(bars):
        y = 35 + i * row
        color = "#2a7ae2" if label.startswith("ctpolicy") else "#999999"
        parts.append(f'<text x="{left - 8}" y="{y + 15}" text-anchor="end">{label}</text>')
        parts.append(f'<rect x="{left}" y="{y + 3}" width="{max(scale(ns) - left, 1):.1f}" height="{row - 8}" fill="{color}"/>')
        parts.append(f'<text x="{scale(ns) + 6:.1f}" y="{y + 15}">{fmt_ns(ns)}</text>')
    parts.append("</svg>")
    path.write_text("\n".join(parts) + "\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip", action="append", default=[])
    parser.add_argument("--seconds", type=int, default=5, help="criterion measurement time per bench")
    parser.add_argument("--memory-lines", type=int, default=10_000_000)
    parser.add_argument("--render-only", action="store_true",
                        help="rewrite docs/BENCHMARKS.md and the chart from target/bench-report.json")
    args = parser.parse_args()
    if args.render_only:
        write_markdown(json.loads((ROOT / "target" / "bench-report.json").read_text()), args)
        return

    report = {"machine": machine(), "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "commit": run(["git", "rev-parse", "--short", "HEAD"]).strip()}
    if "rust" not in args.skip:
        report["rust"] = rust_benches(args.seconds)
    if "compare" not in args.skip:
        report["compare"] = compare_bench()
    if "memory" not in args.skip:
        small = max_rss_kib(100_000)
        large = max_rss_kib(args.memory_lines)
        report["memory"] = {"100000": small, str(args.memory_lines): large}
    for name, function in [("python", python_bench), ("go", go_bench), ("java", java_bench)]:
        if name not in args.skip:
            try:
                report[name] = function()
            except SystemExit as error:
                report[name] = {"error": str(error)}
    (ROOT / "target" / "bench-report.json").write_text(json.dumps(report, indent=1))
    write_markdown(report, args)


def write_markdown(report, args):
    rust = report.get("rust", {})
    compare = report.get("compare") or {}
    m = report["machine"]
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (benches/report.py) from one run on this machine; "
        "do not edit by hand. Medians; the chart is docs/benchmarks.svg.",
        "",
        f"- date: {report['date']}, commit {report['commit']}",
        f"- machine: {m['cpu']}, {m['cores']} cores, Linux {m['kernel']}",
        f"- toolchains: {m['rustc']}; {m['go']}; Python {m['python']}",
        "- request: the 604-byte subscription renewal of benches/fixtures.rs (a token charge "
        "with its stored record, counters and `now`), strict partner policy; every decision "
        "includes the token's SHA-256 fingerprint unless said otherwise.",
        "",
        "## Rust core and C ABI (criterion)",
        "",
        "| benchmark | median |",
        "| --- | ---: |",
    ]
    for name in sorted(rust):
        lines.append(f"| `{name}` | {fmt_ns(rust[name])} |")
    batch = rust.get("batch/ctp_check_many_10k")
    typed = rust.get("typed/ctp_check_charge")
    json_path = rust.get("json/ctp_check_json")
    lines += ["", "## Targets", "", "| target | measured | met |", "| --- | --- | --- |"]
    engines = compare.get("engines", {}) if isinstance(compare, dict) else {}
    cedar = engines.get("cedar_is_authorized")
    regorus = engines.get("regorus_eval_rule")
    # The ratio uses the comparison run, where all engines ran in one process.
    same_process = engines.get("ctpolicy_ctp_check_json", json_path)
    if same_process:
        ratio = f"{cedar / same_process:.1f}× faster than Cedar ({fmt_ns(cedar)})" if cedar else "Cedar not measured"
        if regorus:
            ratio += f", {regorus / same_process:.1f}× faster than regorus ({fmt_ns(regorus)})"
        met = "yes" if cedar and cedar / same_process >= 10 else "no"
        lines.append(f"| JSON path ≥ 10× faster than Cedar | `ctp_check_json` {fmt_ns(same_process)} in the same process; {ratio} | {met} |")
    # The lean Cedar builds only what its five policies read; both sides
    # decide the same four requests in the comparison run (per request).
    lean = engines.get("cedar_lean_is_authorized_four_requests")
    four = engines.get("ctpolicy_ctp_check_json_four_requests")
    if lean and four:
        ratio = lean / four
        lines.append(f"| JSON path ≥ 11× faster than a lean Cedar (four requests) | `ctp_check_json` {fmt_ns(four)} per request, lean Cedar {fmt_ns(lean)}: {ratio:.1f}× | {'yes' if ratio >= 11 else 'no'} |")
    deny = rust.get("json/ctp_check_json_deny")
    if json_path and deny:
        over = deny / json_path - 1
        lines.append(f"| one-violation DENY within 15 % of an ALLOW | `ctp_check_json` DENY {fmt_ns(deny)}, ALLOW {fmt_ns(json_path)}: {over:+.0%} | {'yes' if over <= 0.15 else 'no'} |")
    mix = rust.get("json/ctp_check_json_mix")
    if mix:
        # One iteration of the mix bench is one ALLOW and one DENY call.
        per_call = mix / 2
        lines.append(f"| C ABI JSON path ≤ 900 ns, ALLOW/DENY mix | `ctp_check_json` {fmt_ns(per_call)} per call | {'yes' if per_call <= 900 else 'no'} |")
    if typed:
        lines.append(f"| typed path ≤ 100 ns (no fingerprint) | `ctp_check_charge` {fmt_ns(typed)} | {'yes' if typed <= 100 else 'no'} |")
    if batch:
        per_second = 10_000 / (batch / 1e9)
        lines.append(f"| batch ≥ 1,000,000 requests/s/core | `ctp_check_many` {per_second:,.0f} requests/s on one core | {'yes' if per_second >= 1e6 else 'no'} |")
    memory = report.get("memory")
    if memory:
        (small_rss, small_time), (large_rss, large_time) = memory["100000"], memory[str(args.memory_lines)]
        flat = large_rss <= small_rss * 1.1 + 1024
        lines.append(f"| memory flat over {args.memory_lines:,} checks | peak RSS {small_rss:,} KiB after 100,000, {large_rss:,} KiB after {args.memory_lines:,} ({large_time:.0f} s) | {'yes' if flat else 'no'} |")
    lines += [
        "",
        "## Reading the numbers",
        "",
        "- `json/check_json_decision` decides into an owned `Decision` (no JSON written); "
        "`json/check_json_into_string` writes the decision JSON into a reused string; "
        "`json/ctp_check_json` is the C ABI call: the same plus a fresh exact-size buffer "
        "handed to the caller, then wiped and freed by `ctp_buf_free` inside the timed loop.",
        "- `json/parse` is the strict JSON read alone, into the thread's reused arena; "
        "`json/write_decision` is the decision JSON of an owned ALLOW decision written alone.",
        "- `json/ctp_check_json_deny` is the renewal with one violation (an amount above the "
        "policy's cap); one iteration of `json/ctp_check_json_mix` is one ALLOW and one DENY "
        "call, so the target row halves its median.",
        "- The batch rows are one call over 10,000 renewals (JSON Lines in and out); "
        "requests per second are 10,000 divided by the median.",
        "- The typed path (`ctp_check_charge`) evaluates the rules its fields can express (docs/ABI.md); "
        "asking for the fingerprint adds one SHA-256 of the token.",
        "- The JSON-path target is judged on the comparison run, where ctpolicy, Cedar and regorus "
        "ran in one process one after the other; the criterion table above is a separate run, so "
        "the two `ctp_check_json` medians differ by run-to-run noise.",
        "- Memory: `ctpolicy check` reading the renewal from a pipe, peak resident set size "
        "(`/usr/bin/time -f %M`) after 100,000 and after 10,000,000 lines.",
        "- Binding rows include the host language's own costs (Python ctypes and `json`, Go cgo "
        "and decoding, Java FFM downcalls and decision parsing); rows marked raw isolate the "
        "library call as seen from that language.",
    ]
    if compare:
        lines += ["", "## Beside Cedar and regorus (same rules, same JSON, same process)", "",
                  "See benches/compare/README.md for what each engine evaluates.", "", "```json", json.dumps(compare, indent=1), "```"]
    for name in ["python", "go", "java"]:
        data = report.get(name)
        if data:
            lines += ["", f"## {name.capitalize()} binding", "", "```json", json.dumps(data, indent=1), "```"]
    # Sections that their own scripts record (benches/redact_vs_sed.sh) are kept.
    recorded = [path.read_text().rstrip() for path in sorted((ROOT / "docs" / "benchmarks").glob("*.md"))]
    for section in recorded:
        lines += ["", section]
    # Sections measured by other scripts (benches/audit_throughput.sh) are
    # kept: from "## Audit trail" up to the hand-written notes, less any
    # section written from docs/benchmarks/ above (so a re-run never
    # repeats a section).
    previous = (ROOT / "docs" / "BENCHMARKS.md").read_text() if (ROOT / "docs" / "BENCHMARKS.md").exists() else ""
    kept = previous[previous.index("## Audit trail"):] if "## Audit trail" in previous else ""
    kept = kept.split(KEPT_MARKER, 1)[0]
    for section in recorded:
        kept = kept.replace(section, "")
    kept = re.sub(r"\n{3,}", "\n\n", kept).strip("\n")
    if kept:
        lines += ["", kept]
    # Notes written by hand about one change's measurements live below
    # KEPT_MARKER and survive a re-run.
    target = ROOT / "docs" / "BENCHMARKS.md"
    kept = ""
    if target.exists() and KEPT_MARKER in target.read_text():
        kept = "\n" + KEPT_MARKER + target.read_text().split(KEPT_MARKER, 1)[1]
    target.write_text("\n".join(lines) + "\n" + kept)
    bars = [
        ("ctpolicy typed ctp_check_charge", typed),
        ("ctpolicy batch, per request", batch / 10_000 if batch else None),
        ("ctpolicy ctp_check_json", json_path),
    ]
    bars += [("Cedar 4 (same rules)", cedar), ("Cedar 4, lean (four requests)", engines.get("cedar_lean_is_authorized_four_requests")),
             ("regorus (same rules)", regorus)]
    svg_chart(bars, ROOT / "docs" / "benchmarks.svg")
    print("wrote docs/BENCHMARKS.md and docs/benchmarks.svg", file=sys.stderr)


if __name__ == "__main__":
    main()
