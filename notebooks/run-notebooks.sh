#!/usr/bin/env bash
# Executes every notebook headless against a study directory: run-notebooks.sh <study dir> [out dir]
# The executed copies (with their outputs) go to <out dir> (default: <study dir>/notebooks).
set -euo pipefail
study=${1:?usage: run-notebooks.sh <study dir> [out dir]}
out=${2:-$study/notebooks}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
for nb in "$here"/*.ipynb; do
  PNET_STUDY="$study" jupyter nbconvert --to notebook --execute \
    --ExecutePreprocessor.timeout=300 --output-dir "$out" "$nb"
done
