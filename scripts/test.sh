#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The one test command (README, CI): installs what is missing, builds, and runs
# every test level, on this machine and in a root of the other supported Debian
# release (12 with PHP 8.2, 13 with PHP 8.4).
#
#   bash scripts/test.sh            everything: here, then the other release's root
#   bash scripts/test.sh here       this machine only, every level
#   bash scripts/test.sh debian13   the Debian 13 root only (debian12: the Debian 12 root)
#   bash scripts/test.sh platform   what runs in the root: the levels whose outcome
#                                   depends on the platform (PHP, compiler, servers)
#
# Levels: GoogleTest (core), phpt (PHP level), the .deb, end-to-end (cluster: Apache
# mod_php and PHP-FPM, the .deb installed into one, the fault tests), docs; on this machine also GoogleTest under
# ASan+UBSan, the fuzzers (briefly) and phpt under valgrind, which check the same
# code once rather than on both platforms. Prints what each step took.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-all}
this_release=$(. /etc/os-release && echo "${VERSION_ID:-}")
case "$mode" in
  all | here | platform) ;;
  debian12) exec bash scripts/debian-root.sh 12 ;;
  debian13) exec bash scripts/debian-root.sh 13 ;;
  *) echo "usage: bash scripts/test.sh [all|here|debian12|debian13|platform]" >&2; exit 2 ;;
esac

timings=()
step() {  # step "title" command...: runs it, records how long it took
  local title=$1 started=$SECONDS
  shift
  echo "==> $title"
  "$@"
  timings+=("$(printf '%5d s  %s' $((SECONDS - started)) "$title")")
}
report() {
  echo "==> time per step ($(. /etc/os-release && echo "$PRETTY_NAME"), $(php-config --version 2>/dev/null || echo no PHP))"
  printf '    %s\n' "${timings[@]}"
}
trap 'report' EXIT

if [ "$mode" = platform ]; then
  step "install what is missing" bash scripts/install-deps.sh --platform
else
  step "install what is missing" bash scripts/install-deps.sh
fi
step "build (phpize .so, CMake core and tests)" bash scripts/build.sh
step "GoogleTest (core, against real memcached)" bash -c 'cd build-cmake && ctest --output-on-failure -j1'
if [ "$mode" != platform ]; then
  step "GoogleTest again, built with AddressSanitizer + UBSan" bash scripts/run-sanitizers.sh
  step "fuzzers, briefly (long runs: bash scripts/fuzz.sh long)" bash scripts/fuzz.sh brief
fi
step "phpt (run-tests.php, against real memcached)" bash scripts/run-phpt.sh
if [ "$mode" != platform ]; then
  step "phpt once more under valgrind (USE_ZEND_ALLOC=0)" bash scripts/run-phpt-valgrind.sh
fi
build_deb() {  # the package the e2e scenario deb-package installs (CS_DEB)
  local out
  out=$(bash scripts/build-deb.sh) || { echo "$out"; return 1; }
  echo "$out"
  CS_DEB=$(tail -1 <<<"$out")
  export CS_DEB
}
step "Debian package (scripts/build-deb.sh, dh-php)" build_deb
step "end-to-end (nginx, Apache mod_php, PHP-FPM, the .deb, memcached, headless Chromium)" bash scripts/run-e2e.sh
step "docs: every warning in the source is in docs/troubleshooting.md" python3 tests/docs/check_warnings.py

if [ "$mode" = all ]; then
  other=13
  [ "$this_release" = 13 ] && other=12
  step "Debian $other root (scripts/debian-root.sh $other)" bash scripts/debian-root.sh "$other"
fi
echo "==> all tests passed"
