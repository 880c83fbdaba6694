#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Builds the Debian package php<version>-clustered-session (debian/) for this
# machine's PHP, from a copy of the tracked files in a temporary directory (the
# work tree's own build outputs are not touched), and puts it into build-deb/.
#
#   bash scripts/build-deb.sh          tracked files as they are in the work tree
#   bash scripts/build-deb.sh --head   the committed tree of HEAD (git archive)
#
# Outside a git clone (an unpacked source tree), from config.m4, ext/, src/,
# debian/ and the docs as they are.
#
# The last line printed is the path of the .deb; then, as root:
#   dpkg -i build-deb/php<version>-clustered-session_1.0.0_amd64.deb
# The build log is build-deb/build.log. Build dependencies: debian/control.in
# (scripts/install-deps.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

from="worktree"
case "${1:-}" in
  "") ;;
  --head) from="head" ;;
  *) echo "usage: build-deb.sh [--head]" >&2; exit 2 ;;
esac

for tool in dpkg-buildpackage dh php-config /usr/share/dh-php/gen-control; do
  if ! command -v "$tool" >/dev/null; then
    echo "build-deb.sh: $tool is missing: apt-get install dpkg-dev debhelper dh-php php-dev" >&2
    echo "              (or bash scripts/install-deps.sh)" >&2
    exit 1
  fi
done

started=$SECONDS
work=$(mktemp -d "${TMPDIR:-/tmp}/clustered-session-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
src=$work/php-clustered-session
mkdir -p "$src"

if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  # An unpacked source tree without git: what the package is built from.
  [ "$from" = worktree ] || { echo "build-deb.sh: --head needs a git clone" >&2; exit 2; }
  echo "==> no git repository here: copying config.m4, ext/, src/, debian/ and the docs into $src"
  tar -cf - --exclude='*.lo' --exclude='*.o' --exclude='*.dep' --exclude=.libs \
    config.m4 ext src debian LICENSE README.md CHANGELOG.md | tar -xf - -C "$src"
elif [ "$from" = head ]; then
  echo "==> copying HEAD ($(git rev-parse --short HEAD)) into $src"
  git archive HEAD | tar -xf - -C "$src"
else
  echo "==> copying the tracked files ($(git rev-parse --short HEAD)$(git diff --quiet HEAD -- || echo ', with uncommitted changes')) into $src"
  # a tracked file deleted in the work tree is skipped (--ignore-failed-read)
  git ls-files -z | tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -xf - -C "$src"
fi

cd "$src"
chmod +x debian/rules
debian/rules debian/control >/dev/null
package=$(sed -n 's/^Package: //p' debian/control)
version=$(dpkg-parsechangelog -SVersion)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
echo "==> dpkg-buildpackage -b: $package $version ($arch), PHP $(php-config --version)"

mkdir -p "$repo/build-deb"
log=$repo/build-deb/build.log
if ! dpkg-buildpackage -b -us -uc -j"$(nproc)" >"$log" 2>&1; then
  tail -40 "$log" >&2
  echo "build-deb.sh: dpkg-buildpackage failed (whole log: $log)" >&2
  exit 1
fi

# dpkg-buildpackage puts its results beside the source directory.
rm -f "$repo/build-deb/${package}_"*.deb "$repo/build-deb/${package}-dbgsym_"*.deb
cp "$work/${package}_${version}_${arch}.deb" "$repo/build-deb/"
# the detached debug symbols, for a core dump of a crashed worker
cp "$work/${package}-dbgsym_${version}_${arch}."*deb "$repo/build-deb/" 2>/dev/null || true
echo "    built in $((SECONDS - started)) s (log: build-deb/build.log)"
echo "$repo/build-deb/${package}_${version}_${arch}.deb"
