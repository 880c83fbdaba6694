#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""What loading clustered_session.so costs a PHP command line run (cron, composer,
artisan) that never starts a session: `php -r ''` without and with the extension
(at its default cache_size, 64M, and a save_path), run alternately, side by side.

Prints the median wall time and the median peak RSS of each, and the difference,
against its budget (at most 2 ms and 2 MB more). A benchmark, not a
test: the figures go into the README; --check makes it exit 1 over budget.

    python3 bench/startup.py [--runs 200] [--cache-size 64M] [--check]
"""
import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXTENSION = ROOT / "modules" / "clustered_session.so"
BUDGET_MS = 2.0
BUDGET_MB = 2.0


def run_once(command):
    """Wall seconds and peak RSS (kB) of one run of `command`."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    errors = child.stderr.read().decode(errors="replace")
    child.stderr.close()
    if child.returncode != 0 or errors.strip():
        sys.exit(f"{' '.join(command)} failed ({child.returncode}): {errors}")
    return elapsed, usage.ru_maxrss


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--cache-size", default="64M")
    parser.add_argument("--php", default="php")
    parser.add_argument("--check", action="store_true", help="exit 1 when over budget")
    args = parser.parse_args()
    if not EXTENSION.exists():
        sys.exit(f"{EXTENSION} is missing: run scripts/build.sh first")

    # -n: no php.ini, so nothing else the machine loads is measured.
    without = [args.php, "-n", "-r", ""]
    with_extension = [args.php, "-n", "-d", f"extension={EXTENSION}",
                      "-d", "session.save_handler=clustered",
                      "-d", 'session.save_path="n1=127.0.0.1:11211"',
                      "-d", f"clustered_session.cache_size={args.cache_size}",
                      "-r", ""]
    for command in (without, with_extension):  # warm the page cache
        run_once(command)
    times = {"without": [], "with": []}
    rss = {"without": [], "with": []}
    for _ in range(args.runs):
        for name, command in (("without", without), ("with", with_extension)):
            elapsed, peak = run_once(command)
            times[name].append(elapsed * 1000)
            rss[name].append(peak / 1024)

    print(f"php -r '' x {args.runs}, alternately (cache_size={args.cache_size})")
    print(f"{'':24}{'wall ms (median)':>18}{'peak RSS MB (median)':>22}")
    for name in ("without", "with"):
        label = "without the extension" if name == "without" else "with clustered_session"
        print(f"{label:24}{statistics.median(times[name]):18.2f}{statistics.median(rss[name]):22.2f}")
    extra_ms = statistics.median(times["with"]) - statistics.median(times["without"])
    extra_mb = statistics.median(rss["with"]) - statistics.median(rss["without"])
    within = extra_ms <= BUDGET_MS and extra_mb <= BUDGET_MB
    print(f"{'extension adds':24}{extra_ms:18.2f}{extra_mb:22.2f}"
          f"   budget {BUDGET_MS:.0f} ms / {BUDGET_MB:.0f} MB: {'within' if within else 'OVER'}")
    return 0 if within or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
