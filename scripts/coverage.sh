#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Line coverage of the core by GoogleTest alone (gcov), in build-coverage/:
#
#   bash scripts/coverage.sh            # every directory of src/, and the total of src/session/
#   bash scripts/coverage.sh --check    # fails when src/session/ is under 95 %
#
# Only core_tests runs (the simulator's ctest cases included: they are GoogleTest
# too); phpt and the end-to-end suite do not count here.
set -euo pipefail
cd "$(dirname "$0")/.."

cmake -S . -B build-coverage -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS="--coverage -O0" -DCMAKE_EXE_LINKER_FLAGS="--coverage" >/dev/null
cmake --build build-coverage -j2 --target core_tests >/dev/null
find build-coverage -name '*.gcda' -delete
(cd build-coverage && ./core_tests >/dev/null)

python3 - "$@" <<'PY'
import collections, os, subprocess, sys
objects = 'build-coverage/CMakeFiles/clustered_core.dir/src'
lines = collections.defaultdict(lambda: [0, 0])  # file -> [run, runnable]
for root, _, files in os.walk(objects):
    for name in files:
        if not name.endswith('.gcda'):
            continue
        out = subprocess.run(['gcov', '-n', '-o', root, os.path.join(root, name)],
                             capture_output=True, text=True).stdout
        current = None
        for line in out.splitlines():
            if line.startswith("File '"):
                path = line[6:-1]
                current = os.path.relpath(path) if '/src/' in path else None
            elif line.startswith('Lines executed:') and current and current.startswith('src/'):
                percent, total = line.split(':')[1].split('% of ')
                total = int(total)
                lines[current] = [round(float(percent) * total / 100), total]
                current = None
by_dir = collections.defaultdict(lambda: [0, 0])
for path, (run, total) in lines.items():
    d = os.path.dirname(path)
    by_dir[d][0] += run
    by_dir[d][1] += total
for d in sorted(by_dir):
    run, total = by_dir[d]
    print(f'{d:16} {100 * run / total:5.1f} % of {total} lines')
run, total = by_dir['src/session']
for path in sorted(p for p in lines if p.startswith('src/session/')):
    r, t = lines[path]
    print(f'  {path:40} {100 * r / t:5.1f} % of {t}')
share = 100 * run / total
print(f'src/session/ by GoogleTest alone: {share:.1f} %')
if '--check' in sys.argv and share < 95:
    sys.exit('src/session/ coverage is under 95 %')
PY
