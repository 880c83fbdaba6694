#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Installs what building and testing need on Debian 12 or 13 (run as root).
# Idempotent: packages already present are not fetched again. PHP and clang come
# through Debian's default-version packages (php-dev: 8.2 on 12, 8.4 on 13).
set -euo pipefail

packages=(
  build-essential g++ cmake pkg-config autoconf python3 git
  php-dev php-cli php-fpm
  libmemcached-dev memcached libsodium-dev
  libgtest-dev googletest libbenchmark-dev
  apache2 libapache2-mod-php nginx
  chromium fonts-dejavu-core
  faketime patchelf  # the clock the phpt tests set (CsClock in phpt/include/helper.inc)
  dh-php debhelper dpkg-dev fakeroot  # the .deb (debian/, scripts/build-deb.sh)
  debootstrap  # the Debian 13 root of scripts/test.sh debian13
  iproute2 procps  # ip netns (network-fault tests), pgrep (not in a minimal root)
)
# The tools of the levels that run on one platform only (scripts/test.sh here):
# valgrind, and clang for the sanitizers and fuzzers. --platform leaves them out.
if [ "${1:-}" = --platform ]; then
  shift
else
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
