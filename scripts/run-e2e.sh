#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# End-to-end tests: real nginx, Apache mod_php and memcached on 127.0.0.1 (each
# scenario starts and stops its own cluster). Needs a built extension.
set -euo pipefail
cd "$(dirname "$0")/.."
test -f modules/clustered_session.so || bash scripts/build.sh --extension-only
python3 tests/e2e/run_e2e.py "$@"
# Then the fault tests (memcached restarted empty, network cut, killed child, Apache
# stop); only on a full run: named scenarios are run_e2e.py's.
[ $# -gt 0 ] || python3 tests/e2e/faults.py
