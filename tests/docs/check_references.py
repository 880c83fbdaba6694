#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Checks that what the source and the docs cite exists.

In every text file of src/, ext/, tests/, phpt/, docs/, deploy/, scripts/, bench/,
README.md and SECURITY.md:

- a repository path it names exists: a token that starts with a top-level
  directory of the repository (src/session/id_moves.h, docs/operator-guide.md,
  tests/sim/, scripts/test.sh); one that starts with a directory of src/ or tests/
  (the include roots) and ends in a file name (util/result.h, sim/history.h); a bare
  Markdown file name (it must be one of the repository's); the target of a Markdown
  link, relative to the linking file. Globs and placeholders (`phpt/*.diff`,
  `tests/e2e/<scenario>`, `…`) are not paths; URLs and PHP's own source tree
  (ext/session/session.c) are other projects';
- a section it cites exists: `docs/design.md, "Conditional writes"`,
  `docs/design.md, section 7`, `operator guide, "Sizing the cache"` or
  `operator guide, section 8`, `README "php.ini"`, `SECURITY.md, "The key file"`, and
  Markdown anchors (`docs/operator-guide.md#9-php-fpm-app-nodes`, `#known-gaps`). A
  quoted name matches a heading, or the start of one at a word boundary, or a
  paragraph's bold run-in label (`**The key file.**`), ignoring case;
- nothing cites a section by a bare number (section sign and number, or the old
  upper-case design file's name) without naming the document;
- src/, ext/, tests/ and phpt/ cite no issue number (the word issue followed by a
  number, a test name glued to one, or a number sign and digits): they cite the
  design (docs/design.md) or say the fact. Other projects' issues (php-src's, with
  the project named before the number sign) are theirs to number.

Prints every broken reference as `file:line: what is wrong`, exits 1 if there is one.

    python3 tests/docs/check_references.py
"""
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCANNED_DIRS = ("src", "ext", "tests", "phpt", "docs", "deploy", "scripts", "bench")
SCANNED_FILES = ("README.md", "SECURITY.md")
NO_ISSUE_NUMBERS = ("src/", "ext/", "tests/", "phpt/")
SKIPPED = ("tests/fuzz/corpus/",)  # fuzzer inputs: bytes, not text
INCLUDE_ROOTS = ("src", "tests")  # CMake's include directories: "util/result.h"

# Paths that are cited but not tracked, because the build or a run makes them.
# Each with the reason; keep this list short.
GENERATED = {
    "debian/control": "made from debian/control.in by scripts/build-deb.sh",
}
# Paths in PHP's source tree (php-src), which PHP's headers and docs use: this
# repository's ext/ has no such directories.
FOREIGN = {
    "ext/session": "PHP's session extension",
    "ext/standard": "PHP's standard extension",
}

# The documents a section can be cited in, and the names they are cited by.
DOCUMENTS = {
    "docs/design.md": r"(?:docs/)?design\.md",
    "docs/operator-guide.md": r"(?:docs/)?operator-guide\.md|operator guide",
    "docs/troubleshooting.md": r"(?:docs/)?troubleshooting\.md",
    "docs/migrating-from-php-memcached.md": r"(?:docs/)?migrating-from-php-memcached\.md",
    "README.md": r"README(?:\.md)?",
    "SECURITY.md": r"SECURITY(?:\.md)?",
}
SECTION_CITE = re.compile(
    r"(?<![\w/.-])(?P<doc>" + "|".join(f"(?:{p})" for p in DOCUMENTS.values()) + r")"
    r"(?:[,:]?[ \t]+\(?|\()[ \t]*"
    r"(?:[\"“](?P<name>[\w`][^\"”\n]{0,79})[\"”]|(?:section|§)[ \t]*(?P<number>\d+)\b)")
# A section sign and a number, or the upper-case design file's name without .md,
# cited without saying which document (with .md, the bare Markdown name is reported).
BARE_SECTION = re.compile(r"(?<![\w.])(?:DESIG[N]\b(?!\.md)|§[ \t]*\d)")
ISSUE = re.compile(r"\b[Ii]ssues?[ _-]*#?\d+|Issue\d+|(?<![\w&/#:-])#\d+\b")  # not color:#222
# Another project named right before the number: its issue, not ours.
OTHER_PROJECT = re.compile(r"(?:php-src|php/php-src|memcached/memcached|php-memcached)(?:'s)?"
                           r"[ \t]*$")
COMMENT_LEADER = re.compile(r"^\s*(?://+|#+|\*+|;+|--|dnl\b)?\s*")
LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")
PLACEHOLDER = set("<>*{}$%[…")


def listed_files():
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         cwd=ROOT, check=True, capture_output=True).stdout
    files = {p for p in out.decode().split("\0") if p and (ROOT / p).is_file()}
    dirs = set()
    for path in files:
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:i]))
    return files, dirs


def scanned(files):
    for path in sorted(files):
        if path.startswith(SKIPPED):
            continue
        if path in SCANNED_FILES or path.split("/")[0] in SCANNED_DIRS:
            try:
                text = (ROOT / path).read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue  # a picture, a compressed file
            if "\0" not in text:
                yield path, text.split("\n")


def slug(heading):
    """GitHub's anchor for a Markdown heading."""
    text = heading.strip().lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def sections_of(path):
    """(names, numbers, anchors) of a Markdown document."""
    names, numbers, anchors = [], set(), set()
    seen = {}
    fenced = False
    for line in (ROOT / path).read_text(encoding="utf-8").split("\n"):
        if line.startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            continue
        heading = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if heading:
            title = heading.group(1)
            anchor = slug(title)
            count = seen.get(anchor, 0)
            seen[anchor] = count + 1
            anchors.add(anchor if count == 0 else f"{anchor}-{count}")
            numbered = re.match(r"(\d+)\.\s+(.*)", title)
            if numbered:
                numbers.add(int(numbered.group(1)))
                title = numbered.group(2)
            names.append(title)
            continue
        label = re.match(r"\*\*([^*]+?)[.:]?\*\*", line)
        if label:
            names.append(label.group(1))
    return [normal(n) for n in names], numbers, anchors


def normal(name):
    name = name.replace("`", "").replace("\u2019", "'")
    return " ".join(name.casefold().split()).rstrip(".:,;")


def names_section(names, cited):
    cited = normal(cited)
    cited = re.sub(r"^\d+\.\s+", "", cited)
    return any(name == cited or (name.startswith(cited) and not name[len(cited)].isalnum())
               for name in names)


def continued(lines, i):
    """Line i with the next two joined on (a citation may wrap in a comment)."""
    more = [COMMENT_LEADER.sub("", line, count=1) for line in lines[i + 1:i + 3]]
    return " ".join([lines[i]] + more)


class Checker:
    def __init__(self):
        self.files, self.dirs = listed_files()
        self.top_dirs = {d for d in self.dirs if "/" not in d}
        # (tests/ext/ is no include root for "ext/...": that is the top-level ext/.)
        self.include_dirs = {d.split("/", 1)[1] for d in self.dirs
                             if d.count("/") == 1 and d.split("/")[0] in INCLUDE_ROOTS} - \
            self.top_dirs
        self.markdown_names = {p.rsplit("/", 1)[-1] for p in self.files if p.endswith(".md")}
        self.documents = {doc: sections_of(doc) for doc in DOCUMENTS if doc in self.files}
        self.path = re.compile(
            r"(?<![\w.~$/@-])(?P<path>(?:" + "|".join(sorted(map(re.escape, self.top_dirs))) +
            r")/[\w.+/-]*)")
        self.relative = re.compile(
            r"(?<![\w.~$/@-])(?P<path>(?:" + "|".join(sorted(map(re.escape, self.include_dirs))) +
            r")/[\w.+/-]*\.(?:h|cpp|c|inc)\b)")
        self.bare_markdown = re.compile(r"(?<![\w./-])(?P<name>[\w-]+\.md)\b")
        self.problems = []
        self.checked = 0

    def exists(self, path):
        path = path.rstrip("/")
        if path in self.files or path in self.dirs:
            return True
        return any(path == g.rstrip("/") or path.startswith(g) for g in GENERATED)

    def report(self, where, line, what):
        self.problems.append(f"{where}:{line}: {what}")

    def check_file(self, where, lines):
        markdown = where.endswith(".md")
        for i, line in enumerate(lines):
            number = i + 1
            self.check_paths(where, number, line)
            self.check_sections(where, number, lines, i)
            if markdown:
                self.check_links(where, number, line)
            if where.startswith(NO_ISSUE_NUMBERS):
                self.check_issue_numbers(where, number, line)

    def check_paths(self, where, number, line):
        for match in self.path.finditer(line):
            self.check_path(where, number, line, match, match.group("path"))
        for match in self.relative.finditer(line):
            token = match.group("path")
            if self.placeholder_after(line, match.end()):
                continue
            self.checked += 1
            if not any(self.exists(f"{root}/{token}") for root in INCLUDE_ROOTS):
                self.report(where, number, f"cites {token}, which is in neither src/ nor tests/")
        for match in self.bare_markdown.finditer(line):
            name = match.group("name")
            self.checked += 1
            if name not in self.markdown_names:
                self.report(where, number, f"cites {name}, which is not in the repository")

    @staticmethod
    def placeholder_after(line, end):
        return end < len(line) and (line[end] in PLACEHOLDER or line.startswith("...", end))

    def check_path(self, where, number, line, match, token):
        if self.placeholder_after(line, match.end()) or "..." in token:
            return
        token = token.rstrip(".,:;-")
        if not token or token.endswith("/.") or "//" in token:
            return
        if any(token == f or token.startswith(f + "/") for f in FOREIGN):
            return
        self.checked += 1
        if not self.exists(token):
            self.report(where, number, f"cites {token}, which does not exist")

    def check_sections(self, where, number, lines, i):
        line = lines[i]
        joined = continued(lines, i)
        for match in SECTION_CITE.finditer(joined):
            if match.start() >= len(line):
                break
            doc = next(d for d, p in DOCUMENTS.items() if re.fullmatch(p, match.group("doc")))
            if doc not in self.documents:
                continue
            names, numbers, _ = self.documents[doc]
            self.checked += 1
            if match.group("name") is not None:
                cited = " ".join(match.group("name").split())
                if not names_section(names, cited):
                    self.report(where, number, f'cites {doc}, "{cited}": no such section')
            elif int(match.group("number")) not in numbers:
                self.report(where, number, f"cites {doc}, section {match.group('number')}: "
                                           "no such section")
        for match in BARE_SECTION.finditer(line):
            self.report(where, number, f"cites {match.group(0).strip()!r}: say which file "
                                       "(docs/design.md) and which section, by its heading")

    def check_links(self, where, number, line):
        for match in LINK.finditer(line):
            target = match.group("target")
            if re.match(r"[a-z]+:", target):
                continue  # https:, mailto:
            path, _, anchor = target.partition("#")
            if path:
                base = pathlib.PurePosixPath(where).parent
                resolved = str(pathlib.PurePosixPath(
                    *[p for p in (base / path).parts if p != "."]))
                while "/../" in f"/{resolved}/":
                    resolved = re.sub(r"(^|/)[^/]+/\.\.(/|$)", r"\1", resolved, count=1)
                self.checked += 1
                if not self.exists(resolved):
                    self.report(where, number, f"links to {path}, which does not exist")
                    continue
            else:
                resolved = where
            if anchor and resolved.endswith(".md") and resolved in self.files:
                anchors = (self.documents[resolved][2] if resolved in self.documents
                           else sections_of(resolved)[2])
                self.checked += 1
                if anchor not in anchors:
                    self.report(where, number, f"links to {resolved}#{anchor}: no such heading")

    def check_issue_numbers(self, where, number, line):
        for match in ISSUE.finditer(line):
            if OTHER_PROJECT.search(line[:match.start()]):
                continue
            self.report(where, number, f"cites {match.group(0)!r}: an issue number; cite the "
                                       "design (docs/design.md, \"Section\") or say the fact")


def main():
    checker = Checker()
    for where, lines in scanned(checker.files):
        checker.check_file(where, lines)
    for problem in checker.problems:
        print(problem)
    if checker.problems:
        print(f"references: {len(checker.problems)} broken")
        return 1
    print(f"references: {checker.checked} paths and sections cited, every one exists")
    return 0


if __name__ == "__main__":
    sys.exit(main())
