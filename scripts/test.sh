#!/usr/bin/env bash
# The one test command (README, CI): installs what is missing, builds, and runs
# every test level: GoogleTest (core; also under ASan+UBSan), fuzzers (briefly),
# phpt (PHP level; also under valgrind), end-to-end (cluster), docs.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
bash scripts/build.sh

echo "==> GoogleTest (core, against real memcached)"
(cd build-cmake && ctest --output-on-failure -j1)

echo "==> GoogleTest again, built with AddressSanitizer + UBSan"
bash scripts/run-sanitizers.sh

echo "==> fuzzers, briefly (long runs: bash scripts/fuzz.sh long)"
bash scripts/fuzz.sh brief

echo "==> phpt (run-tests.php, against real memcached)"
bash scripts/run-phpt.sh

echo "==> phpt once more under valgrind (USE_ZEND_ALLOC=0)"
bash scripts/run-phpt-valgrind.sh

echo "==> end-to-end (nginx, Apache mod_php, memcached, headless Chromium)"
bash scripts/run-e2e.sh

echo "==> docs: every warning in the source is in docs/troubleshooting.md"
python3 tests/docs/check_warnings.py
echo "==> all tests passed"
