#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Runs the PHP-level tests (phpt/*.phpt) with PHP's own run-tests.php against two
# real memcached servers on free 127.0.0.1 ports.
#
#   scripts/run-phpt.sh [run-tests.php options or phpt files]
#
# The tests get, through the environment (run-tests.php passes its own to them):
#   CS_MC1_PORT CS_MC1_PID   memcached node n1
#   CS_MC2_PORT CS_MC2_PID   memcached node n2
#   CS_DEAD_PORT             a port on 127.0.0.1 where nothing listens
#   CS_EXTENSION             the built modules/clustered_session.so
#   CS_RUN_DIR               scratch directory; tests record the memcached servers
#                            they start themselves in CS_RUN_DIR/phpt-servers
# Servers are stopped on every exit path (EXIT trap: cs_phpt_cleanup, then
# cs_services_stop from scripts/lib/services.sh).
# Exit status: non-zero when any test fails, is borked, warns, leaks or is skipped
# (every test is expected to run here), except the tests of settings this PHP
# version deprecates, which skip with a reason starting "PHP <version>"
# (phpt/include/legacy_sid.inc); the summary counts them.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# shellcheck source=lib/services.sh
source scripts/lib/services.sh

php_bin=${TEST_PHP_EXECUTABLE:-$(command -v php)}
run_tests=${RUN_TESTS_PHP:-}
if [ -z "$run_tests" ]; then
  ext_dir=$("$php_bin" -n -r 'echo PHP_EXTENSION_DIR;')
  for candidate in "$ext_dir/build/run-tests.php" "$root/run-tests.php"; do
    if [ -f "$candidate" ]; then run_tests=$candidate; break; fi
  done
fi
[ -n "$run_tests" ] || { echo "run-tests.php not found (install php-dev)" >&2; exit 2; }

extension=$root/modules/clustered_session.so
# Always bring the extension up to date (incremental; a stale .so would test old
# code). Only the phpize build: the CMake part belongs to scripts/build.sh.
# scripts/build.sh configures again when a source file came or went.
if ! bash scripts/build.sh --extension-only >"${TMPDIR:-/tmp}/clustered_session-phpt-make.log" 2>&1; then
  tail -30 "${TMPDIR:-/tmp}/clustered_session-phpt-make.log" >&2
  echo "building $extension failed" >&2
  exit 2
fi
[ -f "$extension" ] || { echo "no $extension" >&2; exit 2; }
command -v memcached >/dev/null || { echo "memcached not installed" >&2; exit 2; }

cs_services_init
# The tests start memcached servers of their own too (and stop them in their
# shutdown handlers). Should a test die first, they are stopped here: only PIDs
# the tests recorded, and only while the PID still names the same process
# (same start time), never a process that reused the number.
cs_phpt_cleanup() {
  local status=$? pid start now
  # Under set -e, cs_services_stop would stop at its first kill of a server that
  # is already gone (kill returns 1): run the whole cleanup, keep our status.
  set +e
  if [ -f "${CS_RUN_DIR:-}/phpt-servers" ]; then
    while read -r pid start; do
      now=$(awk '{ sub(/^.*\) /, ""); print $20 }' "/proc/$pid/stat" 2>/dev/null)
      if [ -n "$pid" ] && [ -n "$start" ] && [ "$now" = "$start" ]; then
        kill -CONT "$pid" 2>/dev/null
        kill -9 "$pid" 2>/dev/null
      fi
    done <"$CS_RUN_DIR/phpt-servers"
  fi
  cs_services_stop  # the two servers below, then the run directory
  exit "$status"
}
trap cs_phpt_cleanup EXIT

cs_start_memcached >"$CS_RUN_DIR/mc1"
cs_start_memcached >"$CS_RUN_DIR/mc2"
read -r CS_MC1_PORT CS_MC1_PID <"$CS_RUN_DIR/mc1"
read -r CS_MC2_PORT CS_MC2_PID <"$CS_RUN_DIR/mc2"
CS_DEAD_PORT=$(cs_free_port)
CS_EXTENSION=$extension
CS_MEMCACHED=$(command -v memcached)
export CS_MC1_PORT CS_MC1_PID CS_MC2_PORT CS_MC2_PID CS_DEAD_PORT CS_EXTENSION CS_MEMCACHED
echo "==> memcached n1 127.0.0.1:$CS_MC1_PORT (pid $CS_MC1_PID), n2 127.0.0.1:$CS_MC2_PORT (pid $CS_MC2_PID), dead port $CS_DEAD_PORT"

tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(phpt)

# -n: no php.ini of this machine, for run-tests.php itself and for every test
# process; only what is passed here is loaded. posix and sockets are not needed.
# takeover_check_interval=0: as CS_BASE_INI in phpt/include/helper.inc says, so
# that only the tests about takeover checks (which set it back to 1) see them.
# --set-timeout 300: run-tests.php stops a test that has printed nothing (the
# tests print when they end) for 60 s by default, which a slow or loaded machine
# should not decide (under valgrind run-tests.php has its own limit:
# scripts/run-phpt-valgrind.sh).
log=$CS_RUN_DIR/run-tests.log
set +e
NO_INTERACTION=1 REPORT_EXIT_STATUS=1 TEST_PHP_EXECUTABLE=$php_bin \
  "$php_bin" -n "$run_tests" -n -q --show-diff --set-timeout 300 \
  -p "$php_bin" \
  -d "extension=$extension" \
  -d clustered_session.takeover_check_interval=0 \
  "${tests[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# run-tests.php leaves out the lines of its summary that would say 0.
summary() { sed -n "s/^$1 *: *\([0-9]*\).*/\1/p" "$log" | head -1; }
failed=$(summary 'Tests failed')
borked=$(summary 'Tests borked')
skipped=$(summary 'Tests skipped')
warned=$(summary 'Tests warned')
leaked=$(summary 'Tests leaked')
xfailed=$(summary 'Expected fail')
passed=$(summary 'Tests passed')
# Skips for this PHP version only (see the header); any other skip fails the run.
version_skips=$(grep -ac 'SKIP.* reason: PHP [0-9]' "$log" || true)
echo "==> phpt: passed ${passed:-0}, failed ${failed:-0}, expected failures (XFAIL, known bugs) ${xfailed:-0}," \
  "skipped ${skipped:-0} (${version_skips} for this PHP version), borked ${borked:-0}, warned ${warned:-0}, leaked ${leaked:-0}"
# Name the tests behind a count a run-tests.php summary gives without names.
grep -a -E '^(WARN|LEAK|BORK)|\b(WARN|LEAK|BORK)\b.*\[phpt/' "$log" | sed 's/^/    /' || true
if [ "$status" -ne 0 ] || [ -z "$passed" ] || [ "${failed:-0}" != 0 ] || [ "${borked:-0}" != 0 ] ||
  [ "${skipped:-0}" != "$version_skips" ] || [ "${warned:-0}" != 0 ] || [ "${leaked:-0}" != 0 ]; then
  echo "==> phpt FAILED" >&2
  exit 1
fi
echo "==> phpt OK"
