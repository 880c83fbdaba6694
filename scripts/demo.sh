#!/usr/bin/env bash
# The README's first command. Installs what is missing, builds the extension,
# starts the local cluster (memcached x2, Apache mod_php x2, nginx, all on
# 127.0.0.1 on free ports), narrates a failover tour, and leaves the cluster up.
#   bash scripts/demo.sh          the tour
#   bash scripts/demo.sh step     the tour, one step per Enter (to watch the status pages)
#   bash scripts/demo.sh stop     stop the cluster
#   bash scripts/demo.sh status   where it runs, and each node's state
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-tour}" in
  stop | status) exec python3 deploy/local_cluster.py "$1" ;;
  tour | step) ;;
  *) echo "usage: bash scripts/demo.sh [tour|step|status|stop]" >&2; exit 2 ;;
esac
bash scripts/install-deps.sh
bash scripts/build.sh --extension-only
echo
exec python3 deploy/local_cluster.py "${1:-tour}"
