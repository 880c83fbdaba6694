#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Checks that every warning and log text in src/ and ext/ appears in docs/troubleshooting.md.

A message is built from string literals in the statements that make user-visible
errors (Error{...}, warn(...), php_error_docref(...), refuse(...), CLUSTERED_RANGED
ranges, NodeOutcome messages, unexpected replies, Failure::of(...) and the memcached
client's bad(...) replies) and the operator's log lines (handled(...),
log_handled(...), log_.log(...), fail(...)). Each literal fragment of three words or more must
appear in the table word for word. Prints 'N passed, M failed'."""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "troubleshooting.md").read_text()
STARTS = re.compile(r"Error\{|warn\(|php_error_docref\(|refuse\(entry|refuse\(entry, new_value"
                    r"|CLUSTERED_RANGED\(|\.message = |unexpected_reply\(|handled\(|log_handled\("
                    r"|log_\.log\(|fail\(ReportedFailure|Failure::of\(|Failure::dropped\(|\bbad\(")
LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')
FORMAT = re.compile(r"%[-0-9.]*(?:z?u|s|d|ld)")


def statement_end(text, start):
    """The ';' that ends the statement at `start`, skipping string and character
    literals (a message often holds a ';' of its own)."""
    at, quote = start, None
    while at < len(text):
        c = text[at]
        if quote:
            if c == "\\":
                at += 1
            elif c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c == ";":
            return at
        at += 1
    return len(text)


def statements(text):
    for match in STARTS.finditer(text):
        if match.group(0).startswith("CLUSTERED_RANGED"):
            end = text.find("\n", match.end())
        else:
            end = statement_end(text, match.end())
        yield text[match.start():end if end != -1 else len(text)]


def fragments(statement):
    for literal in LITERAL.findall(statement):
        literal = literal.replace('\\"', '"').replace("\\\\", "\\")
        for part in FORMAT.split(literal):
            part = part.strip(" :;()'")
            if part.startswith("clustered_session: "):
                part = part[len("clustered_session: "):]
            if len(part.split()) >= 3:
                yield part


def main():
    missing, checked = [], 0
    for path in sorted([*ROOT.glob("src/**/*.cpp"), *ROOT.glob("ext/*.cpp")]):
        text = path.read_text()
        for statement in statements(text):
            for fragment in fragments(statement):
                checked += 1
                if fragment not in DOC:
                    missing.append(f"{path.relative_to(ROOT)}: {fragment!r}")
    for line in missing:
        print(f"not in docs/troubleshooting.md: {line}")
    print(f"{checked - len(missing)} passed, {len(missing)} failed")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
