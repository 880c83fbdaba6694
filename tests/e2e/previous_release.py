#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The extension of the release before this one, built from this repository's
history, for the end-to-end test of a cluster upgraded node by node (docs/design.md,
"Formats and upgrades"): an app node of the previous release beside one of this
release must take sessions over from each other both ways and lose nothing.

PREVIOUS is the commit the previous release was built from. Building needs the
clone's history (a release archive has no tests at all) and that release's build
dependencies (libmemcached-dev, installed by scripts/install-deps.sh). The .so is
kept in CS_PREVIOUS_BUILDS (default /var/tmp/clustered_session-previous) by commit,
so a second run does not build it again.

    python3 tests/e2e/previous_release.py     prints the path of the built .so
"""
import os
import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
# The last build before 1.0.0 (2026-12-03): what the first upgraded clusters run.
PREVIOUS = "1236ff1b1a25758b255351ba6edd28bfa77a1707"
NAME = "the build of 2026-12-03 (1236ff1)"


def builds_dir():
    return pathlib.Path(os.environ.get("CS_PREVIOUS_BUILDS", "/var/tmp/clustered_session-previous"))


def extension(commit=None):
    """The previous release's clustered_session.so, built once per commit
    (CS_PREVIOUS_COMMIT names another commit: to see the test fail against a build
    whose formats differ)."""
    commit = commit or os.environ.get("CS_PREVIOUS_COMMIT") or PREVIOUS
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", "--quiet",
                             f"{commit}^{{commit}}"], capture_output=True,
                            text=True).stdout.strip() or commit
    target = builds_dir() / commit / "modules" / "clustered_session.so"
    if target.exists():
        return target
    known = subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{commit}^{{commit}}"],
                           capture_output=True)
    if known.returncode != 0:
        raise RuntimeError(f"commit {commit} ({NAME}) is not in this clone: the upgrade test "
                           "builds the previous release from the repository's history (a full "
                           "clone, not a shallow one)")
    source = builds_dir() / f"{commit}.partial"
    shutil.rmtree(source, ignore_errors=True)
    source.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-xf", "-", "-C", str(source)], input=archive, check=True)
    log = builds_dir() / f"{commit}.log"
    with open(log, "wb") as out:
        for step in (["phpize"], ["./configure", "--enable-clustered-session"],
                     ["make", f"-j{os.cpu_count() or 2}"]):
            if subprocess.run(step, cwd=source, stdout=out, stderr=subprocess.STDOUT).returncode:
                raise RuntimeError(f"building {NAME} failed at {' '.join(step)} (log: {log})")
    shutil.rmtree(builds_dir() / commit, ignore_errors=True)
    source.rename(builds_dir() / commit)
    return target


if __name__ == "__main__":
    try:
        print(extension())
    except RuntimeError as error:
        print(f"previous_release.py: {error}", file=sys.stderr)
        sys.exit(1)
