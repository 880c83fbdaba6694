#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The layers of src/ point down: every #include "dir/..." of a file in src/<dir>/
names a directory its layer may include (docs/design.md, "Layers"). Also checks
that docs/design.md's table says the same as LAYERS below, so the drawing and
the rule cannot drift apart. Prints each include that points up or sideways and
exits 1."""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]

# directory -> the directories its files may include (besides its own).
LAYERS = {
    "util": set(),
    "sid": {"util"},
    "shm": {"util"},
    "store": {"util"},
    "seal": {"util"},
    "codec": {"seal", "util"},
    "stats": {"util"},
    "remote": {"store", "codec", "seal", "stats", "util"},
    "node": {"shm", "store", "stats", "util"},
    "session": {"remote", "node", "codec", "seal", "stats", "shm", "store", "sid", "util"},
}

INCLUDE = re.compile(r'^\s*#\s*include\s*"([a-z_]+)/[^"]+"', re.M)


def check_includes():
    problems = []
    src = ROOT / "src"
    for path in sorted(src.rglob("*")):
        if path.suffix not in (".h", ".cpp"):
            continue
        layer = path.relative_to(src).parts[0]
        if layer not in LAYERS:
            problems.append(f"{path.relative_to(ROOT)}: directory src/{layer}/ has no layer in "
                            "tests/docs/check_layers.py (and docs/design.md, \"Layers\")")
            continue
        allowed = LAYERS[layer] | {layer}
        text = path.read_text(encoding="utf-8")
        for match in INCLUDE.finditer(text):
            target = match.group(1)
            if target not in allowed:
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{path.relative_to(ROOT)}:{line}: src/{layer}/ includes "
                                f"{target}/ ({match.group(0).strip()}); it may include only "
                                f"{', '.join(sorted(LAYERS[layer])) or 'the standard library'}")
    return problems


def check_table():
    """docs/design.md's layer table: | `src/<dir>/` | job | may include |."""
    problems = []
    design = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `src/([a-z_]+)/` \|[^|]*\| ([^|]*) \|$", design, re.M)
    seen = {}
    for layer, allowed in rows:
        names = set(re.findall(r"\b(" + "|".join(LAYERS) + r")\b", allowed))
        seen[layer] = names
    for layer, allowed in LAYERS.items():
        if layer not in seen:
            problems.append(f"docs/design.md: the table of \"Layers\" has no row for src/{layer}/")
        elif seen[layer] != allowed:
            problems.append(f"docs/design.md: src/{layer}/ may include "
                            f"{', '.join(sorted(seen[layer])) or 'nothing'} there, "
                            f"{', '.join(sorted(allowed)) or 'nothing'} here")
    return problems


def main():
    problems = check_includes() + check_table()
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} layer rule(s) broken", file=sys.stderr)
        return 1
    print(f"layers: every include in src/ points down ({len(LAYERS)} layers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
