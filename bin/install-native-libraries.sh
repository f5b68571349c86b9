#!/usr/bin/env bash
# Installs the native libraries pnet uses from the system: libjpeg-turbo's TurboJPEG
# (libturbojpeg.so.0), which ingest uses for JPEG decoding and encoding. Without it ingest falls
# back to OpenCV's bundled codec, about twice as slow. Run on every machine that runs Spark
# executors; the Docker image already has it.
set -euo pipefail
packages=(libturbojpeg0)
exec "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh" "${packages[@]}"
