#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Runs part of the tests inside a root of another platform, made with debootstrap
# from Debian's archive: the other platforms of the test command. scripts/test.sh
# calls it; alone:
#
#   bash scripts/debian-root.sh 13          Debian 13 (trixie, PHP 8.4): the platform
#                                           levels (install, build, GoogleTest, phpt,
#                                           the .deb, end-to-end on Apache and PHP-FPM, docs)
#   bash scripts/debian-root.sh 12          Debian 12 (bookworm, PHP 8.2): the same
#   bash scripts/debian-root.sh php8.5      Debian sid with PHP 8.5 from experimental:
#   bash scripts/debian-root.sh php8.6      build, GoogleTest, phpt, end-to-end "node
#                                           killed under load" on Apache and PHP-FPM
#   bash scripts/debian-root.sh 13 [command...]   another command in the root, e.g.
#       bash scripts/debian-root.sh php8.6 bash scripts/run-phpt.sh phpt/session_id_format.phpt
#
# PHP 8.5 and 8.6 come only from Debian's experimental suite, and php8.6's
# php-common breaks php8.5-common there: each has a sid root of its own, whose apt
# takes php8.X*, libphp8.X* and libapache2-mod-php8.X* from experimental (8.6 also
# php-common; 8.5 keeps sid's) and everything else from sid. This archive's sid and
# experimental Release files are past their Valid-Until date, so apt in those roots
# (never on the machine itself) does not check it.
#
# The root is kept in $CS_DEBIAN_ROOTS (default /var/tmp/clustered_session-roots)
# so that a second run skips debootstrap; the tree is copied in afresh every run
# (tracked files as they are in the working tree, uncommitted changes included).
# Everything runs in a mount and PID namespace of its own (unshare): the kernel
# kills whatever the tests leave running and drops every mount when the run ends,
# also when it fails. The network is the machine's (servers on 127.0.0.1, free
# ports, as on the machine itself); the root is bind-mounted onto itself so that
# `ip netns` (the network-fault tests) can mount /run/netns inside. Each root gets
# what an installed Debian has and debootstrap leaves out: /etc/hosts (localhost),
# /etc/resolv.conf.
#
# With CS_SUMMARY=<file>, appends one line for the run: platform, PHP, outcome, time.
# With CS_FAILURES=<file> too, a failed run appends what failed (the lines that say
# FAILED or FAIL, and the root's closing lines), so that the end of a long CI log
# names the failing test of a root whose own output scrolled by long before.
set -euo pipefail
cd "$(dirname "$0")/.."

target=${1:?usage: debian-root.sh 12|13|php8.5|php8.6 [command...]}
shift
php=""  # a PHP version from experimental, or the release's own PHP
case "$target" in
  12) suite=bookworm name=debian12 mode=platform ;;
  13) suite=trixie name=debian13 mode=platform ;;
  php8.5 | php8.6) suite=sid php=${target#php} name=sid-$target mode=php ;;
  *) echo "debian-root.sh: no root for '$target' (12, 13, php8.5 or php8.6)" >&2; exit 2 ;;
