#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""End-to-end tests against real processes: nginx -> Apache mod_php x2 -> memcached x2,
all on 127.0.0.1 on free ports (deploy/cluster.py). The fpm-* scenarios run the same
checks (and FPM's own reload) with PHP-FPM app nodes: nginx -> each node's nginx
server block -> FastCGI -> php-fpm x2 -> memcached x2. Each scenario starts its own
cluster and stops it, also when it fails. Prints a table of what each scenario
checked and found, then 'N passed, M failed'.

    python3 tests/e2e/run_e2e.py [scenario ...]
"""
import base64
import concurrent.futures
import json
import os
import pathlib
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import traceback
import urllib.error
import urllib.parse
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy"))
from cluster import Cluster  # noqa: E402

EXTENSION = ROOT / "modules" / "clustered_session.so"
ARTIFACTS = pathlib.Path(tempfile.gettempdir()) / "clustered_session-e2e"


class Failed(AssertionError):
    pass


def check(condition, message):
    if not condition:
        raise Failed(message)


def incr(base, cookie, timeout=15):
    answer = Cluster.get_json(f"{base}/api.php?op=incr", cookie, timeout=timeout)
    return answer, answer.get("set_cookie", cookie)


def read(base, cookie):
    answer = Cluster.get_json(f"{base}/api.php?op=get", cookie)
    return answer, answer.get("set_cookie", cookie)


def stats(cluster, index):
    return Cluster.get_json(f"{cluster.node_url(index)}/api.php?op=stats")["stats"]


class Load:
    """Drives many sessions through nginx from a few threads. For every session it
    remembers the highest acknowledged counter and flags any answer that is lower
    (a counter going backwards = a lost or stale session)."""

    def __init__(self, base, sessions, threads=8):
        self.base = base
        self.cookies = [None] * sessions
        self.acked = [0] * sessions
        self.acks = [0] * sessions
        self.errors = []
        self.backwards = []
        self.unsaved = []  # answered, but the session write was refused (saved: false)
        self.requests = 0
        self.latencies = []
        # (pid, started, finished) of every answer: which PHP process served it, when
        self.served = []
        self.stop_flag = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.work, args=(t, threads), daemon=True)
                        for t in range(threads)]

    def one(self, index):
        started = time.monotonic()
        try:
            answer, cookie = incr(self.base, self.cookies[index])
        except (urllib.error.URLError, OSError, ValueError) as error:
            with self.lock:
                self.errors.append(f"session {index}: {error}")
            return
        elapsed = time.monotonic() - started
        with self.lock:
            self.requests += 1
            self.latencies.append(elapsed)
            self.served.append((answer.get("pid"), answer.get("started"), answer.get("finished")))
            if answer["counter"] <= self.acked[index]:
                self.backwards.append(
                    f"session {index}: counter {answer['counter']} after acknowledged "
                    f"{self.acked[index]} (id {answer['id']}, node {answer['node']})")
            if answer.get("saved") is False:
                self.unsaved.append(f"session {index}: write of counter {answer['counter']} "
                                    f"refused (id {answer['id']}, node {answer['node']})")
            self.acked[index] = max(self.acked[index], answer["counter"])
            self.acks[index] += 1
            self.cookies[index] = cookie

    def work(self, thread, threads):
        mine = list(range(thread, len(self.cookies), threads))
        while not self.stop_flag.is_set():
            for index in mine:
                if self.stop_flag.is_set():
                    return
                self.one(index)

    def start(self):
        for thread in self.threads:
            thread.start()
        return self

    def stop(self):
        self.stop_flag.set()
        for thread in self.threads:
            thread.join(30)

    def verify_final(self, base):
        """Every acknowledged increment is still there."""
        lost = []
        for index, cookie in enumerate(self.cookies):
            if cookie is None:
                continue
            answer, self.cookies[index] = read(base, cookie)
            if answer["counter"] < self.acked[index] or answer["counter"] < self.acks[index]:
                lost.append(f"session {index}: has {answer['counter']}, acknowledged "
                            f"{self.acked[index]} ({self.acks[index]} increments)")
        return lost


def new_cluster(name, sapi="apache", **options):
    """A cluster whose app nodes are Apache mod_php (sapi="apache") or PHP-FPM ("fpm")."""
    prefix = "" if sapi == "apache" else f"{sapi}-"
    run = tempfile.mkdtemp(prefix=f"cs-e2e-{prefix}{name}-")
    return Cluster(run, EXTENSION, sapi=sapi, **options)


KIND = {"apache": "Apache", "fpm": "PHP-FPM"}


# ---------------------------------------------------------------- scenarios
def scenario_apache_killed(sapi="apache"):
    """App node (Apache parent and children, or FPM master and workers) SIGKILLed
    under load: no acknowledged increment lost, no counter backwards."""
    with new_cluster("node-kill" if sapi != "apache" else "apache-kill", sapi) as cluster:
        load = Load(cluster.url, 200).start()
        time.sleep(3)
        cluster.kill_node(0)
        check(not cluster.node_pids(0), f"web1 still runs {cluster.node_pids(0)} after the kill")
        time.sleep(4)
        load.stop()
        lost = load.verify_final(cluster.url)
        check(not load.backwards, "counter went backwards: " + "; ".join(load.backwards[:3]))
        check(not lost, "acknowledged increments lost: " + "; ".join(lost[:3]))
        check(load.requests > 400, f"only {load.requests} requests answered")
        migrations = stats(cluster, 1)["migrations"]
        check(migrations > 0, "web2 took over no session")
        return (f"{load.requests} increments over 200 sessions, {KIND[sapi]} web1 killed "
                f"after 3 s; "
                f"{len(load.errors)} failed requests, 0 lost, 0 backwards, "
                f"{migrations} taken over by web2")


def scenario_memcached_killed(replicas):
    with new_cluster(f"mc-kill-r{replicas}",
                     php_ini={"clustered_session.replicas": str(replicas)}) as cluster:
        cookies, counters = [], []
        for _ in range(100):
            answer, cookie = incr(cluster.url, None)
            cookies.append(cookie)
            counters.append(answer["counter"])
        owners = [c.rsplit(".", 1)[1] for c in cookies]
        stores = [c.rsplit(".", 1)[0].rsplit("-", 1)[1] for c in cookies]
        cluster.kill_memcached(0)
        if replicas:
            cluster.kill_apache(0)  # the owner of half the sessions dies too
        kept = lost = 0
        details = []
        for index, cookie in enumerate(cookies):
            try:
                answer, cookies[index] = incr(cluster.url, cookie)
                ok = answer["counter"] == counters[index] + 1
            except (urllib.error.URLError, OSError) as error:
                ok, answer = False, {"error": str(error)}
            expected_alive = replicas or owners[index] == "web2" or stores[index] == "n2"
            if ok:
                kept += 1
            else:
                lost += 1
                if expected_alive:
                    details.append(f"{cookie} ({owners[index]}, {stores[index]}): {answer}")
        check(not details, "sessions lost that should survive: " + "; ".join(details[:3]))
        if replicas:
            check(lost == 0, f"{lost} sessions lost with replicas=1")
            return (f"replicas=1: memcached n1 and Apache web1 killed; all {kept} of 100 "
                    f"sessions kept (read from the replica on n2)")
        on_dead_owner_and_store = sum(1 for o, s in zip(owners, stores) if o == "web1" and s == "n1")
        check(lost <= on_dead_owner_and_store, "lost more than the sessions stored on n1")
        return (f"replicas=0: memcached n1 killed; {kept} of 100 kept, including every one "
                f"whose owner lives ({sum(1 for s in stores if s == 'n1')} were stored on n1)")


def scenario_memcached_outage_quiet(replicas=1):
    """Who hears what (docs/design.md): memcached n1 killed while 40 users keep
    clicking, with PHP's default display_errors and the recommended replicas = 1,
    then started again. Every page holds its own answer and nothing else (a warning
    printed into one breaks its JSON); each app node's log says n1 is down and that
    it is back (and restarted), at most 2 lines per change of n1's state."""
    settings = {"clustered_session.replicas": str(replicas), "display_errors": None,
                "html_errors": None}
    with new_cluster(f"outage-quiet-r{replicas}", php_ini=settings) as cluster:
        load = Load(cluster.url, 40).start()
        time.sleep(2)
        before = load.requests
        cluster.kill_memcached(0)
        time.sleep(5)
        during = load.requests - before
        cluster.start_memcached(0)
        time.sleep(5)
        load.stop()
        lost = load.verify_final(cluster.url)
        check(not load.errors, f"{len(load.errors)} pages were not their own answer: "
                               + "; ".join(load.errors[:3]))
        check(not lost, "acknowledged increments lost: " + "; ".join(lost[:3]))
        check(not load.backwards, "counter went backwards: " + "; ".join(load.backwards[:3]))
        check(not load.unsaved, "writes refused: " + "; ".join(load.unsaved[:3]))
        check(during > 100, f"only {during} requests while n1 was down")
        found = []
        for index in range(2):
            lines = cluster.log_lines(index)
            down = [line for line in lines if "memcached node n1" in line and " down: " in line]
            check(len(down) == 1, f"{cluster.routes[index]} logged {len(down)} 'n1 down' lines: "
                                  f"{lines[:6]}")
            # Two changes of n1's state (down, then back restarted): at most 4 lines.
            check(len(lines) <= 4, f"{cluster.routes[index]} logged {len(lines)} lines for two "
                                   f"changes of n1's state: {lines[:8]}")
            found.append(f"{cluster.routes[index]} {len(lines)}")
        return (f"replicas={replicas}, PHP's default display_errors: {load.requests} pages "
                f"({during} while n1 was down), each only its own answer; 0 lost; log lines "
                f"per app node for n1 down and back: {', '.join(found)}")


def scenario_failback():
    """A user moved web1 -> web2 -> web1 ... never sees stale data."""
    with new_cluster("failback") as cluster:
        answer, cookie = incr(cluster.node_url(0), None)
        expected = answer["counter"]
        hops = 0
        for round_number in range(60):
            node = (round_number + 1) % 2
            for _ in range(2):
                answer, cookie = incr(cluster.node_url(node), cookie)
                expected += 1
                check(answer["counter"] == expected,
                      f"round {round_number}: web{node + 1} served counter {answer['counter']}, "
                      f"expected {expected} (stale copy)")
                check(answer["route"] == f"web{node + 1}", "ID not rewritten to the serving node")
            hops += 1
        migrations = stats(cluster, 0)["migrations"] + stats(cluster, 1)["migrations"]
        check(migrations == hops, f"{migrations} migrations for {hops} moves")
        return f"{hops} moves between web1 and web2, 2 increments each: always the latest data"


def scenario_old_cookie_on_old_owner():
    """web2 takes a session over while web1 is alive (nginx failed over, web1 kept its
    cache); a late request with the old cookie on web1 gets web2's data, not web1's
    cached copy (takeover notices, at most takeover_check_interval = 1 s later)."""
    with new_cluster("old-cookie") as cluster:
        answer, old_cookie = incr(cluster.node_url(0), None)
        for _ in range(2):
            answer, old_cookie = incr(cluster.node_url(0), old_cookie)
        cached = answer["counter"]
        answer, new_cookie = incr(cluster.node_url(1), old_cookie)
        check(answer["route"] == "web2" and new_cookie != old_cookie, "web2 did not take over")
        check(answer["counter"] == cached + 1, f"web2 read {answer['counter'] - 1}, not {cached}")
        time.sleep(1.5)
        late, cookie = read(cluster.node_url(0), old_cookie)
        check(late["counter"] == cached + 1,
              f"web1 answered the old cookie with counter {late['counter']} (its stale copy), "
              f"web2 has {cached + 1}")
        check(late["route"] == "web1" and cookie not in (old_cookie, new_cookie),
              "web1 did not take the session back under a new ID")
        web1 = stats(cluster, 0)
        check(web1["takeover_notices"] >= 1, f"web1 dropped {web1['takeover_notices']} entries")
        return (f"old cookie on web1 1.5 s after web2's takeover: counter {late['counter']} "
                f"(web1 had cached {cached}); web1: {web1['takeover_checks']} notice checks, "
                f"{web1['takeover_notices']} entry dropped")


def scenario_previous_release():
    """A cluster upgraded one node at a time (docs/design.md, "Formats and upgrades"):
    web1 runs the previous release, web2 this one, on one memcached pair. Sessions
    move between them both ways, each move a takeover (the new owner reads the
    other's value and forward, writes its own); an old cookie on the old owner after
    a takeover gets the new data both ways (the takeover notices of each are read by
    the other); nothing acknowledged is lost."""
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
    import previous_release  # noqa: E402

    old = previous_release.extension()
    with new_cluster("previous-release", node_extensions=[old, None]) as cluster:
        versions = [Cluster.get_json(f"{cluster.node_url(i)}/api.php?op=stats")["version"]
                    for i in range(2)]
        check(versions[1] != versions[0], f"both nodes run {versions[0]}")
        sessions, hops = 20, 6
        cookies, counters = [None] * sessions, [0] * sessions
        for hop in range(hops):
            node = hop % 2  # web1 (previous), web2 (this), web1, ...
            for index in range(sessions):
                for _ in range(2):
                    answer, cookies[index] = incr(cluster.node_url(node), cookies[index])
                    counters[index] += 1
                    check(answer["counter"] == counters[index],
                          f"session {index} on {cluster.routes[node]} ({versions[node]}): "
                          f"counter {answer['counter']}, acknowledged {counters[index] - 1}")
                    check(answer["route"] == cluster.routes[node],
                          f"session {index} not taken over by {cluster.routes[node]}")
        # The old owner of each direction, asked with the cookie from before a takeover.
        stale = []
        for owner, taker in ((0, 1), (1, 0)):
            answer, before = incr(cluster.node_url(owner), None)
            answer, before = incr(cluster.node_url(owner), before)  # cached on the owner
            answer, _ = incr(cluster.node_url(taker), before)
            time.sleep(2.5)  # two takeover check intervals (1 s) and a second
            late, _ = read(cluster.node_url(owner), before)
            if late["counter"] != answer["counter"]:
                stale.append(f"{versions[owner]} answered an old cookie with counter "
                             f"{late['counter']} after {versions[taker]} took it to "
                             f"{answer['counter']}")
        check(not stale, "; ".join(stale))
        refusal = compressed_value_on_previous_release(cluster, versions)
        return (f"{sessions} sessions moved {hops - 1} times between {versions[0]} (web1) and "
                f"{versions[1]} (web2), {sessions * hops * 2} increments, 0 lost; an old cookie "
                f"on the old owner reads the new data in both directions; compression switched "
                f"on too early on web2: {refusal}")


def compressed_value_on_previous_release(cluster, versions):
    """Compression switched on on web2 (this release) while web1 still runs the
    previous one, against the operator guide's order: web1 fails the read of a
    compressed value with a warning that says why, and never takes it for a new,
    empty session (which its write would store over the compressed one)."""
    cluster.stop_node(1)
    cluster.php_ini.update({"clustered_session.compression": "zstd",
                            "clustered_session.compression_threshold": "0"})
    cluster.start_node(1)
    check(stats(cluster, 1)["compression"].startswith("zstd"),
          f"web2 compression: {stats(cluster, 1)['compression']!r}")
    answer, cookie = incr(cluster.node_url(1), None)
    for _ in range(5):
        answer, cookie = incr(cluster.node_url(1), cookie)
    store = cookie.rsplit(".", 1)[0].rsplit("-", 1)[1]
    raw = memcached_get(cluster.memcached_ports[int(store[1:]) - 1], "sess." + cookie)
    flags = struct.unpack_from("<I", raw, 4)[0] if raw else 0
    check(flags & 16, f"web2 did not store the session compressed (flags {flags})")
    try:
        refused = Cluster.get_json(f"{cluster.node_url(0)}/api.php?op=incr", cookie)
        status = 200
    except urllib.error.HTTPError as error:
        status, refused = error.code, json.loads(error.read() or b"{}")
    check(status == 503, f"{versions[0]} (web1) answered {status} {refused} for a compressed "
          "session instead of failing the read")
    said = cluster.log_lines(0, "cannot read")
    check(said, f"web1 logged no warning that says why ({refused.get('error')!r})")
    message = said[-1]
    again, _ = read(cluster.node_url(1), cookie)
    check(again["counter"] == answer["counter"],
          f"web2 reads counter {again['counter']} after web1's refusal, was {answer['counter']}")
    return (f"{versions[0]} refused it (\"{message[message.find('stored value'):].split(' in /')[0]}\"), "
            f"session intact")


def scenario_round_robin():
    """A balancer that is not route-aware: every response still correct."""
    with new_cluster("round-robin", round_robin=True) as cluster:
        answer, cookie = incr(cluster.url, None)
        expected = answer["counter"]
        nodes = set()
        # nginx takes a node out for fail_timeout (2 s) after one failed connection
        # (a node still starting on a loaded machine): then every request goes to
        # the other one for a while, which is nginx's choice, not the handler's. The
        # increments go on (each checked) until both nodes served some, up to 5 s.
        requests = 0
        started = time.monotonic()
        while requests < 100 or (nodes != {"web1", "web2"} and time.monotonic() - started < 5):
            answer, cookie = incr(cluster.url, cookie)
            expected += 1
            requests += 1
            nodes.add(answer["node"])
            check(answer["counter"] == expected,
                  f"counter {answer['counter']} on {answer['node']}, expected {expected}")
        check(nodes == {"web1", "web2"}, f"requests reached only {nodes}")
        return (f"{requests} sequential increments spread over both nodes by round robin: "
                f"all exact")


def scenario_round_robin_parallel(sapi="apache"):
    """A balancer that is not route-aware, 20 parallel requests of one session
    (docs/design.md, "Conditional writes"): every increment the handler
    acknowledged is kept, the others are refused and reported (saved: false,
    write_conflicts), never silently lost, and the session does not fork."""
    with new_cluster("round-robin-parallel", sapi, round_robin=True) as cluster:
        answer, cookie = incr(cluster.url, None)
        start = answer["counter"]
        saved = failed = 0

        def attempt(_):
            try:
                return incr(cluster.url, cookie)[0]
            except urllib.error.HTTPError:  # session_start() failed: nothing was saved
                return {"saved": False, "failed": True}

        for _ in range(3):
            with concurrent.futures.ThreadPoolExecutor(20) as pool:
                results = list(pool.map(attempt, range(20)))
            saved += sum(1 for r in results if r.get("saved"))
            failed += sum(1 for r in results if r.get("failed"))
            # The burst's cookie is old now: a node that served it may answer it from
            # its cache until it reads its takeover notices (takeover_check_interval,
            # 1 s; two intervals at most), as with any old cookie (docs/design.md).
            time.sleep(2.5)
            final, cookie = read(cluster.url, cookie)
            check(final["counter"] == start + saved,
                  f"counter {final['counter']}, but {saved} increments were acknowledged after "
                  f"{start}")
        check(saved >= 3, f"only {saved} of 60 increments saved")
        # One session: every later cookie, on either node, reads the same counter.
        for _ in range(4):
            again, cookie = read(cluster.url, cookie)
            check(again["counter"] == start + saved, f"forked: {again['counter']} on {again['node']}")
        conflicts = sum(stats(cluster, i)["write_conflicts"] for i in range(2))
        refused = 60 - saved - failed
        check(conflicts == refused, f"{conflicts} write_conflicts for {refused} refused writes")
        check(failed <= 3, f"{failed} of 60 requests failed in session_start()")
        return (f"60 parallel increments over both nodes by round robin: {saved} acknowledged, all "
                f"kept; {refused} refused and counted (write_conflicts), {failed} failed to start; "
                f"none lost silently")


def scenario_ajax_burst(sapi="apache"):
    """50 parallel requests on one session: counter exactly +50."""
    with new_cluster("burst", sapi) as cluster:
        answer, cookie = incr(cluster.url, None)
        start = answer["counter"]
        with concurrent.futures.ThreadPoolExecutor(50) as pool:
            results = list(pool.map(lambda _: incr(cluster.url, cookie)[0], range(50)))
        seen = sorted(r["counter"] for r in results)
        final, _ = read(cluster.url, cookie)
        check(final["counter"] == start + 50, f"counter {final['counter']}, expected {start + 50}")
        check(seen == list(range(start + 1, start + 51)), "responses did not see each increment once")
        waits = stats(cluster, 0)["lock_waits"] + stats(cluster, 1)["lock_waits"]
        pids = len({r["pid"] for r in results})
        return (f"50 parallel increments: counter +50 exactly, each value seen once, {waits} "
                f"lock waits, served by {pids} {KIND[sapi]} processes")


def scenario_burst_after_failover():
    """The owner dies; the next page fires 20 parallel requests with the old cookie:
    one takes the session over, the others follow its forward: nothing is lost."""
    with new_cluster("burst-failover") as cluster:
        answer, cookie = incr(cluster.node_url(0), None)
        for _ in range(4):
            answer, cookie = incr(cluster.node_url(0), cookie)
        start = answer["counter"]
        cluster.kill_apache(0)
        with concurrent.futures.ThreadPoolExecutor(20) as pool:
            results = list(pool.map(lambda _: incr(cluster.url, cookie)[0], range(20)))
        ids = {r["id"] for r in results}
        seen = sorted(r["counter"] for r in results)
        check(len(ids) == 1, f"the burst ended in {len(ids)} different sessions: {sorted(ids)}")
        check(seen == list(range(start + 1, start + 21)),
              f"counters seen {seen}, expected {start + 1}..{start + 20}")
        final, _ = read(cluster.url, results[0]["id"])
        check(final["counter"] == start + 20, f"final counter {final['counter']}")
        return (f"20 parallel requests with the dead owner's cookie: one new ID, counter "
                f"{start} -> {final['counter']}, each value seen once")


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]


