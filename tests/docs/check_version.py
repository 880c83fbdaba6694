#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Checks that the extension's version is written in one place and repeated right.

PHP_CLUSTERED_SESSION_VERSION in ext/php_clustered_session.h is the version; the
top entry of debian/changelog and of CHANGELOG.md must name it, and every
package file name the docs show (php<ver>-clustered-session_<version>_amd64.deb)
must carry it.

    python3 tests/docs/check_version.py
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def read(path):
    return (ROOT / path).read_text(encoding="utf-8")


def main():
    found = re.search(r'#define PHP_CLUSTERED_SESSION_VERSION "([^"]+)"', read("ext/php_clustered_session.h"))
    if not found:
        print("FAIL ext/php_clustered_session.h: no PHP_CLUSTERED_SESSION_VERSION")
        return 1
    version = found.group(1)
    failures = []
    debian = re.match(r"\S+ \(([^)]+)\)", read("debian/changelog"))
    if not debian or debian.group(1) != version:
        failures.append(f"debian/changelog: top entry {debian.group(1) if debian else '?'}, want {version}")
    # An "## Unreleased" entry may stand above the version's: what main holds since.
    changelog = re.search(r"^## (?!Unreleased)(\S+)", read("CHANGELOG.md"), re.M)
    if not changelog or changelog.group(1) != version:
        failures.append(f"CHANGELOG.md: top entry {changelog.group(1) if changelog else '?'}, want {version}")
    for path in ["README.md", "docs/operator-guide.md", "scripts/build-deb.sh"]:
        for shown in re.findall(r"clustered-session_([0-9][^_]*)_", read(path)):
            if shown != version:
                failures.append(f"{path}: shows version {shown}, want {version}")
    for failure in failures:
        print("FAIL " + failure)
    if failures:
        return 1
    print(f"version: {version} in ext/php_clustered_session.h, debian/changelog, CHANGELOG.md and the docs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
