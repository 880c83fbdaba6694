#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Runs the platform part of the tests (install, build, GoogleTest, phpt, end-to-end
# on Apache and PHP-FPM, the .deb, docs) inside a root of another Debian release,
# made with debootstrap from Debian's archive: the second platform of the test
# command. scripts/test.sh calls it; alone:
#
#   bash scripts/test.sh debian13     (or debian12: the release to test in)
#   bash scripts/debian-root.sh 13 [command...]   another command in the root, e.g.
#       bash scripts/debian-root.sh 13 bash scripts/run-phpt.sh phpt/session_id_format.phpt
#
# The root is kept in $CS_DEBIAN_ROOTS (default /var/tmp/clustered_session-roots)
# so that a second run skips debootstrap; the tree is copied in afresh every run
# (tracked files as they are in the working tree, uncommitted changes included).
# Everything runs in a mount and PID namespace of its own (unshare): the kernel
# kills whatever the tests leave running and drops every mount when the run ends,
# also when it fails. The network is the machine's (servers on 127.0.0.1, free
# ports, as on the machine itself); the root is bind-mounted onto itself so that
# `ip netns` (the network-fault tests) can mount /run/netns inside.
set -euo pipefail
cd "$(dirname "$0")/.."

release=${1:?usage: debian-root.sh 12|13 [command...]}
shift
[ $# -gt 0 ] || set -- bash scripts/test.sh platform
case "$release" in
  12) suite=bookworm ;;
  13) suite=trixie ;;
  *) echo "debian-root.sh: no Debian $release root (12 or 13)" >&2; exit 2 ;;
esac
roots=${CS_DEBIAN_ROOTS:-/var/tmp/clustered_session-roots}
root=$roots/debian$release
tree=/root/clustered_session

# The archive this machine installs from (deb822 or one-line sources).
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
mirror=${mirror:-http://deb.debian.org/debian}

command -v debootstrap >/dev/null || bash scripts/install-deps.sh
if [ ! -f "$root/.clustered-session-root" ]; then
  echo "==> Debian $release ($suite) root: debootstrap from $mirror into $root"
  rm -rf "$root.partial"
  mkdir -p "$roots"
  started=$SECONDS
  if ! debootstrap --variant=minbase "$suite" "$root.partial" "$mirror" >"$roots/debootstrap-$suite.log" 2>&1; then
    tail -20 "$roots/debootstrap-$suite.log" >&2
    echo "debootstrap of $suite failed (log: $roots/debootstrap-$suite.log)" >&2
    exit 1
  fi
  # Packages must never start their services in the root: the tests start their
  # own servers on free ports, and Debian's would take 80 and 11211 on the machine.
  printf '#!/bin/sh\nexit 101\n' >"$root.partial/usr/sbin/policy-rc.d"
  chmod 755 "$root.partial/usr/sbin/policy-rc.d"
  rm -rf "$root"
  mv "$root.partial" "$root"
  touch "$root/.clustered-session-root"
  echo "    made in $((SECONDS - started)) s"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"

echo "==> copying the tree into the Debian $release root ($tree)"
rm -rf "${root:?}$tree"
mkdir -p "$root$tree"
git ls-files -z | tar --null -T - --ignore-failed-read -cf - | tar -xf - -C "$root$tree"
# A one-commit repository of that copy: scripts/build-deb.sh packs tracked files.
git -C "$root$tree" init -q
git -C "$root$tree" add -A
git -C "$root$tree" -c user.name=debian-root.sh -c user.email=root@localhost \
  commit -q -m "copy of $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- || echo ' with uncommitted changes')"

# In a new mount and PID namespace: the mounts and every process die with it.
unshare --mount --pid --fork --propagation private -- bash -euo pipefail -c '
  root=$1 tree=$2
  shift 2
  mount --bind "$root" "$root"
  mount -t proc proc "$root/proc"
  mount -t sysfs sysfs "$root/sys"
  mount --bind /dev "$root/dev"
  mount --bind /dev/pts "$root/dev/pts"
  mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm"
  mount -t tmpfs -o mode=755 tmpfs "$root/run"
  exec chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    bash -c "cd $tree && . /etc/os-release && echo \"==> in \$PRETTY_NAME\" && exec \"\$@\"" _ "$@"
' _ "$root" "$tree" "$@"
