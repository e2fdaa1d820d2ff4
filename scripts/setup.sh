#!/usr/bin/env bash
# Installs what threadleak needs to build and test, from Debian 12's archive,
# for LLVM/Clang $THREADLEAK_LLVM (default 22; see scripts/common.sh).
# Idempotent: does nothing when everything is already installed.
#
# Every header a test suite includes comes from a package listed here; when a
# test starts including a new one, add its package (`dpkg -S /usr/include/...`)
# and re-run scripts/dev/fresh-machine.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh
V=$THREADLEAK_LLVM

PACKAGES=(
  cmake ninja-build g++ python3
  # LLVM/Clang: the libraries, clang-tidy (plugin host), lit and FileCheck.
  "llvm-$V-dev" "libclang-$V-dev" "clang-$V" "clang-tidy-$V" "clang-tools-$V" "llvm-$V-tools"
  # Unit tests.
  libgtest-dev
  # Real headers for test/real-headers/: <boost/thread.hpp>, Boost.Asio and
  # Boost.Fiber (all in libboost1.81-dev, which libboost-thread1.81-dev pulls
  # in) and oneTBB's <tbb/concurrent_queue.h>.
  libboost-thread1.81-dev libtbb-dev
  # SARIF output is validated against the schema; the action and pre-commit
  # YAML files are parsed in test/integrations/.
  python3-jsonschema python3-yaml
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
