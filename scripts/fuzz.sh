#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# libFuzzer targets of tests/fuzz (clang, -fsanitize=fuzzer,address,undefined),
# built by CMake with -DCLUSTERED_FUZZ=ON into build-fuzz/.
#
#   scripts/fuzz.sh brief            build, then run every target ~20 s (test command)
#   scripts/fuzz.sh long [seconds]   build, then run every target `seconds` (default
#                                    600), two at a time; new inputs are kept in
#                                    .fuzz/corpus/<target>/ (git-ignored) and used by
#                                    the next run
#   scripts/fuzz.sh build            only build
#
# Every run starts from the committed seeds, tests/fuzz/corpus/<target>/, which also
# hold the inputs of every crash found so far (each fixed, each with a GoogleTest
# regression case): those are replayed first. A crash, leak, timeout or sanitizer
# report stops the target; its input is written to .fuzz/artifacts/<target>/ and
# the script exits non-zero. Logs: .fuzz/logs/<target>.log.
# Environment: FUZZ_JOBS (targets at once, default 2), FUZZ_TARGETS (space-separated
# subset), FUZZ_BRIEF_SECONDS (default 20).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

mode=${1:-brief}
case "$mode" in
  brief) seconds=${FUZZ_BRIEF_SECONDS:-20} ;;
  long) seconds=${2:-600} ;;
  build) seconds=0 ;;
  *) echo "usage: $0 brief | long [seconds] | build" >&2; exit 2 ;;
esac
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "seconds must be a number, got '$seconds'" >&2; exit 2; }

clangxx=$(command -v clang++ || true)
[ -n "$clangxx" ] || { echo "clang++ not found (scripts/install-deps.sh installs clang)" >&2; exit 2; }

echo "==> building the fuzz targets (build-fuzz/, $clangxx)"
cmake -S . -B build-fuzz -DCLUSTERED_FUZZ=ON -DCMAKE_CXX_COMPILER="$clangxx" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$(nproc)" >/dev/null
[ "$mode" = build ] && exit 0

targets=(${FUZZ_TARGETS:-fuzz_session_id fuzz_save_path fuzz_value_header fuzz_session_cache fuzz_takeover_notices fuzz_meta_reply fuzz_sealer fuzz_compression})
jobs=${FUZZ_JOBS:-2}
mkdir -p .fuzz/logs
# One ASan/UBSan report is one failure; libFuzzer's own -detect_leaks is on.
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

max_len() {
  case "$1" in
    fuzz_session_id) echo 512 ;;
    fuzz_value_header) echo 1024 ;;
    *) echo 4096 ;;
  esac
}

run_target() {
  local target=$1 binary=$root/build-fuzz/$1 seeds=$root/tests/fuzz/corpus/$1
  local log=$root/.fuzz/logs/$target.log artifacts=$root/.fuzz/artifacts/$target/ corpus
  [ -x "$binary" ] || { echo "no $binary" >"$log"; return 2; }
  mkdir -p "$artifacts"
  if [ "$mode" = long ]; then
    corpus=$root/.fuzz/corpus/$target
    mkdir -p "$corpus"
  else
    corpus=$(mktemp -d "${TMPDIR:-/tmp}/clustered-fuzz-$target.XXXXXX")
  fi
  # The first directory receives new inputs; the seeds are only read.
  "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len="$(max_len "$target")" -print_final_stats=1 \
    -artifact_prefix="$artifacts" "$corpus" "$seeds" >"$log" 2>&1
  local status=$?
  [ "$mode" = long ] || rm -rf "$corpus"
  return "$status"
}

# Per target, from its log: executions, coverage, corpus size, time.
report() {
  local target=$1 status=$2 log=$root/.fuzz/logs/$1.log
  local execs cov ft corp secs
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  secs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\2/p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  corp=$(grep -o 'corp: [0-9]*/[0-9a-zA-Z]*' "$log" | tail -1 | cut -d' ' -f2)
  if [ "$status" -eq 0 ]; then
    printf '    %-20s ok     %s execs in %s s, cov %s, ft %s, corpus %s\n' "$target" \
      "${execs:-?}" "${secs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}"
  else
    printf '    %-20s FAILED (exit %s); log .fuzz/logs/%s.log, input in .fuzz/artifacts/%s/\n' \
      "$target" "$status" "$target" "$target"
    grep -E 'ERROR: |runtime error|FUZZ_REQUIRE|SUMMARY|Test unit written' "$log" | head -20 | sed 's/^/      /'
  fi
}

echo "==> fuzzing ${#targets[@]} targets, $seconds s each, $jobs at a time (mode $mode)"
failed=0
for ((i = 0; i < ${#targets[@]}; i += jobs)); do
  batch=("${targets[@]:i:jobs}")
  pids=()
  for target in "${batch[@]}"; do
    run_target "$target" &
    pids+=($!)
  done
  for j in "${!batch[@]}"; do
    status=0
    wait "${pids[$j]}" || status=$?
    report "${batch[$j]}" "$status"
    [ "$status" -eq 0 ] || failed=1
  done
done
if [ "$failed" -ne 0 ]; then
  echo "==> fuzz FAILED" >&2
  exit 1
fi
echo "==> fuzz OK"
