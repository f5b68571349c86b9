#!/usr/bin/env bash
# Installs Debian/Ubuntu packages non-interactively, as root (re-running itself with sudo when not
# root). Used by install-native-libraries.sh and notebooks/install-debian-packages.sh.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
  exec sudo "$0" "$@"
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "$@" >/dev/null
echo "installed: $*"