esac
[ $# -gt 0 ] || set -- bash scripts/test.sh "$mode"
roots=${CS_DEBIAN_ROOTS:-/var/tmp/clustered_session-roots}
root=$roots/$name
tree=/root/clustered_session

# The archive this machine installs from (deb822 or one-line sources).
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
mirror=${mirror:-http://deb.debian.org/debian}

command -v debootstrap >/dev/null || bash scripts/install-deps.sh
if [ ! -f "$root/.clustered-session-root" ]; then
  echo "==> $name root (Debian $suite${php:+, PHP $php from experimental}): debootstrap from $mirror into $root"
  rm -rf "$root.partial"
  mkdir -p "$roots"
  started=$SECONDS
  if ! debootstrap --variant=minbase "$suite" "$root.partial" "$mirror" >"$roots/debootstrap-$name.log" 2>&1; then
    tail -20 "$roots/debootstrap-$name.log" >&2
    echo "debootstrap of $suite failed (log: $roots/debootstrap-$name.log)" >&2
    exit 1
  fi
  # Packages must never start their services in the root: the tests start their
  # own servers on free ports, and Debian's would take 80 and 11211 on the machine.
  printf '#!/bin/sh\nexit 101\n' >"$root.partial/usr/sbin/policy-rc.d"
  chmod 755 "$root.partial/usr/sbin/policy-rc.d"
  if [ -n "$php" ]; then
    apt=$root.partial/etc/apt
    printf 'deb %s sid main\ndeb %s experimental main\n' "$mirror" "$mirror" >"$apt/sources.list"
    echo 'Acquire::Check-Valid-Until "false";' >"$apt/apt.conf.d/90clustered-session-valid-until"
    {
      printf 'Package: php%s* libphp%s* libapache2-mod-php%s*\n' "$php" "$php" "$php"
      printf 'Pin: release a=experimental\nPin-Priority: 990\n\n'
      printf 'Package: php-common\n'
      if [ "$php" = 8.5 ]; then printf 'Pin: release a=unstable\n'; else printf 'Pin: release a=experimental\n'; fi
      printf 'Pin-Priority: 990\n'
    } >"$apt/preferences.d/clustered-session-php"
    echo "$php" >"$root.partial/etc/clustered-session-php"
  fi
  rm -rf "$root"
  mv "$root.partial" "$root"
  touch "$root/.clustered-session-root"
  echo "    made in $((SECONDS - started)) s"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
grep -qs '^127\.0\.0\.1[[:space:]].*localhost' "$root/etc/hosts" ||
  printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >>"$root/etc/hosts"

echo "==> copying the tree into the $name root ($tree)"
rm -rf "${root:?}$tree"
mkdir -p "$root$tree"
git ls-files -z | tar --null -T - --ignore-failed-read -cf - | tar -xf - -C "$root$tree"
# A one-commit repository of that copy: scripts/build-deb.sh packs tracked files.
git -C "$root$tree" init -q
git -C "$root$tree" add -A
git -C "$root$tree" -c user.name=debian-root.sh -c user.email=root@localhost \
  commit -q -m "copy of $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- || echo ' with uncommitted changes')"
# The project's history beside it, for the e2e upgrade test, which builds the
# previous release from its commit (tests/e2e/previous_release.py).
git -C "$root$tree" fetch -q "$PWD" "+HEAD:refs/remotes/host/HEAD"

# In a new mount and PID namespace: the mounts and every process die with it.
started=$SECONDS
log=$roots/last-$name.log
set +e
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
' _ "$root" "$tree" "$@" 2>&1 | tee "$log"
# (tee ends with the namespace: every process in it dies with its first one.)
status=${PIPESTATUS[0]}
set -e
if [ -n "${CS_SUMMARY:-}" ]; then
  os=$(. "$root/etc/os-release" && echo "${PRETTY_NAME:-Debian $suite}")
  version=$(chroot "$root" php -n -r 'echo PHP_VERSION;' 2>/dev/null || echo "not installed")
  outcome=passed
  [ "$status" = 0 ] || outcome="FAILED (exit $status)"
  printf '%-34s PHP %-10s %-18s %5d s  (%s root: %s)\n' "$os" "$version" "$outcome" \
    $((SECONDS - started)) "$name" "$*" >>"$CS_SUMMARY"
fi
if [ "$status" != 0 ] && [ -n "${CS_FAILURES:-}" ]; then
  {
    echo "--- $name root ($*): exit $status; whole output in $log"
    grep -a -E '^(FAILED|FAIL|not ok)|FAILED|\*\*\*Failed|Error:' "$log" | grep -v -E '^\[  PASSED' | tail -40
    echo "    (its last lines:)"
    tail -25 "$log"
  } >>"$CS_FAILURES"
fi
exit "$status"
