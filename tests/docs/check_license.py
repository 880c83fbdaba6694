#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Checks that every source file this project wrote names its license near the top.

Every tracked file carries "SPDX-License-Identifier: BSD-3-Clause" within its first
five lines (after a shebang or "<?php"; in a phpt, on the first line of its --FILE--
section, since run-tests.php needs --TEST-- first), except the kinds listed in
NO_COMMENT (data, documents, and files whose format has no comments: debian/copyright
states their license). With --fix, inserts the line where it is missing.

    python3 tests/docs/check_license.py [--fix]
"""
import pathlib
import subprocess
import sys

TAG = "SPDX-License-Identifier: BSD-3-Clause"
ROOT = pathlib.Path(__file__).resolve().parents[2]

# Files that cannot hold a comment, or are data or prose: covered by LICENSE and
# debian/copyright instead.
NO_COMMENT_SUFFIXES = {".md", ".json", ".csv", ".png"}
NO_COMMENT_PATHS = {
    "LICENSE",
    "debian/changelog",
    "debian/copyright",
    "debian/docs",
    "debian/examples",
    "debian/source/format",
}
NO_COMMENT_DIRS = ("tests/fuzz/corpus/",)

COMMENT = {
    ".cpp": "// ", ".h": "// ", ".c": "// ",
    ".py": "# ", ".sh": "# ", ".conf": "# ", ".supp": "# ", ".in": "# ",
    ".clang-format": "# ", ".clang-tidy": "# ", ".gitignore": "# ", ".gitattributes": "# ",
    ".txt": "# ", ".toml": "# ", ".yml": "# ", ".yaml": "# ",
    ".php": "// ", ".inc": "// ", ".phpt": "// ",
    ".ini": "; ", ".lua": "-- ", ".m4": "dnl ",
}
BY_NAME = {"rules": "# ", "run": "# ", "CMakeLists.txt": "# ",
           "php-clustered-session.php": "# "}  # dh_php's list, not PHP


def tracked():
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True,
                         capture_output=True).stdout
    return [p for p in out.decode().split("\0") if p]


def comment_for(path: str):
    if path in NO_COMMENT_PATHS or path.startswith(NO_COMMENT_DIRS):
        return None
    p = pathlib.PurePosixPath(path)
    if p.suffix in NO_COMMENT_SUFFIXES:
        return None
    if p.name in BY_NAME:
        return BY_NAME[p.name]
    key = p.suffix or p.name
    return COMMENT.get(key, "")  # "" = a kind this check does not know: reported


def insert_at(lines, path):
    """Index where the tag line goes."""
    if path.endswith(".phpt"):
        for i, line in enumerate(lines):
            if line.strip() == "--FILE--":
                # after "<?php" on the next line
                return i + 2
        return None
    if lines and (lines[0].startswith("#!") or lines[0].startswith("<?php")):
        return 1
    return 0


def has_tag(lines, path):
    if path.endswith(".phpt"):
        start = insert_at(lines, path)
        window = lines[start:start + 3] if start is not None else []
    else:
        window = lines[:5]
    return any(TAG in line for line in window)


def main():
    fix = "--fix" in sys.argv[1:]
    missing, unknown = [], []
    for path in tracked():
        prefix = comment_for(path)
        if prefix is None:
            continue
        if prefix == "":
            unknown.append(path)
            continue
        file = ROOT / path
        lines = file.read_text(encoding="utf-8").split("\n")
        if has_tag(lines, path):
            continue
        if not fix:
            missing.append(path)
            continue
        at = insert_at(lines, path)
        if at is None:
            missing.append(path)
            continue
        lines.insert(at, prefix + TAG)
        file.write_text("\n".join(lines), encoding="utf-8")
    for path in unknown:
        print(f"FAIL {path}: a kind of file this check does not know (add it to COMMENT or NO_COMMENT)")
    for path in missing:
        print(f"FAIL {path}: no '{TAG}' near the top")
    if missing or unknown:
        sys.exit(1)
    print(f"license: every source file names {TAG.split(': ')[1]}")


if __name__ == "__main__":
    main()
