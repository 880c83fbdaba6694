#!/usr/bin/env bash
# The one test command (README, CI): installs what is missing, builds, and runs
# every test level: GoogleTest (core), phpt (PHP level), end-to-end (cluster).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
bash scripts/build.sh

echo "==> GoogleTest (core, against real memcached)"
(cd build-cmake && ctest --output-on-failure -j1)

echo "==> phpt (run-tests.php, against real memcached)"
bash scripts/run-phpt.sh

if [ -x scripts/run-e2e.sh ]; then
  echo "==> end-to-end (nginx, Apache mod_php, memcached)"
  bash scripts/run-e2e.sh
fi
echo "==> all tests passed"
