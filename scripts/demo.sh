#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The README's first command. Installs what is missing, builds the extension,
# starts the local cluster (memcached x2, Apache mod_php x2 or with --fpm PHP-FPM x2,
# nginx, all on 127.0.0.1 on free ports), narrates a failover tour, and leaves the
# cluster up.
#   bash scripts/demo.sh [--fpm]        the tour (--fpm: the app nodes are PHP-FPM)
#   bash scripts/demo.sh step [--fpm]   the tour, one step per Enter (to watch the status pages)
#   bash scripts/demo.sh stop           stop the cluster (either kind)
#   bash scripts/demo.sh status         where it runs, which kind, and each node's state
set -euo pipefail
cd "$(dirname "$0")/.."

usage="usage: bash scripts/demo.sh [tour|step] [--fpm] | status | stop"
command=tour fpm=()
for argument in "$@"; do
  case "$argument" in
    --fpm) fpm=(--fpm) ;;
    tour | step | stop | status) command=$argument ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
[ "$#" -le $((1 + ${#fpm[@]})) ] || { echo "$usage" >&2; exit 2; }
case "$command" in
  stop | status)
    [ ${#fpm[@]} -eq 0 ] || { echo "$usage" >&2; exit 2; }
    exec python3 deploy/local_cluster.py "$command" ;;
esac
bash scripts/install-deps.sh
bash scripts/build.sh --extension-only
echo
exec python3 deploy/local_cluster.py "$command" "${fpm[@]}"
