#!/usr/bin/env bash
# Sets everything up, builds threadleak, and runs it on the bundled example
# project (examples/), whose compile_commands.json CMake produces.
# THREADLEAK_LLVM / THREADLEAK_BUILD_DIR as in scripts/common.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh
./scripts/setup.sh
./scripts/build.sh   # progress on stderr
cmake -G Ninja -S examples -B "$BUILD_DIR/examples" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
ninja -C "$BUILD_DIR/examples" >/dev/null   # the example is real, compiling code
echo "== threadleak -p $BUILD_DIR/examples" >&2
status=0
"$BUILD_DIR/bin/threadleak" -p "$BUILD_DIR/examples" || status=$?
# 1 means "findings", which is the point of the demo.
if [ "$status" -gt 1 ]; then exit "$status"; fi