def chromium(*arguments):
    profile = tempfile.mkdtemp(prefix="cs-chromium-")
    try:
        return subprocess.run(["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                               *arguments], capture_output=True, text=True, timeout=90).stdout
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def figure(dom, element_id):
    found = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', dom)
    check(found, f"status page has no #{element_id}")
    return found.group(1).strip()


def scenario_status_page(sapi="apache"):
    """deploy/status.php in headless Chromium: renders, shows both memcached nodes, its
    figures change after traffic; Prometheus text; the password protects it. With
    FPM nodes also FPM's own status page (pm.status_path) beside it."""
    with new_cluster("status", sapi) as cluster:
        page = f"{cluster.node_url(0)}/status.php"
        before = chromium("--virtual-time-budget=3000", "--dump-dom", page)
        check("clustered_session on node" in before, "status page did not render")
        check(figure(before, "route") == "web1", "status page does not name its node")
        for node in ("n1", "n2"):
            check(f"<td>{node}</td>" in before, f"memcached node {node} missing from the page")
        # Handled states are shown as counters, the restart hold's among them (none held here).
        for counter in ("copies_lost", "restart_holds", "restart_holds_found",
                        "restart_holds_expired", "restart_hold_ms"):
            shown = figure(before, counter)
            check(shown == "0", f"status page shows {counter} as {shown!r}, not 0")
        answer, cookie = incr(cluster.node_url(0), None)
        for _ in range(20):
            answer, cookie = incr(cluster.node_url(0), cookie)
        after = chromium("--virtual-time-budget=3000", "--dump-dom", page)
        hits_before, hits_after = int(figure(before, "local_hits")), int(figure(after, "local_hits"))
        check(hits_after >= hits_before + 20, f"local hits {hits_before} -> {hits_after}")
        check(figure(after, "hit_ratio").endswith("%"), "no hit ratio after traffic")
        screenshot = ARTIFACTS / ("status-page.png" if sapi == "apache"
                                  else f"{sapi}-status-page.png")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        chromium("--window-size=1100,1300", "--virtual-time-budget=5000",
                 f"--screenshot={screenshot}", page)
        check(screenshot.exists() and screenshot.stat().st_size > 10000, "no screenshot")
        metrics = urllib.request.urlopen(f"{page}?format=prometheus", timeout=10).read().decode()
        check(re.search(r'^clustered_session_local_hits_total\{route="web1"\} (\d+)$', metrics, re.M),
              "Prometheus text lacks local_hits")
        check('clustered_session_memcached_up{route="web1",node="n2"' in metrics,
              "Prometheus text lacks per-node labels")
        check(re.search(r'^clustered_session_restart_holds_total\{route="web1"\} 0$', metrics, re.M),
              "Prometheus text lacks restart_holds")
        # Only the password opens it once 127.0.0.1 is not on the allow-list.
        (cluster.app_dir / "status.config.php").write_text(
            "<?php return ['allow' => ['192.0.2.1'], 'password' => 'open sesame'];\n")
        denied = urllib.request.Request(page)
        try:
            urllib.request.urlopen(denied, timeout=10)
            check(False, "status page served without the password")
        except urllib.error.HTTPError as error:
            check(error.code == 401, f"expected 401 without a password, got {error.code}")
        allowed = urllib.request.Request(page, headers={
            "Authorization": "Basic " + base64.b64encode(b"admin:open sesame").decode()})
        check(urllib.request.urlopen(allowed, timeout=10).status == 200, "password refused")
        fpm = ""
        if sapi == "fpm":
            pool = Cluster.get_json(f"{cluster.node_url(0)}/fpm-status?json")
            check(pool["pool"] == "web1" and pool["total processes"] == cluster.workers,
                  f"FPM status page: {pool}")
            fpm = (f"; FPM's /fpm-status beside it: pool web1, {pool['process manager']}, "
                   f"{pool['total processes']} processes, {pool['accepted conn']} connections")
        return (f"renders in Chromium with web1, n1 and n2; local hits {hits_before} -> "
                f"{hits_after} after traffic; Prometheus text; 401 without the password; "
                f"screenshot {screenshot}{fpm}")


def segment_mappings(pid, size):
    """Shared anonymous mappings of exactly our segment's size in a process."""
    maps = pathlib.Path(f"/proc/{pid}/maps").read_text()
    count = 0
    for line in maps.splitlines():
        if "/dev/zero" in line and "rw-s" in line:
            start, end = (int(x, 16) for x in line.split()[0].split("-"))
            count += end - start == size
    return count


def scenario_graceful_restart():
    """Apache graceful restart under load: no failed request, no leaked shared memory."""
    with new_cluster("graceful") as cluster:
        parent = int((cluster.apache_dir(0) / "httpd.pid").read_text())
        size = stats(cluster, 0)["cache"]["segment_bytes"]
        before = segment_mappings(parent, size)
        load = Load(cluster.node_url(0), 50, threads=4).start()
        for _ in range(3):
            time.sleep(1.5)
            cluster.graceful_apache(0)
        time.sleep(2)
        load.stop()
        after = segment_mappings(parent, size)
        reattached = stats(cluster, 0)["cache"]["reattached"]
        lost = load.verify_final(cluster.node_url(0))
        check(not load.errors, f"{len(load.errors)} failed requests: {load.errors[:2]}")
        check(not load.backwards, "counter went backwards: " + "; ".join(load.backwards[:3]))
        check(not lost, "lost increments: " + "; ".join(lost[:3]))
        check(before == 1 and after == 1,
              f"parent maps {before} cache segment(s) before and {after} after 3 graceful restarts")
        check(reattached >= 3, f"the segment was found again only {reattached} times")
        return (f"3 graceful restarts during {load.requests} requests: 0 failed, 0 lost; the parent "
                f"still maps exactly 1 segment, found again by each reload ({reattached})")


def scenario_fpm_graceful_reload():
    """kill -USR2 of web1's FPM master, twice, under load on web1 (what `systemctl
    reload php<version>-fpm` does): each worker finishes its request, then the master
    re-execs, maps a new, empty cache and forks new workers. No request fails, no
    increment is lost, refused or goes backwards; no worker of a generation serves
    after the first request of the next one started (never two caches serving one
    session); a session untouched during the load still reads its latest value on
    its owner after the reloads (from memcached: written through)."""
    with new_cluster("graceful-reload", "fpm") as cluster:
        web1 = cluster.node_url(0)
        planted, planted_cookie = incr(web1, None)
        for _ in range(2):
            planted, planted_cookie = incr(web1, planted_cookie)
        master = cluster.node_parent(0)
        generations = [set(cluster.fpm_workers(0))]
        reloads = []
        load = Load(web1, 50, threads=4).start()
        try:
            for _ in range(2):
                time.sleep(1.5)
                reloads.append(cluster.reload_node(0))
                generations.append(set(cluster.fpm_workers(0)))
            time.sleep(1.5)
        finally:
            load.stop()
        after = stats(cluster, 0)
        late, _ = read(web1, planted_cookie)
        lost = load.verify_final(web1)
        check(not load.errors, f"{len(load.errors)} failed requests: {load.errors[:2]}")
        check(not load.unsaved, f"{len(load.unsaved)} writes refused: {load.unsaved[:2]}")
        check(not load.backwards, "counter went backwards: " + "; ".join(load.backwards[:3]))
        check(not lost, "lost increments: " + "; ".join(lost[:3]))
        check(cluster.node_parent(0) == master, "the master's pid changed (not a reload)")
        for older, newer in zip(generations, generations[1:]):
            check(newer and not older & newer, f"workers {sorted(older & newer)} survived a reload")
        # Which generation served each answer; none may have served after the next
        # generation's first request started.
        served = [[] for _ in generations]
        for pid, started, finished in load.served:
            found = [g for g, workers in enumerate(generations) if pid in workers]
            check(found, f"answer served by pid {pid}, a worker of no known generation")
            served[found[0]].append((started, finished))
        check(all(served), f"answers per generation: {[len(g) for g in served]}")
        for g in range(1, len(served)):
            last_old = max(finished for _, finished in served[g - 1])
            first_new = min(started for started, _ in served[g])
            check(last_old <= first_new,
                  f"generation {g - 1} still served {1000 * (last_old - first_new):.1f} ms "
                  f"after generation {g} started serving")
        check(late["counter"] == 3 and late["id"] == planted_cookie and late["node"] == "web1",
              f"untouched session on its owner after the reloads: {late} (had counter 3)")
        check(after["cache"]["reattached"] == 0,
              f"the re-exec'd master found its old cache again: {after['cache']}")
        return (f"2 reloads (kill -USR2, {min(reloads):.2f}-{max(reloads):.2f} s each) during "
                f"{load.requests} requests on web1: 0 failed, 0 refused, 0 lost, 0 backwards; "
                f"answers by generation {[len(g) for g in served]}, no old worker served "
                f"after a new one started; the master's new cache (reattached 0, "
                f"{after['local_misses']} local misses, {after['remote_reads']} remote reads "
                f"since) read an untouched session from memcached: counter 3")


def scenario_frozen_memcached():
    """memcached SIGSTOPped: answers within io_timeout + margin; normal again after SIGCONT."""
    with new_cluster("frozen") as cluster:
        load = Load(cluster.url, 40, threads=4).start()
        time.sleep(2)
        normal = sorted(load.latencies)
        cluster.freeze_memcached(0)
        frozen_from = len(load.latencies)
        time.sleep(4)
        frozen = sorted(load.latencies[frozen_from:])
        cluster.thaw_memcached(0)
        time.sleep(3)  # retry_interval 2 s: the node is tried again
        resumed_from = len(load.latencies)
        time.sleep(2)
        resumed = sorted(load.latencies[resumed_from:])
        load.stop()
        lost = load.verify_final(cluster.url)
        check(frozen, "no request answered while memcached n1 was frozen")
        worst = frozen[-1]
        # io_timeout 250 ms; a request may pay it for the write and once more for a
        # lock-holder ahead of it; 1.5 s is far below any client timeout.
        check(worst < 1.5, f"slowest request while frozen took {worst:.2f} s")
        check(not load.backwards, "counter went backwards: " + "; ".join(load.backwards[:3]))
        check(not lost, "lost increments: " + "; ".join(lost[:3]))
        p50 = lambda xs: xs[len(xs) // 2] * 1000  # noqa: E731
        check(resumed and p50(resumed) < max(50, 3 * p50(normal)),
              f"after SIGCONT p50 {p50(resumed):.1f} ms vs {p50(normal):.1f} ms before")
        return (f"frozen 4 s: {len(frozen)} answers, slowest {worst * 1000:.0f} ms; p50 "
                f"{p50(normal):.1f} ms before, {p50(frozen):.1f} ms frozen, "
                f"{p50(resumed):.1f} ms after; {len(load.errors)} failed, 0 lost")


# ---------------------------------------------------------------- key rotation
def memcached_keys(port):
    """Every key memcached holds (lru_crawler metadump: keys URL-encoded)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"lru_crawler metadump all\r\n")
        data = b""
        while not (data.endswith(b"END\r\n") or data.startswith((b"BUSY", b"ERROR"))):
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            data += chunk
    check(not data.startswith((b"BUSY", b"ERROR")), f"metadump refused: {data[:80]!r}")
    return [urllib.parse.unquote(line.split()[0][4:].decode())
            for line in data.splitlines() if line.startswith(b"key=")]


def memcached_get(port, key):
    """The raw bytes memcached holds under key (a plain `get`), or None."""
    with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
        s.sendall(b"get " + key.encode() + b"\r\n")
        data = b""
        while True:
            if data.startswith(b"END\r\n"):
                return None
            header, _, rest = data.partition(b"\r\n")
            if header.startswith(b"VALUE ") and len(rest) >= int(header.split()[3]) + 7:
                return rest[:int(header.split()[3])]
            chunk = s.recv(1 << 20)
            check(chunk, f"memcached :{port} closed the connection on get {key}")
            data += chunk


SEALED_ENCRYPTED, SEALED_AUTHENTICATED, FORWARD = 2, 4, 1


def sealed_key_id(raw):
    """(key id as the stats print it, forward?) of a sealed session value; fails on
    anything that is not an encrypted value in the 24-byte sealed format."""
    check(raw is not None and len(raw) >= 24, f"stored value too short: {raw!r}")
    magic, _, header_length, flags, _ = struct.unpack("<2sBBIQ", raw[:16])
    check(magic == b"cs", f"stored value has no clustered_session header: {raw[:24]!r}")
    check(flags & SEALED_ENCRYPTED and header_length == 24,
          f"stored value is not encrypted (flags {flags}, header {header_length}): {raw[:40]!r}")
    return f"{struct.unpack('<I', raw[16:20])[0]:08x}", bool(flags & FORWARD)


PLAIN_MARKERS = (b"counter|", b"nodes|", b"\"web1\"", b"\"web2\"", b".web1", b".web2")


def sealed_store(cluster):
    """Reads everything both memcached nodes hold with a raw `get`: every session
    value and forward must be encrypted (no plain session data: the demo's
    'counter|i:…' and route names do not appear), every notice list made of sealed
    records. Returns {memcached key: (key id, forward?)} of the session values and
    forwards, and the number of notice lists."""
    ids, lists = {}, 0
    for port in cluster.memcached_ports:
        for key in memcached_keys(port):
            raw = memcached_get(port, key)
            if raw is None:  # expired or replaced meanwhile
                continue
            if key.startswith("clustered_session.moved:"):
                lists += 1
                for line in raw.decode(errors="replace").splitlines():
                    check(line[:2] in ("S ", "s "), f"{key} holds a plain line {line!r}")
                continue
            check(key.startswith("sess."), f"unexpected key {key!r} in memcached")
            ids[key] = sealed_key_id(raw)
            shown = [m.decode() for m in PLAIN_MARKERS if m in raw[24:]]
            check(not shown, f"{key} shows {shown} in plain: {raw[:80]!r}")
    return ids, lists


def value_key_id(cluster, session_id):
    """Key id of the session value stored under this ID (from its <store> part)."""
    store = session_id.rsplit(".", 1)[0].rsplit("-", 1)[1]
    raw = memcached_get(cluster.memcached_ports[int(store[1:]) - 1], "sess." + session_id)
    return sealed_key_id(raw)[0] if raw is not None else None


class Roaming:
    """Sessions that alternate between the app nodes on every request (straight to
    the node, not through nginx): each request is a takeover that opens, in
    memcached, what the other node sealed, so every step of a rotation is exercised
    across nodes whose first key differs. Each counter must be exactly +1."""

    def __init__(self, cluster, sessions):
        self.cluster = cluster
        self.cookies = [None] * sessions
        self.counters = [0] * sessions
        self.turn = [i % 2 for i in range(sessions)]
        self.errors, self.wrong = [], []
        self.requests = 0
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self.work, daemon=True)

    def work(self):
        while not self.stop_flag.is_set():
            for index in range(len(self.cookies)):
                if self.stop_flag.is_set():
                    return
                node = self.turn[index]
                try:
                    answer, cookie = incr(self.cluster.node_url(node), self.cookies[index])
                except (urllib.error.URLError, OSError, ValueError) as error:
                    self.errors.append(f"roaming {index} on web{node + 1}: {error}")
                    continue
                self.requests += 1
                expected = self.counters[index] + 1
                if (answer["counter"] != expected or answer.get("saved") is False
                        or answer["route"] != f"web{node + 1}"):
                    self.wrong.append(f"roaming {index} on web{node + 1}: counter "
                                      f"{answer['counter']} (expected {expected}), saved "
                                      f"{answer.get('saved')}, id {answer['id']}")
                self.counters[index] = answer["counter"]
                self.cookies[index] = cookie
                self.turn[index] = 1 - node

    def start(self):
        self.thread.start()
        return self

    def verify_final(self):
        """Each session still holds its last counter, read on its owner."""
        lost = []
        for index, cookie in enumerate(self.cookies):
            if cookie is None:
                continue
            owner = int(cookie.rsplit(".web", 1)[1]) - 1
            answer, self.cookies[index] = read(self.cluster.node_url(owner), cookie)
            if answer["counter"] != self.counters[index]:
                lost.append(f"roaming {index}: has {answer['counter']}, acknowledged "
                            f"{self.counters[index]}")
        return lost

    def stop(self):
        self.stop_flag.set()
        self.thread.join(30)


def scenario_key_rotation(sapi="apache"):
    """Key rotation under load (clustered_session.secret_file, seal = encrypt): 40
    sessions through nginx and 6 that hop between the nodes on every request (a
    takeover each: opened from memcached) while every node's key file goes A ->
    "A, B" -> "B, A" -> "B", one graceful reload at a time. No failed request, no
    refused write, no lost or backward counter, rejected_values 0 until A is
    removed; memcached only ever holds encrypted values. Then what is still sealed
    with A once A is gone: a session untouched since before B sealed anything (its
    owner re-seals it at its next request, then the other node opens it), and an
    old cookie whose forward was sealed with A (a new, empty session)."""
    key_a, key_b = (base64.b64encode(os.urandom(32)).decode() for _ in range(2))
    with new_cluster("key-rotation", sapi, secrets=[key_a]) as cluster:
        def sealing(index):
            return stats(cluster, index)["sealing"]

        def rejected():
            return [stats(cluster, i)["rejected_values"] for i in range(cluster.nodes)]

        def warnings(index):
            """PHP's warnings on the node (php-error.log, or Apache's or FPM's error.log
            when the children, www-data, cannot write the former)."""
            lines = []
            for name in ("php-error.log", "error.log"):
                log = cluster.apache_dir(index) / name
                if log.exists():
                    lines += [line for line in log.read_text(errors="replace").splitlines()
                              if "PHP " in line and ("session" in line or "clustered" in line)]
            return lines

        first = sealing(0)
        found = re.match(r"encrypt, key ([0-9a-f]{8}) \(1 key opens\)$", first)
        check(found, f"web1 sealing: {first!r}")
        id_a = found.group(1)
        check(sealing(1) == first, f"web2 sealing {sealing(1)!r}, web1 {first!r}")

        # Planted before B exists: touched on its owner only, never again until the end.
        planted, planted_cookie = incr(cluster.node_url(0), None)
        for _ in range(2):
            planted, planted_cookie = incr(cluster.node_url(0), planted_cookie)
        check(planted["counter"] == 3 and value_key_id(cluster, planted_cookie) == id_a,
              f"planted session: {planted}")

        load = Load(cluster.url, 40, threads=6).start()
        roaming = Roaming(cluster, 6).start()
        reloads = []
        try:
            time.sleep(1.5)
            ids, _ = sealed_store(cluster)
            check({i for i, _ in ids.values()} == {id_a}, f"values sealed with {ids.values()}")

            def rotate(step, keys, expect):
                for index in range(cluster.nodes):
                    cluster.write_secrets(index, keys)
                    reloads.append(cluster.reload_node(index))
                    now = sealing(index)
                    check(re.fullmatch(expect, now),
                          f"step {step}, web{index + 1}: sealing {now!r}")
                    before = rejected()
                    check(step == 3 or before == [0] * cluster.nodes,
                          f"step {step}, after reloading web{index + 1}: rejected_values {before}")
                    time.sleep(0.7)  # load on a cluster whose nodes disagree
                return now

            rotate(1, [key_a, key_b], rf"encrypt, key {id_a} \(2 keys open\)")
            # IDs the roaming sessions leave within milliseconds: forwards sealed with A.
            old_cookies = list(roaming.cookies)
            now = rotate(2, [key_b, key_a], r"encrypt, key [0-9a-f]{8} \(2 keys open\)")
            id_b = now.split()[2]
            check(id_b != id_a and sealing(0) == now,
                  f"sealing after step 2: {sealing(0)!r}, {now!r}")
            # Before A goes: every session in use is written with B by the load, and
            # every node has read its takeover notices (sealed with A, some of them)
            # since: a notice that no longer opens is ignored, and its old owner would
            # serve its cached copy to an old cookie (see the report of this test).
            checks = [stats(cluster, i)["takeover_checks"] for i in range(cluster.nodes)]
            deadline = time.monotonic() + 15
            while True:
                current = [c for c in load.cookies + roaming.cookies if c]
                stale = [c for c in current if value_key_id(cluster, c) != id_b]
                unchecked = [f"web{i + 1}" for i in range(cluster.nodes)
                             if stats(cluster, i)["takeover_checks"] <= checks[i]]
                if not stale and not unchecked:
                    break
                check(time.monotonic() < deadline,
                      f"{len(stale)} of {len(current)} sessions still not sealed with B; "
                      f"no takeover check since step 2 on {unchecked}")
                time.sleep(0.2)
            ids, lists_before = sealed_store(cluster)
            held = {(k, f): sum(1 for v in ids.values() if v == (k, f))
                    for k in (id_a, id_b) for f in (False, True)}
            check(value_key_id(cluster, planted_cookie) == id_a,
                  "the planted session was rewritten")
            rejected_before = rejected()
            check(rejected_before == [0] * cluster.nodes,
                  f"rejected_values {rejected_before} before A was removed")
            for index in range(cluster.nodes):
                check(not warnings(index), f"web{index + 1} warned before A was removed: "
                      f"{warnings(index)[:2]}")
            rotate(3, [key_b], rf"encrypt, key {id_b} \(1 key opens\)")
            time.sleep(1.5)  # load with A gone everywhere
        finally:
            load.stop()
            roaming.stop()
        rejected_after = rejected()
        lost = load.verify_final(cluster.url)
        check(not load.errors, f"{len(load.errors)} failed requests: {load.errors[:3]}")
        check(not roaming.errors, f"{len(roaming.errors)} failed requests: {roaming.errors[:3]}")
        check(not load.unsaved, f"{len(load.unsaved)} writes refused: {load.unsaved[:3]}")
        check(not load.backwards, "counter went backwards: " + "; ".join(load.backwards[:3]))
        check(not lost, "acknowledged increments lost: " + "; ".join(lost[:3]))
        check(not roaming.wrong, f"{len(roaming.wrong)} wrong hops: {roaming.wrong[:3]}")
        check(load.requests > 200 and roaming.requests > 50,
              f"only {load.requests} + {roaming.requests} requests answered")
        ids, _ = sealed_store(cluster)
        in_use = {"sess." + c for c in load.cookies + roaming.cookies if c}
        check(all(ids.get(k) == (id_b, False) for k in in_use),
              "a session in use is not sealed with B")
        lost_roaming = roaming.verify_final()
        check(not lost_roaming, "roaming sessions lost increments: " + "; ".join(lost_roaming[:3]))

        # The session still sealed with A, after A is gone from every node: its
        # owner serves it from its cache and, its copy being sealed with a key the
        # node no longer seals with, writes it again (sealed with B) although it
        # did not change; then every node opens it.
        if sapi == "fpm":
            # FPM's reload re-execs the master: a new, empty cache each time. Nothing
            # holds the session but memcached's copy sealed with A, which no node
            # opens any more: it is gone, as the operator guide's wait in step 3 warns
            # (gc_maxlifetime + touch_interval: it would have expired).
            web1_before = stats(cluster, 0)["rejected_values"]
            on_owner, _ = read(cluster.node_url(0), planted_cookie)
            web1_after = stats(cluster, 0)["rejected_values"]
            check(on_owner["counter"] == 0 and web1_after > web1_before,
                  f"owner web1 (a new cache since the reloads) on the A-sealed session: "
                  f"{on_owner}, rejected_values {web1_before} -> {web1_after}")
            on_other = {"counter": None}
        else:
            on_owner, _ = read(cluster.node_url(0), planted_cookie)
            check(on_owner["counter"] == 3 and on_owner["id"] == planted_cookie,
                  f"owner web1 on the A-sealed session: {on_owner}")
            check(value_key_id(cluster, planted_cookie) == id_b,
                  "the owner's unchanged request left the session sealed with A")
            web2_before = stats(cluster, 1)["rejected_values"]
            on_other, other_cookie = read(cluster.node_url(1), planted_cookie)
            web2_after = stats(cluster, 1)["rejected_values"]
            check(on_other["counter"] == 3,
                  f"web2 on the session its owner re-sealed with B: {on_other}")
            check(web2_after == web2_before, f"web2 rejected_values {web2_before} -> {web2_after}")

        # An old cookie whose forward was sealed with A, on the node its route names
        # (which dropped its cached copy on the takeover notice long ago).
        old = next((c for c in old_cookies
                    if c and sealed_key_id(memcached_get(
                        cluster.memcached_ports[int(c.rsplit(".", 1)[0][-1]) - 1],
                        "sess." + c)) == (id_a, True)), None)
        check(old, f"no old roaming cookie left a forward sealed with A: {old_cookies}")
        old_owner = int(old.rsplit(".web", 1)[1]) - 1
        owner_before = stats(cluster, old_owner)["rejected_values"]
        followed, followed_cookie = read(cluster.node_url(old_owner), old)
        owner_after = stats(cluster, old_owner)["rejected_values"]
        check(followed["counter"] == 0 and followed_cookie != old,
              f"old cookie {old} on web{old_owner + 1}: {followed}")
        check(owner_after > owner_before,
              f"web{old_owner + 1} rejected_values {owner_before} -> {owner_after}")
        check(not roaming.verify_final(), "the old cookie changed its session")
        planted_found = (
            "the A-sealed session, untouched since step 1, does not open on its owner, "
            "whose cache each FPM reload emptied (counter 0, rejected)" if sapi == "fpm" else
            f"the A-sealed session re-sealed by its owner, then read on web2 (counter "
            f"{on_other['counter']})")
        print(f"    key-rotation: rejected_values {rejected_before} before removing A, "
              f"{rejected_after} after (load, {lists_before} notice list(s) made under A); "
              f"{planted_found}; old cookie {old} (forward sealed "
              f"with A) on web{old_owner + 1}: new session {followed_cookie}, counter "
              f"{followed['counter']}", flush=True)
        return (f"{load.requests} requests over 40 sessions via nginx + {roaming.requests} "
                f"takeovers of 6 roaming sessions across A -> A,B -> B,A -> B ({len(reloads)} "
                f"graceful reloads, {min(reloads):.1f}-{max(reloads):.1f} s each): 0 failed, 0 "
                f"refused, 0 lost, 0 backwards; rejected_values {rejected_before} until A went "
                f"(memcached then held, sealed with A: {held[id_a, False]} sessions untouched "
                f"since step 1 (the planted one, the start-up check's) and {held[id_a, True]} "
                f"forwards; with B: {held[id_b, False]} sessions and {held[id_b, True]} "
                f"forwards), {rejected_after} after; only encrypted values in "
                f"memcached. Session left sealed with A: " + (
                    "its owner's cache was emptied by each FPM reload, so it does not open "
                    "(counter 0, rejected: the guide's wait in step 3 is what covers it)"
                    if sapi == "fpm" else
                    f"its owner web1 serves it from its cache and re-seals it with B at that "
                    f"request (counter 3), after which web2 opens it (counter "
                    f"{on_other['counter']}, no reject)") +
                "; an old cookie whose forward was sealed with A gets a new, "
                f"empty session (its session is untouched)")


def php_version():
    """major.minor of the machine's PHP (8.2 on Debian 12, 8.4 on Debian 13)."""
    return subprocess.run(["php-config", "--version"], capture_output=True, text=True,
                          check=True).stdout.strip().rsplit(".", 1)[0]


def package_deb():
    """The .deb of scripts/build-deb.sh: $CS_DEB (scripts/test.sh builds it once),
    else built now."""
    if os.environ.get("CS_DEB"):
        return pathlib.Path(os.environ["CS_DEB"])
    built = subprocess.run(["bash", str(ROOT / "scripts" / "build-deb.sh")], capture_output=True,
                           text=True)
    check(built.returncode == 0, f"build-deb.sh failed: {built.stderr[-2000:]}")
    return pathlib.Path(built.stdout.strip().splitlines()[-1])


def php_modules():
    """`php -m` of the machine's CLI with its own php.ini and conf.d."""
    return subprocess.run(["php", "-m"], capture_output=True, text=True).stdout.split()


def scenario_deb_package():
    """The Debian package installed with dpkg serves a PHP-FPM cluster: the nodes load
    the extension only through the ini the package enabled for FPM (conf.d link into
    mods-available) and the .so it put into PHP's extension directory; node killed
    under load as in fpm-node-killed; purged afterwards, PHP is as before."""
    deb = package_deb()
    package = subprocess.run(["dpkg-deb", "-f", str(deb), "Package"], capture_output=True,
                             text=True, check=True).stdout.strip()
    version = php_version()
    check(package == f"php{version}-clustered-session",
          f"{deb.name} builds {package}, not php{version}-clustered-session")
    check("clustered_session" not in php_modules(),
          "clustered_session is already enabled system-wide before the package is installed")
    installed = subprocess.run(["dpkg", "-i", str(deb)], capture_output=True, text=True)
    try:
        check(installed.returncode == 0, f"dpkg -i {deb.name}: {installed.stderr[-1500:]}")
        link = pathlib.Path(f"/etc/php/{version}/fpm/conf.d/20-clustered_session.ini")
        target = pathlib.Path(f"/etc/php/{version}/mods-available/clustered_session.ini")
        check(link.is_symlink() and link.resolve() == target,
              f"{link} is not the package's enabled ini (-> {target})")
        extension_dir = subprocess.run(["php-config", "--extension-dir"], capture_output=True,
                                       text=True, check=True).stdout.strip()
        so = pathlib.Path(extension_dir) / "clustered_session.so"
        check(so.is_file(), f"the package put no {so}")
        check("clustered_session" in php_modules(), "php -m (CLI) does not list clustered_session")
        run = tempfile.mkdtemp(prefix="cs-e2e-deb-package-")
        with Cluster(run, None, sapi="fpm", ini_files=[link]) as cluster:
            mapped = [line.split()[-1] for pid in cluster.node_pids(0)
                      for line in pathlib.Path(f"/proc/{pid}/maps").read_text().splitlines()
                      if line.endswith("clustered_session.so")]
            check(mapped and set(mapped) == {str(so)},
                  f"web1's FPM processes map {sorted(set(mapped))}, not {so}")
            load = Load(cluster.url, 100).start()
            time.sleep(2)
            cluster.kill_node(0)
            time.sleep(2)
            load.stop()
            lost = load.verify_final(cluster.url)
            check(not load.errors, "failed requests: " + "; ".join(load.errors[:3]))
            check(not load.backwards, "counter went backwards: " + "; ".join(load.backwards[:3]))
            check(not lost, "acknowledged increments lost: " + "; ".join(lost[:3]))
            migrations = stats(cluster, 1)["migrations"]
            check(migrations > 0, "web2 took over no session")
    finally:
        purged = subprocess.run(["dpkg", "-P", package], capture_output=True, text=True)
    check(purged.returncode == 0, f"dpkg -P {package}: {purged.stderr[-1500:]}")
    check("clustered_session" not in php_modules() and not so.exists() and not link.exists(),
          "after dpkg -P the extension is still there")
    return (f"{deb.name} installed with dpkg -i: {so} and {link.name} -> mods-available; "
            f"PHP-FPM web1 and web2 loaded it through that ini alone; {load.requests} "
            f"increments over 100 sessions, web1 killed after 2 s: 0 failed, 0 lost, "
            f"0 backwards, {migrations} taken over by web2; dpkg -P: PHP without it again")


def scenario_fpm_pool_route_ignored():
    """A pool's php_admin_value[clustered_session.route] cannot change the node's route
    (read once by the master, for all its pools): sessions keep the php.ini route, and
    the operator's log says so (docs/design.md, "Who hears what": the handler handled
    it, so one line for the app node, never a warning in a page or one per request)."""
    with new_cluster("pool-route", "fpm",
                     pool_settings={"clustered_session.route": "pool9"}) as cluster:
        answer, cookie = incr(cluster.node_url(0), None)
        check(answer["route"] == "web1" and cookie.endswith(".web1"),
              f"the pool's route reached the session ID: {answer}, {cookie}")
        incr(cluster.node_url(0), cookie)
        logs = "".join(path.read_text(errors="replace")
                       for path in cluster.node_dir(0).glob("*.log"))
        line = ('clustered_session.route=pool9 of a pool or directory is ignored: the '
                'route is the node\'s, read once at start-up from php.ini (in force: web1)')
        check(logs.count(line) == 1,
              f"not one line in web1's logs for two requests ({logs.count(line)}): {logs[-800:]}")
        check("Warning" not in logs, f"a warning for a state the handler handled: {logs[-800:]}")
        return (f"php_admin_value[clustered_session.route] = pool9 in web1's pool: IDs keep "
                f"route web1 ({cookie[-12:]}); two requests, one line in the operator's log: "
                f"'{line}'")


SCENARIOS = {
    "apache-killed": scenario_apache_killed,
    "memcached-killed-r0": lambda: scenario_memcached_killed(0),
    "memcached-killed-r1": lambda: scenario_memcached_killed(1),
    "memcached-outage-quiet-r1": lambda: scenario_memcached_outage_quiet(1),
    "memcached-outage-quiet-r0": lambda: scenario_memcached_outage_quiet(0),
    "failback": scenario_failback,
    "old-cookie-on-old-owner": scenario_old_cookie_on_old_owner,
    "round-robin": scenario_round_robin,
    "round-robin-parallel": scenario_round_robin_parallel,
    "ajax-burst": scenario_ajax_burst,
    "burst-after-failover": scenario_burst_after_failover,
    "graceful-restart": scenario_graceful_restart,
    "frozen-memcached": scenario_frozen_memcached,
    "status-page": scenario_status_page,
    "key-rotation": scenario_key_rotation,
    "fpm-node-killed": lambda: scenario_apache_killed("fpm"),
    "fpm-ajax-burst": lambda: scenario_ajax_burst("fpm"),
    "fpm-round-robin-parallel": lambda: scenario_round_robin_parallel("fpm"),
    "fpm-graceful-reload": scenario_fpm_graceful_reload,
    "fpm-status-page": lambda: scenario_status_page("fpm"),
    "fpm-key-rotation": lambda: scenario_key_rotation("fpm"),
    "fpm-pool-route-ignored": scenario_fpm_pool_route_ignored,
    "previous-release": scenario_previous_release,
    "deb-package": scenario_deb_package,
}


def run_scenarios(scenarios, names, heading="scenario", after_success=None, after_each=None):
    """Runs the named scenarios (all when none are named), prints a row each as it
    goes, then a table and the closing 'N passed, M failed' line; exit status."""
    if names and names[0] in ("-h", "--help"):
        print(f"usage: [{heading} ...] (all when none is named); {heading}s: " + ", ".join(scenarios))
        return 0
    unknown = [name for name in names if name not in scenarios]
    if unknown:
        print(f"unknown {heading}: {', '.join(unknown)}; {heading}s: " + ", ".join(scenarios),
              file=sys.stderr)
        return 2
    names = names or list(scenarios)
    rows, failed = [], 0
    for name in names:
        started = time.monotonic()
        try:
            found = scenarios[name]()
            status = "ok"
            if after_success:
                after_success()
        except Exception as error:  # noqa: BLE001 - every failure becomes a table row
            failed += 1
            status = "FAILED"
            found = f"{type(error).__name__}: {error}"
            traceback.print_exc()
        if after_each:
            after_each()
        rows.append((name, status, f"{time.monotonic() - started:.0f}s", found))
        print(f"{status:6} {name} ({rows[-1][2]}): {found}", flush=True)
    print()
    print(f"| {heading} | result | time | checked and found |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    print(f"{len(rows) - failed} passed, {failed} failed")
    return 1 if failed else 0


def main(names):
    return run_scenarios(SCENARIOS, names)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
