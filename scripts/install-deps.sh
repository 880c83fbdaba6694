#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Installs what building and testing need on Debian 12 or 13 (run as root).
# Idempotent: packages already present are not fetched again. PHP and clang come
# through Debian's default-version packages (php-dev: 8.2 on 12, 8.4 on 13), or,
# in a root made by scripts/debian-root.sh php8.X (/etc/clustered-session-php
# names the version), PHP 8.X's own packages from experimental.
#
#   bash scripts/install-deps.sh             everything (this machine's levels)
#   bash scripts/install-deps.sh --platform  what the levels of a Debian root need
#   bash scripts/install-deps.sh --php       what a PHP-version root needs (build,
#                                            GoogleTest, phpt, node-killed e2e)
set -euo pipefail

php_version=$(cat /etc/clustered-session-php 2>/dev/null || true)
if [ -n "$php_version" ]; then
  php_packages=("php$php_version-dev" "php$php_version-cli" "php$php_version-fpm")
  apache_php=("libapache2-mod-php$php_version")
else
  php_packages=(php-dev php-cli php-fpm)
  apache_php=(libapache2-mod-php)
fi

level=${1:-}
[ $# -gt 0 ] && [[ $1 == --* ]] && shift
packages=(
  build-essential g++ cmake pkg-config autoconf python3 git
  "${php_packages[@]}"
  memcached libsodium-dev liblz4-dev libzstd-dev
  libgtest-dev googletest libbenchmark-dev
  apache2 "${apache_php[@]}" nginx
  faketime patchelf  # the clock the phpt tests set (CsClock in phpt/include/helper.inc)
  iproute2 procps  # ip netns (network-fault tests), pgrep (not in a minimal root)
)
if [ "$level" != --php ]; then
  packages+=(
    chromium fonts-dejavu-core  # the status page in a browser (e2e)
    dh-php debhelper dpkg-dev fakeroot  # the .deb (debian/, scripts/build-deb.sh)
    debootstrap  # the roots of the other platforms (scripts/debian-root.sh)
    libmemcached-dev  # the previous release's build (e2e previous-release)
  )
fi
# The tools of the levels that run on one platform only (scripts/test.sh here):
# valgrind, and clang for the sanitizers and fuzzers.
if [ -z "$level" ]; then
  packages+=(valgrind clang libclang-rt-dev llvm)
fi
packages+=("$@")

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts memcached, Apache and nginx as services where it can (not in
# containers with policy-rc.d). Our scripts never use those: they start their own
# servers on 127.0.0.1 on free ports.
