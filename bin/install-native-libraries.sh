#!/usr/bin/env bash
# Installs the native libraries pnet uses from the system: libjpeg-turbo's TurboJPEG
# (libturbojpeg.so.0), which ingest uses for JPEG decoding and encoding. Without it ingest falls
# back to OpenCV's bundled codec, about three times slower. Run as root (or with sudo) on every
# machine that runs Spark executors; the Docker image already has it.
set -euo pipefail
packages=(libturbojpeg0)
if [ "$(id -u)" -ne 0 ]; then
  exec sudo "$0" "$@"
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
echo "installed: ${packages[*]}"
