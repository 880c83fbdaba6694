#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Builds the extension (phpize, in the tree; outputs are git-ignored) and the
# C++ core with its GoogleTest suite (CMake, in build-cmake/; phpize owns build/). --extension-only skips the latter.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> building clustered_session.so (phpize)"
# configure lists the sources: run it again when a source file came or went.
sources=$(ls src/*/*.cpp ext/*.cpp)
if [ ! -f Makefile ] || [ config.m4 -nt configure ] ||
  [ "$sources" != "$(cat build/clustered-sources.txt 2>/dev/null)" ]; then
  # A source that went away leaves objects and dependency files naming it
  # (a removed header stops make), and a changed config.m4 may compile with
  # other flags: start from a clean tree then.
  if [ -f Makefile ] && { [ config.m4 -nt configure ] || { [ -f build/clustered-sources.txt ] &&
    [ "$sources" != "$(cat build/clustered-sources.txt)" ]; }; }; then
    make clean >/dev/null 2>&1 || true
  fi
  log=$(mktemp)
  # phpize's autoconf warnings are noise; the log is shown when something fails.
  if ! { phpize && ./configure --enable-clustered-session; } >"$log" 2>&1; then
    cat "$log" >&2
    exit 1
  fi
  rm -f "$log"
  echo "$sources" >build/clustered-sources.txt
fi
make -j"$(nproc)" >/dev/null
test -f modules/clustered_session.so
echo "    modules/clustered_session.so"

[ "${1:-}" = "--extension-only" ] && exit 0

echo "==> building the core and its tests (CMake)"
cmake -S . -B build-cmake -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-cmake -j"$(nproc)" >/dev/null
echo "    build-cmake/core_tests"
