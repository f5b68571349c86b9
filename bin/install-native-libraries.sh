#!/usr/bin/env bash
# Installs the native libraries pnet uses from the system: libjpeg-turbo's TurboJPEG
# (libturbojpeg.so.0), which ingest uses for JPEG decoding and encoding (without it ingest falls
# back to OpenCV's bundled codec, about twice as slow), and jemalloc (libjemalloc.so.2), the
# allocator bin/pnet preloads because glibc's malloc slows training steps (docs/running.md, "Native code").
# Run on every machine that runs Spark executors; the Docker image already has both.
set -euo pipefail
packages=(libturbojpeg0 libjemalloc2)
exec "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh" "${packages[@]}"
