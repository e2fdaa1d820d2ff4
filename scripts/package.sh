#!/usr/bin/env bash
# Builds threadleak and packs it as a Debian package:
#   $BUILD_DIR/threadleak_<version>_amd64.deb
# with the CLI (/usr/bin/threadleak), the clang-tidy plugin
# (/usr/lib/threadleak/ThreadLeakPlugin.so), the CMake module
# (/usr/share/threadleak/cmake/ThreadLeak.cmake) and the docs
# (/usr/share/doc/threadleak). Depends are computed by dpkg-shlibdeps
# (libclang-cpp<major>, libllvm<major>, ...) plus libclang-common-<major>-dev
# for Clang's builtin headers; clang-tidy-<major> is a Recommends.
# THREADLEAK_LLVM / THREADLEAK_BUILD_DIR as in scripts/common.sh: the package
# is for the LLVM major it was built against.
#
# Install it with `apt install ./threadleak_<version>_amd64.deb`;
# scripts/dev/fresh-machine.sh --package <deb> proves that on a clean chroot.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh
./scripts/setup.sh
command -v dpkg-shlibdeps >/dev/null || {
  echo "package: needs dpkg-shlibdeps (apt-get install dpkg-dev)" >&2; exit 2; }
./scripts/build.sh
rm -f "$BUILD_DIR"/threadleak_*.deb
(cd "$BUILD_DIR" && cpack -G DEB >&2)
deb=$(ls "$BUILD_DIR"/threadleak_*.deb)
dpkg-deb --field "$deb" Package Version Architecture Depends Recommends >&2
echo "$deb"
