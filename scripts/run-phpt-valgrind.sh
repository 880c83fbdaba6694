#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The phpt suite once under valgrind memcheck: scripts/run-phpt.sh with
# run-tests.php's -m (USE_ZEND_ALLOC=0, so every emalloc is a malloc valgrind sees;
# ZEND_DONT_UNLOAD_MODULES=1, so leaks in clustered_session.so keep their symbols).
# A test whose valgrind log is not empty counts as LEAKED, and run-phpt.sh fails on
# any leaked test: the run passes only when valgrind reports nothing at all, apart
# from the suppressions in scripts/valgrind-phpt.supp (glibc, PHP;
# each one says why it is not ours).
#
#   scripts/run-phpt-valgrind.sh [run-tests.php options or phpt files]
#
# What differs from a plain run:
#   - memcheck looks for definite and indirect leaks too (--leak-check=full);
#   - pcre.jit=0: code PCRE2 compiles at run time is opaque to memcheck;
#   - memcached servers the tests start are not traced (not our code);
#   - every process logs to its own file, merged into the test's .mem log when it
#     ends. run-tests.php gives all of a test's processes one --log-file, which each
#     PHP the test starts (cs_php) would open again with O_TRUNC, erasing what the
#     test process had reported before: a wrapper named valgrind, first in PATH,
#     turns it into <log>.<pid>.vglog and merges them;
#   - every test runs, as in run-phpt.sh: none races a fixed delay (a test of an
#     interval runs the extension on a clock it moves, CsClock in
#     phpt/include/helper.inc; the others wait for events), so valgrind's 20-50x
#     slowdown changes no result.
# About 6 minutes on 2 idle cores.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

real_valgrind=$(command -v valgrind || true)
[ -n "$real_valgrind" ] || { echo "valgrind not installed (scripts/install-deps.sh installs it)" >&2; exit 2; }

wrapper_dir=$(mktemp -d "${TMPDIR:-/tmp}/clustered-valgrind.XXXXXX")
trap 'rm -rf "$wrapper_dir"' EXIT
cat >"$wrapper_dir/valgrind" <<WRAPPER
#!/usr/bin/env bash
# valgrind as run-tests.php calls it, one log file per process (see $0).
args=() log=
for arg in "\$@"; do
  case "\$arg" in
    --log-file=*) log=\${arg#--log-file=}; args+=("--log-file=\$log.%p.vglog") ;;
    *) args+=("\$arg") ;;
  esac
done
[ -n "\$log" ] || exec "$real_valgrind" "\$@"
"$real_valgrind" "\${args[@]}"
status=\$?
: >>"\$log"  # run-tests.php stats it, empty or not
for part in "\$log".*.vglog; do
  [ -e "\$part" ] || continue
  [ -s "\$part" ] && cat "\$part" >>"\$log"
  rm -f "\$part"
done
exit \$status
WRAPPER
chmod +x "$wrapper_dir/valgrind"

export PATH="$wrapper_dir:$PATH"
export VALGRIND_OPTS="--suppressions=$root/scripts/valgrind-phpt.supp --leak-check=full \
--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
--num-callers=30 --trace-children-skip=*memcached* ${VALGRIND_EXTRA_OPTS:-}"

# run-phpt.sh runs phpt/ only when given no arguments at all: name the suite
# unless the arguments already name tests.
named=0
for arg in "$@"; do [ -e "$arg" ] && named=1; done
[ "$named" -eq 1 ] || set -- "$@" phpt
# run-tests.php stops a test that has printed nothing for 300 s under valgrind
# (the tests print when they end), and only SKIP_ASAN changes that: it triples it
# (meant for ASan runs; no test here reads it). Tests that start many PHP
# processes pay valgrind's start-up for each: session_ini_range took 101 s on
# two idle cores and reached the 300 s with both cores loaded.
export SKIP_ASAN=1
echo "==> phpt under valgrind memcheck (VALGRIND_OPTS=$VALGRIND_OPTS)"
started=$SECONDS
status=0
bash scripts/run-phpt.sh -m -d pcre.jit=0 --show-slow 20000 "$@" || status=$?
echo "==> valgrind phpt run took $((SECONDS - started)) s"
exit "$status"
