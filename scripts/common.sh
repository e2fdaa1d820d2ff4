# Sourced by the scripts in scripts/: which LLVM/Clang major to build and test
# against, and where to build.
#
#   THREADLEAK_LLVM       the LLVM/Clang major (default 22; 19 is also tested)
#   THREADLEAK_BUILD_DIR  the build directory (default build/ for 22,
#                         build-llvm<major>/ for any other major)
THREADLEAK_LLVM=${THREADLEAK_LLVM:-22}
case "$THREADLEAK_LLVM" in
  ''|*[!0-9]*) echo "threadleak: THREADLEAK_LLVM must be a major version such as 22 or 19, not '$THREADLEAK_LLVM'" >&2; exit 2 ;;
esac
if [ "$THREADLEAK_LLVM" = 22 ]; then
  BUILD_DIR=${THREADLEAK_BUILD_DIR:-build}
else
  BUILD_DIR=${THREADLEAK_BUILD_DIR:-build-llvm$THREADLEAK_LLVM}
fi
export THREADLEAK_LLVM
