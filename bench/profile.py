#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Where a request's cost goes, for the clustered handler, on the benchmark's cluster
(nginx -> 2 Apache mod_php prefork -> memcached x2, all on 127.0.0.1).

1. CPU per request by process, from the kernel's own accounting (/proc/<pid>/stat
   for Apache, nginx and memcached, wait4() rusage for wrk, /proc/stat for idle),
   for the no-session page, the page that reads the session and the one that
   changes it: how many microseconds each component spends, and what a session adds.
2. Instructions per request in one Apache process (apache2 -X under callgrind,
   the difference between N and 7N requests, so start-up cancels), split into the
   handler's own hooks, PHP's session module around them, and the rest.

    python3 bench/profile.py [--seconds 6] [--rounds 3] [--requests 50]

Needs what bench/run.py installs, plus valgrind (scripts/install-deps.sh).
"""
import argparse
import collections
import os
import pathlib
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import run as bench  # noqa: E402
from cluster import Cluster, free_port, wait_port  # noqa: E402

COMPONENTS = ("apache2", "nginx", "memcached")
# One request of a session at a time: a profile of the handler's own cost, not of
# waits for a session's lock (bench/run.py's "_parallel" pages measure those).
PAGES = ["noop", "read", "counter"]
TICK_US = 1e6 / os.sysconf("SC_CLK_TCK")


def usage_by_command():
    """CPU ticks (user + system) and context switches, summed per command name."""
    ticks, switches = collections.Counter(), collections.Counter()
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            # Switches are counted per thread (memcached's workers are threads).
            statuses = [(task / "status").read_text() for task in (entry / "task").iterdir()]
        except OSError:
            continue
        command = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        # All threads, plus children that exited (Apache replaces idle children).
        ticks[command] += sum(int(fields[i]) for i in (11, 12, 13, 14))
        switches[command] += sum(int(line.split()[1]) for status in statuses
                                 for line in status.splitlines()
                                 if line.split(":")[0].endswith("ctxt_switches"))
    return ticks, switches


def idle_ticks():
    fields = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return fields[3] + fields[4]  # idle + iowait


def children_cpu_us():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * 1e6


def cpu_profile(cluster, cookies, args):
    """µs of CPU per request per component, medians over the rounds."""
    samples = collections.defaultdict(lambda: collections.defaultdict(list))
    for page in PAGES:
        bench.run_wrk(f"{cluster.url}/{page}.php", cookies, 2, args.connections)
    for round_index in range(args.rounds):
        for page in PAGES if round_index % 2 == 0 else reversed(PAGES):
            (before, switches_before), idle_before, wrk_before = (
                usage_by_command(), idle_ticks(), children_cpu_us())
            summary = bench.run_wrk(f"{cluster.url}/{page}.php", cookies, args.seconds,
                                    args.connections)
            (after, switches_after), idle_after, wrk_after = (
                usage_by_command(), idle_ticks(), children_cpu_us())
            requests = max(summary["requests"], 1)
            for name in COMPONENTS:
                samples[page][name].append((after[name] - before[name]) * TICK_US / requests)
                samples[page][f"{name} switches"].append(
                    (switches_after[name] - switches_before[name]) / requests)
            samples[page]["wrk"].append((wrk_after - wrk_before) / requests)
            samples[page]["idle (all CPUs)"].append((idle_after - idle_before) * TICK_US / requests)
            samples[page]["req/s"].append(summary["rps"])
    return {page: {k: bench.median(v) for k, v in parts.items()} for page, parts in samples.items()}


def apache_alone_config(cluster, directory, port):
    """Node 1's Apache configuration, for one process (-X) on its own port."""
    text = (cluster.apache_dir(0) / "httpd.conf").read_text()
    for directive, value in (("Listen", f"127.0.0.1:{port}"), ("PidFile", directory / "httpd.pid"),
                             ("DefaultRuntimeDir", directory), ("ErrorLog", directory / "error.log"),
                             ("Mutex", f"file:{directory} default")):
        text = re.sub(rf"^{directive} .*$", f"{directive} {value}", text, flags=re.M)
    config = directory / "httpd.conf"
    config.write_text(text)
    return config


def callgrind_run(config, directory, port, page, cookie, count):
    """Total instructions of one apache2 -X serving `count` requests of `page`."""
    out = directory / f"callgrind.{page}.{count}"
    out.touch()
    shutil.chown(out, "www-data")  # written at exit by the process, which is www-data by then
    environment = dict(os.environ, PHP_INI_SCAN_DIR="")
    process = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--vgdb=no",
         "apache2", "-X", "-f", str(config)], env=environment,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, seconds=60)
        url = f"http://127.0.0.1:{port}/{page}.php"
        request = urllib.request.Request(url, headers={"Cookie": f"PHPSESSID={cookie}"})
        for _ in range(count):
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
    finally:
        # valgrind runs Apache in its own process, so this is Apache's SIGTERM; under
        # valgrind it is only acted on once accept() returns: connect to wake it.
        process.terminate()
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            except OSError:
                pass
            time.sleep(0.5)
        if process.poll() is None:
            process.kill()
            raise RuntimeError("apache2 -X under callgrind did not stop on SIGTERM")
    return out


