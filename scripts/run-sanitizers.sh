#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The core and its GoogleTest suite under AddressSanitizer + UBSan, in build-asan/:
#
#   cmake -S . -B build-asan -DCLUSTERED_SANITIZE=ON
#   cmake --build build-asan -j2
#   (cd build-asan && ctest)
#
# Reports are fatal: the code is built with -fno-sanitize-recover=all, and every
# test runs with ASAN_OPTIONS/UBSAN_OPTIONS that halt on the first error (set by
# CMakeLists.txt, see sanitizer_environment.cmake in build-asan/). A report in a
# forked child whose exit status a test does not check would not fail that test,
# so the test log is searched for reports as well.
# Arguments are passed to ctest (e.g. -R SessionCache).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> building the core and its tests with ASan + UBSan (build-asan/)"
cmake -S . -B build-asan -DCLUSTERED_SANITIZE=ON >/dev/null
cmake --build build-asan -j2 >/dev/null

echo "==> GoogleTest under ASan + UBSan"
status=0
(cd build-asan && ctest --output-on-failure "$@") || status=$?

log=build-asan/Testing/Temporary/LastTest.log
pattern='ERROR: (Address|Leak|Undefined)Sanitizer|SUMMARY: (Address|Leak|Undefined)Sanitizer|runtime error: '
if [ -f "$log" ] && grep -Eq "$pattern" "$log"; then
  echo "==> sanitizer reports in $log:" >&2
  grep -En "$pattern" "$log" | head -20 >&2
  status=1
fi
if [ "$status" -ne 0 ]; then
  echo "==> sanitizers FAILED" >&2
  exit 1
fi
echo "==> sanitizers OK (no report)"
