#!/usr/bin/env bash
# Installs what threadleak needs to build and test, from Debian 12's archive.
# Idempotent: does nothing when everything is already installed.
set -euo pipefail

PACKAGES=(
  cmake ninja-build g++ python3
  # LLVM/Clang 22: the libraries, clang-tidy (plugin host), lit and FileCheck.
  llvm-22-dev libclang-22-dev clang-22 clang-tidy-22 clang-tools-22 llvm-22-tools
  # Unit tests, and real headers for the real-header test suite.
  libgtest-dev libboost-thread1.81-dev
  # SARIF output is validated against the schema.
  python3-jsonschema
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 2; }
  SUDO=sudo
fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
