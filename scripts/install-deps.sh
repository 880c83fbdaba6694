#!/usr/bin/env bash
# Installs what building and testing need on Debian 12 (run as root). Idempotent:
# packages already present are not fetched again.
set -euo pipefail

packages=(
  build-essential g++ cmake pkg-config autoconf python3
  php8.2-dev php8.2-cli
  libmemcached-dev memcached
  libgtest-dev googletest libbenchmark-dev
  apache2 libapache2-mod-php8.2 nginx
  chromium fonts-dejavu-core
  valgrind clang libclang-rt-14-dev llvm
)
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
