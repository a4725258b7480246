#!/usr/bin/env bash
# Installs the Debian 12 packages the workbook needs, and only those that are missing.
# Usage: tools/setup.sh [--torch]   (--torch adds python3-torch, used only to regenerate fixtures)
# The browser packages (chromium, chromium-driver, python3-selenium, python3-numpy) are
# installed like the others; `./workbook test` checks the docs and the attention explorer
# in them. Where they cannot be installed (no root, no sudo), the rest still works and those
# two checks say that they were skipped.
set -euo pipefail

packages=(g++ cmake ninja-build pkg-config
          libxtensor-dev xtl-dev libxsimd-dev libxtensor-blas-dev libopenblas-dev
          catch2 doxygen graphviz libjs-mathjax inotify-tools python3)
browser=(chromium chromium-driver python3-selenium python3-numpy)
[ "${1:-}" = "--torch" ] && packages+=(python3-torch python3-numpy)

missing_of() {  # missing_of PACKAGE...: those not installed
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}
mapfile -t missing < <(missing_of "${packages[@]}")
mapfile -t missing_browser < <(missing_of "${browser[@]}")
[ ${#missing[@]} -eq 0 ] && [ ${#missing_browser[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo)
elif command -v sudo >/dev/null 2>&1 && [ -t 0 ]; then
  sudo=(sudo)   # will ask for the password
else
  if [ ${#missing[@]} -eq 0 ]; then
    echo "workbook: not installed: ${missing_browser[*]} (no root, no sudo): the browser checks of" \
         "./workbook test will be skipped; sudo apt-get install -y ${missing_browser[*]} to run them" >&2
    exit 0
  fi
  echo "workbook: missing packages (${missing[*]} ${missing_browser[*]}); run as root or with sudo:" >&2
  echo "  sudo apt-get install -y ${missing[*]} ${missing_browser[*]}" >&2
  exit 2
fi
echo "workbook: installing missing Debian packages: ${missing[*]} ${missing_browser[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" "${missing_browser[@]}" >/dev/null
echo "workbook: packages installed."
