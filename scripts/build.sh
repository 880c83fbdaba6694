#!/usr/bin/env bash
# Builds the extension (phpize, in the tree; outputs are git-ignored) and the
# C++ core with its GoogleTest suite (CMake, in build-cmake/; phpize owns build/). --extension-only skips the latter.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> building clustered_session.so (phpize)"
if [ ! -f Makefile ] || [ config.m4 -nt configure ]; then
  phpize >/dev/null
  ./configure --enable-clustered-session >/dev/null
fi
make -j"$(nproc)" >/dev/null
test -f modules/clustered_session.so
echo "    modules/clustered_session.so"

[ "${1:-}" = "--extension-only" ] && exit 0

echo "==> building the core and its tests (CMake)"
cmake -S . -B build-cmake -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-cmake -j"$(nproc)" >/dev/null
echo "    build-cmake/core_tests"
