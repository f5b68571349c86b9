#!/usr/bin/env bash
# Builds `pnet bench ingest --corpus`'s realistic corpus: textured crops of real photographs at
# ImageNet's sizes. Downloads six Debian packages' files (about 310 MB, not installed), extracts
# them beside the corpus, and runs realistic_corpus.py. Needs apt-get and Pillow (python3-pil).
#   tools/bench/realistic-corpus.sh OUT_DIR [--images 400] [--seed 7]
set -euo pipefail
out=${1:?usage: realistic-corpus.sh OUT_DIR [realistic_corpus.py options]}
shift
here=$(cd "$(dirname "$0")" && pwd)
sources="${out}.sources"
if [ ! -d "$sources/usr" ]; then
  mkdir -p "$sources/debs"
  (cd "$sources/debs" && apt-get download -q mate-backgrounds plasma-workspace-wallpapers \
    opencv-doc python3-skimage)
  for deb in "$sources"/debs/*.deb; do dpkg-deb -x "$deb" "$sources"; done
fi
/usr/bin/python3 "$here/realistic_corpus.py" "$sources" "$out" "$@"
