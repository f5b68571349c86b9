#!/usr/bin/env bash
# Installs what the notebooks need from Debian's packages (Jupyter's nbconvert and kernel, pandas,
# matplotlib). Run as root (or with sudo); the test command executes the notebooks when these exist.
set -euo pipefail
packages=(jupyter-nbconvert python3-nbconvert python3-ipykernel python3-pandas python3-matplotlib)
if [ "$(id -u)" -ne 0 ]; then
  exec sudo "$0" "$@"
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
echo "installed: ${packages[*]}"