def inclusive(out, patterns):
    """Program total and, per pattern, the summed inclusive instructions of the
    functions it matches. callgrind_annotate lists a function once per source file
    its code came from (inlined headers too), each line with the function's whole
    inclusive cost: the largest line per function is its cost."""
    text = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--auto=no", "--threshold=100",
                           str(out)], capture_output=True, text=True).stdout
    total_line = re.search(r"^\s*([\d,]+)\s+\(100\.0+%\)\s+PROGRAM TOTALS", text, re.M)
    total = int(total_line.group(1).replace(",", "")) if total_line else 0
    found = {}
    for pattern in patterns:
        per_function = collections.defaultdict(int)
        for line in text.splitlines():
            match = re.match(r"^\s*([\d,]+)\s+\([ \d.]+%\)\s+(\S.*)$", line)
            function = re.search(pattern, match.group(2)) if match else None
            if function:
                cost = int(match.group(1).replace(",", ""))
                per_function[function.group(0)] = max(per_function[function.group(0)], cost)
        found[pattern] = sum(per_function.values())
    return total, found


HOOKS = r"ps_(open|close|read|write|validate_sid|update_timestamp|create_sid)_clustered\("
PHP_SESSION = r"\?\?\?:(php_session_start|php_session_flush) "
# The takeover check runs inside the hooks once per takeover_check_interval (wall
# clock), so how many of a run's requests pay for it depends on how long callgrind
# took: shown apart, so that the hooks' own cost compares across runs.
CHECK = r"clustered::Takeovers::check\("


def instruction_profile(cluster, cookie, requests):
    directory = pathlib.Path(tempfile.mkdtemp(prefix="cs-profile-"))
    os.chmod(directory, 0o777)
    port = free_port()
    config = apache_alone_config(cluster, directory, port)
    result = {}
    try:
        for page in PAGES:
            small = callgrind_run(config, directory, port, page, cookie, requests)
            large = callgrind_run(config, directory, port, page, cookie, 7 * requests)
            patterns = [HOOKS, PHP_SESSION, CHECK]
            (small_total, small_parts), (large_total, large_parts) = (
                inclusive(small, patterns), inclusive(large, patterns))
            per = lambda a, b: (b - a) / (6 * requests)  # noqa: E731
            hooks = per(small_parts[HOOKS], large_parts[HOOKS])
            check = per(small_parts[CHECK], large_parts[CHECK])
            # php_session_flush calls write/update_timestamp/close, php_session_start the
            # rest of the hooks: PHP's own share is what is left of the two.
            session = per(small_parts[PHP_SESSION], large_parts[PHP_SESSION]) - hooks
            result[page] = {"total": per(small_total, large_total),
                            "handler hooks (without the check)": hooks - check,
                            "takeover check (averaged)": check,
                            "PHP session module (around the hooks)": session}
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--requests", type=int, default=50,
                        help="callgrind: N and 7N requests per page")
    args = parser.parse_args()
    subprocess.run(["bash", str(bench.ROOT / "scripts" / "install-deps.sh"),
                    *bench.BENCH_PACKAGES, "valgrind"], check=True)
    if not bench.EXTENSION.exists():
        subprocess.run(["bash", str(bench.ROOT / "scripts" / "build.sh"), "--extension-only"],
                       check=True)
    run_dir = pathlib.Path(tempfile.mkdtemp(prefix="cs-profile-run-"))
    os.chmod(run_dir, 0o755)
    cluster = Cluster(run_dir / "clustered", bench.EXTENSION,
                      php_ini={"session.gc_probability": "0"}, app=bench.BENCH / "app")
    try:
        with cluster:
            cookies = run_dir / "cookies"
            made = bench.make_sessions(cluster.url, args.sessions, cookies)
            cpu = cpu_profile(cluster, cookies, args)
            owned_by_web1 = next(c for c in made if c.endswith(".web1"))
            instructions = instruction_profile(cluster, owned_by_web1, args.requests)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    report(cpu, instructions, args)


def report(cpu, instructions, args):
    print(f"\nCPU per request (µs, medians of {args.rounds} rounds of {args.seconds} s, "
          f"{args.connections} connections; kernel time included):\n")
    parts = ["apache2", "nginx", "memcached", "wrk", "idle (all CPUs)"]
    print("| page | req/s | " + " | ".join(parts) + " | busy total | added to no-session |")
    print("|---|---|" + "---|" * (len(parts) + 2))
    busy = {page: sum(cpu[page][p] for p in parts[:-1]) for page in cpu}
    for page in PAGES:
        row = cpu[page]
        print(f"| {page} | {row['req/s']:.0f} | " + " | ".join(f"{row[p]:.1f}" for p in parts) +
              f" | {busy[page]:.1f} | {busy[page] - busy['noop']:+.1f} |")
    print("\nContext switches per request (voluntary + involuntary, from /proc/<pid>/status):\n")
    print("| page | " + " | ".join(COMPONENTS) + " |")
    print("|---|" + "---|" * len(COMPONENTS))
    for page in PAGES:
        print(f"| {page} | " + " | ".join(f"{cpu[page][f'{n} switches']:.2f}" for n in COMPONENTS)
              + " |")
    print("\nInstructions per request in one Apache process (callgrind, user space only):\n")
    keys = ["total", "handler hooks (without the check)", "takeover check (averaged)",
            "PHP session module (around the hooks)"]
    print("| page | " + " | ".join(keys) + " | added to no-session |")
    print("|---|" + "---|" * (len(keys) + 1))
    for page in PAGES:
        row = instructions[page]
        print(f"| {page} | " + " | ".join(f"{row[k]:,.0f}" for k in keys) +
              f" | {row['total'] - instructions['noop']['total']:+,.0f} |")


if __name__ == "__main__":
    main()
