#!/usr/bin/env bash
# Installs what the notebooks need from Debian's packages (Jupyter's nbconvert and kernel, pandas,
# matplotlib); the test command executes the notebooks when these exist.
set -euo pipefail
packages=(jupyter-nbconvert python3-nbconvert python3-ipykernel python3-pandas python3-matplotlib)
exec "$(dirname "${BASH_SOURCE[0]}")/../bin/apt-install.sh" "${packages[@]}"
