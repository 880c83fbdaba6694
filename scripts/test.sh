#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The one test command (README, CI): installs what is missing, builds, and runs
# every test level on this machine, then the platform levels in a root of the other
# supported Debian release (12 with PHP 8.2, 13 with PHP 8.4) and the PHP levels in
# two Debian sid roots with PHP 8.5 and PHP 8.6 from experimental. Ends with one
# line per platform and PHP version: passed or failed, and how long it took.
#
#   bash scripts/test.sh            everything: here, then the three roots
#   bash scripts/test.sh here       this machine only, every level
#   bash scripts/test.sh debian13   the Debian 13 root only (debian12: the Debian 12 root)
#   bash scripts/test.sh php8.5     the sid root with PHP 8.5 only (php8.6: with PHP 8.6)
#   bash scripts/test.sh platform   what runs in a Debian root: the levels whose
#                                   outcome depends on the platform (PHP, compiler, servers)
#   bash scripts/test.sh php        what runs in a PHP-version root: build, GoogleTest,
#                                   phpt, end-to-end "node killed under load" (Apache, FPM)
#
# Levels: GoogleTest (core), phpt (PHP level), the .deb, end-to-end (cluster: Apache
# mod_php and PHP-FPM, the .deb installed into one, the fault tests), docs; on this
# machine also GoogleTest under ASan+UBSan, the fuzzers (briefly) and phpt under
# valgrind, which check the same code once rather than on every platform. Prints
# what each step took.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-all}
this_release=$(. /etc/os-release && echo "${VERSION_ID:-}")
case "$mode" in
  all | here | platform | php) ;;
  debian12) exec bash scripts/debian-root.sh 12 ;;
  debian13) exec bash scripts/debian-root.sh 13 ;;
  php8.5 | php8.6) exec bash scripts/debian-root.sh "$mode" ;;
  *) echo "usage: bash scripts/test.sh [all|here|debian12|debian13|php8.5|php8.6|platform|php]" >&2; exit 2 ;;
esac
if [ "$mode" = all ] || [ "$mode" = here ]; then
  # The roots are made from a copy of the tracked files, and the .deb is packed
  # from them: a tree without git (an archive of a release) cannot run these.
  if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    echo "scripts/test.sh needs a git clone of the repository (the test roots and the" >&2
    echo ".deb are made from its tracked files; a release archive leaves the tests out)." >&2
    echo "To build the extension from this tree: phpize && ./configure && make" >&2
    exit 2
  fi
fi

timings=()
step() {  # step "title" command...: runs it, records how long it took, returns its status
  local title=$1 started=$SECONDS status=0
  shift
  echo "==> $title"
  "$@" || status=$?
  timings+=("$(printf '%5d s  %s%s' $((SECONDS - started)) "$title" "$([ $status = 0 ] || echo "  FAILED")")")
  return "$status"
}
report() {
  echo "==> time per step ($(. /etc/os-release && echo "$PRETTY_NAME"), $(php-config --version 2>/dev/null || echo no PHP))"
  printf '    %s\n' "${timings[@]}"
}
trap 'report' EXIT

here=false
case "$mode" in
  platform | php) step "install what is missing" bash scripts/install-deps.sh "--$mode" ;;
  *)
    here=true
    step "install what is missing" bash scripts/install-deps.sh
    ;;
esac
step "build (phpize .so, CMake core and tests)" bash scripts/build.sh
step "GoogleTest (core, against real memcached)" bash -c 'cd build-cmake && ctest --output-on-failure -j1'
if $here; then
  step "GoogleTest again, built with AddressSanitizer + UBSan" bash scripts/run-sanitizers.sh
  step "fuzzers, briefly (long runs: bash scripts/fuzz.sh long)" bash scripts/fuzz.sh brief
fi
step "phpt (run-tests.php, against real memcached)" bash scripts/run-phpt.sh
if [ "$mode" = php ]; then
  step "end-to-end: node killed under load (nginx, Apache mod_php, PHP-FPM, memcached)" \
    bash scripts/run-e2e.sh apache-killed fpm-node-killed
  echo "==> all tests passed"
  exit 0
fi
if $here; then
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
step "docs: every source file names its license (SPDX)" python3 tests/docs/check_license.py
step "docs: one version (header, debian/changelog, CHANGELOG.md, docs)" python3 tests/docs/check_version.py
step "docs: every cited path and design section exists, no issue numbers" python3 tests/docs/check_references.py
step "layers: every include in src/ points down (docs/design.md, \"Layers\")" python3 tests/docs/check_layers.py

[ "$mode" = all ] || { echo "==> all tests passed"; exit 0; }

# The other platforms, each in a root of its own; every one runs even when one
# fails, and the closing lines say which passed.
summary=$(mktemp) failures=$(mktemp)
trap 'report; echo "==> platforms and PHP versions"; sed "s/^/    /" "$summary"
  [ ! -s "$failures" ] || { echo "==> what failed in the roots"; sed "s/^/    /" "$failures"; }
  rm -f "$summary" "$failures"' EXIT
printf '%-34s PHP %-10s %-18s %5d s  (this machine: every level)\n' \
  "$(. /etc/os-release && echo "$PRETTY_NAME")" "$(php -n -r 'echo PHP_VERSION;')" passed "$SECONDS" >"$summary"
other=13
[ "$this_release" = 13 ] && other=12
failed=0
for target in "$other" php8.5 php8.6; do
  title="root: Debian $other"
  [ "$target" = "$other" ] || title="root: Debian sid, PHP ${target#php} from experimental"
  step "$title (scripts/debian-root.sh $target)" env CS_SUMMARY="$summary" CS_FAILURES="$failures" \
    bash scripts/debian-root.sh "$target" || failed=$((failed + 1))
done
[ "$failed" = 0 ] || { echo "==> $failed of the roots FAILED" >&2; exit 1; }
echo "==> all tests passed"
