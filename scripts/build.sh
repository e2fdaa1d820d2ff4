#!/usr/bin/env bash
# Configures and builds threadleak (CLI, clang-tidy plugin, unit tests) in
# build/ (or $THREADLEAK_BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${THREADLEAK_BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -G Ninja -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
ninja -C "$BUILD_DIR" ${NINJA_FLAGS:-}
