#!/usr/bin/env bash
# Installs what building and testing need on Debian 12 (run as root). Idempotent:
# packages already present are not fetched again.
set -euo pipefail

packages=(
  build-essential g++ cmake pkg-config autoconf python3
  php8.2-dev php8.2-cli
  libmemcached-dev memcached
  libgtest-dev googletest
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
# The Debian package runs memcached as a service on 11211; our tests start their
# own on free ports and never need it.
