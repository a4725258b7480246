#!/usr/bin/env bash
# Installs the Debian 12 packages the workbook needs, and only those that are missing.
# Usage: tools/setup.sh [--torch]   (--torch adds python3-torch, used only to regenerate fixtures)
set -euo pipefail

packages=(g++ cmake ninja-build pkg-config
          libxtensor-dev xtl-dev libxsimd-dev libxtensor-blas-dev libopenblas-dev
          catch2 doxygen graphviz libjs-mathjax inotify-tools)
[ "${1:-}" = "--torch" ] && packages+=(python3-torch python3-numpy)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "workbook: installing missing Debian packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo)
elif command -v sudo >/dev/null 2>&1 && [ -t 0 ]; then
  sudo=(sudo)   # will ask for the password
else
  echo "workbook: missing packages (${missing[*]}); run as root or with sudo:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 2
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "workbook: packages installed."
