#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The local cluster as a command, and the failover tour of the README's demo.

    local_cluster.py tour [--fpm]   start the cluster, narrate a failover, leave it up
    local_cluster.py step [--fpm]   the same, waiting for Enter before each step
    local_cluster.py start [--fpm]  start the cluster and print its URL
    local_cluster.py stop           stop it (also one started by another process)
    local_cluster.py status         print the URL, the kind of app node and each server's state

The app nodes are Apache mod_php, or with --fpm PHP-FPM masters behind nginx
(deploy/cluster.py); cluster.json in the run directory records which ("sapi"), so
stop and status work for either.
"""
import json
import pathlib
import sys
import time
import urllib.error

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from cluster import Cluster, pids_matching, stop_from_state  # noqa: E402

RUN_DIR = pathlib.Path("/tmp/clustered_session-cluster")
EXTENSION = HERE.parent / "modules" / "clustered_session.so"
KIND = {"apache": "Apache", "fpm": "PHP-FPM"}


def say(text=""):
    print(text, flush=True)


def ask(cluster, cookie, op="incr", node=None):
    base = cluster.node_url(node) if node is not None else cluster.url
    answer = Cluster.get_json(f"{base}/api.php?op={op}", cookie)
    return answer, answer.get("set_cookie", cookie)


def describe(answer):
    return (f"served by {answer['node']:4}  counter={answer['counter']:<3} "
            f"ID …{answer['random'][-6:]}-{answer['store']}.{answer['route']}")


def click(cluster, user, node=None):
    """One increment for a demo user (through nginx, or straight to `node`); also
    says whether the counter went up by exactly one."""
    answer, user["cookie"] = ask(cluster, user["cookie"], node=node)
    kept = answer["counter"] == user["counter"] + 1
    user["counter"], user["last"] = answer["counter"], answer
    return answer, kept


def node_stats(cluster, index):
    stats = Cluster.get_json(f"{cluster.node_url(index)}/api.php?op=stats")["stats"]
    keys = ["local_hits", "local_misses", "remote_reads", "remote_writes", "migrations",
            "relocations", "errors"]
    nodes = " ".join(f"{n}:{'up' if s['up'] else 'DOWN'}" for n, s in stats["nodes"].items())
    return " ".join(f"{k}={stats[k]}" for k in keys) + f"  memcached {nodes}"


def new_log_lines(cluster, index, seen):
    """The node's log lines of clustered_session after the first `seen`, from the
    handler's own words on ("clustered_session: ..."), and how many there are now."""
    lines = cluster.log_lines(index)
    return [line[line.find("clustered_session:"):] for line in lines[seen:]], len(lines)


def show_log(cluster, index, seen):
    lines, count = new_log_lines(cluster, index, seen)
    say(f"   web{index + 1}'s error log (one line per change of state, none in any page):")
    for line in lines or ["(nothing)"]:
        say(f"     {line}")
    return count


def pause(step_by_step, next_step):
    if step_by_step:
        input(f"   press Enter for step {next_step} (watch the status pages meanwhile) ")


def tour(step_by_step=False, sapi="apache"):
    if pids_matching(str(RUN_DIR)):
        say(f"a local cluster is already running in {RUN_DIR}; stopping it first")
        stop_from_state(RUN_DIR)
    cluster = Cluster(RUN_DIR, EXTENSION, sapi=sapi)
    cluster.start()
    kind = KIND[sapi]
    say(f"cluster up: nginx {cluster.url} -> {kind} web1 :{cluster.node_ports[0]}, "
        f"web2 :{cluster.node_ports[1]} -> memcached n1 :{cluster.memcached_ports[0]}, "
        f"n2 :{cluster.memcached_ports[1]}")
    if sapi == "fpm":
        say(f"(each node: an nginx server block on its port -> FastCGI -> its php-fpm "
            f"master on :{cluster.fpm_ports[0]}, :{cluster.fpm_ports[1]})")
    say("nginx routes each request by the <route> after the '.' of its PHPSESSID cookie;")
    say("requests without a cookie go to both nodes in turn.")
    say(f"status pages: {cluster.node_url(0)}/status.php  {cluster.node_url(1)}/status.php")
    say()
    say("1. Six users start sessions through nginx and click three times each")
    users = []
    for user in range(6):
        cookie = None
        for _ in range(3):
            answer, cookie = ask(cluster, cookie)
        users.append({"cookie": cookie, "counter": answer["counter"], "last": answer})
        say(f"   user {user + 1}: {describe(answer)}")
    for index in range(2):
        say(f"   web{index + 1}: {node_stats(cluster, index)}")
    say("   (each click after the first is a local hit on the owner: 0 memcached reads)")
    say()

    pause(step_by_step, 2)
    if sapi == "fpm":
        say("2. PHP-FPM web1 is killed with SIGKILL (master and all workers; its nginx "
            "front answers 502)")
    else:
        say("2. Apache web1 is killed with SIGKILL (parent and all children)")
    cluster.kill_node(0)
    for number, user in enumerate(users, 1):
        before = user["last"]
        answer, kept = click(cluster, user)
        note = "taken over (new ID, route web2)" if before["route"] == "web1" else "already on web2"
        say(f"   user {number}: {describe(answer)}  {'data kept' if kept else 'DATA LOST'}; {note}")
    say(f"   web2: {node_stats(cluster, 1)}")
    say()

    pause(step_by_step, 3)
    say("3. memcached n1 is killed too; each user clicks twice")
    logged = len(cluster.log_lines(1))
    cluster.kill_memcached(0)
    for number, user in enumerate(users, 1):
        before = user["last"]
        notes = []
        for _ in range(2):
            answer, kept = click(cluster, user)
            if not kept:
                notes.append("DATA LOST")
            elif before["store"] == "n2":
                notes.append("on n2 already")
            elif answer["store"] == "n1":
                notes.append("write to n1 failed: kept on web2, unsynced")
            elif "relocated" not in " ".join(notes):
                notes.append("relocated to n2 from web2's copy")
            else:
                notes.append("on n2")
        say(f"   user {number}: {describe(answer)}  {'; then '.join(notes)}")
    say(f"   web2: {node_stats(cluster, 1)}")
    state = Cluster.get_json(f"{cluster.node_url(1)}/api.php?op=stats")["stats"]["nodes"]["n1"]
    say(f"   web2's status page says n1 is {state.get('state', 'down')}")
    logged = show_log(cluster, 1, logged)
    say()

    pause(step_by_step, 4)
    say("4. web1 and memcached n1 come back; a user is sent to web1 on purpose")
    cluster.start_memcached(0)
    cluster.start_node(0)
    time.sleep(0.2)
    user = users[0]
    answer, fresh = click(cluster, user, node=0)
    say(f"   user 1 direct to web1: {describe(answer)}  "
        f"{'latest data, taken over by web1' if fresh else 'STALE DATA'}")
    time.sleep(2.5)  # nginx retries a failed server after fail_timeout=2s
    route = user["cookie"].rsplit(".", 1)[-1]
    answer, fresh = click(cluster, user)
    if not fresh:
        note = "STALE DATA"
    elif answer["node"] == route:
        note = "(nginx follows the route in the cookie)"
    else:
        note = f"(nginx still had {route} marked failed: {answer['node']} took it over, latest data)"
    say(f"   user 1 through nginx:  {describe(answer)}  {note}")
    for number, other in enumerate(users[1:], 2):
        answer, ok = click(cluster, other)
        say(f"   user {number}: {describe(answer)}  {'ok' if ok else 'WRONG'}")
    for index in range(2):
        say(f"   web{index + 1}: {node_stats(cluster, index)}")
    show_log(cluster, 1, logged)
    say()
    say(f"The cluster is still running. Open {cluster.url}/ (reload to count;")
    say(f"each node directly: {cluster.node_url(0)}/ and {cluster.node_url(1)}/).")
    say(f"Status page of each node: {cluster.node_url(0)}/status.php and "
        f"{cluster.node_url(1)}/status.php")
    say("Stop it with:  bash scripts/demo.sh stop")


def main():
    arguments = sys.argv[1:]
    sapi = "fpm" if "--fpm" in arguments else "apache"
    arguments = [a for a in arguments if a != "--fpm"]
    command = arguments[0] if arguments else "tour"
    if len(arguments) > 1 or (sapi == "fpm" and command not in ("tour", "step", "start")):
        raise SystemExit(__doc__)
    if command in ("tour", "step"):
        tour(step_by_step=command == "step", sapi=sapi)
    elif command == "start":
        if pids_matching(str(RUN_DIR)):
            stop_from_state(RUN_DIR)
        cluster = Cluster(RUN_DIR, EXTENSION, sapi=sapi).start()
        say(json.dumps(cluster.state(), indent=2))
    elif command == "stop":
        stop_from_state(RUN_DIR)
        say("local cluster stopped")
    elif command == "status":
        state = RUN_DIR / "cluster.json"
        if not state.exists() or not pids_matching(str(RUN_DIR)):
            say("no local cluster is running")
            return
        data = json.loads(state.read_text())
        say(json.dumps(data, indent=2))
        # A state file from before FPM nodes has apache_ports only.
        say(f"app nodes: {KIND[data.get('sapi', 'apache')]}")
        for index, port in enumerate(data.get("node_ports") or data["apache_ports"]):
            try:
                stats = Cluster.get_json(f"http://127.0.0.1:{port}/api.php?op=stats", timeout=2)
                say(f"web{index + 1}: up, {json.dumps(stats['stats']['nodes'])}")
            except (OSError, urllib.error.URLError):
                say(f"web{index + 1}: down")
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
