# Sourced by the integration scripts: sets $bin to the threadleak executable
# ($THREADLEAK, else threadleak on PATH, else this checkout's build), or
# calls die "<why>" (each script defines die).
find_threadleak() {
  if [ -n "${THREADLEAK:-}" ]; then
    bin=$THREADLEAK
    [ -x "$bin" ] || command -v "$bin" >/dev/null 2>&1 || die "THREADLEAK='$bin' is not an executable"
  elif command -v threadleak >/dev/null 2>&1; then
    bin=threadleak
  else
    bin="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/bin/threadleak"
    # Under pre-commit "this checkout" is pre-commit's private clone of the
    # hook's repository, which nobody builds: the advice is the variable or
    # PATH.
    [ -x "$bin" ] || die "no threadleak executable: set THREADLEAK to its path, or put threadleak on PATH"
  fi
  # A gate must not pass without having checked: the executable must be
  # threadleak and run at least one check.
  "$bin" --list-checks 2>/dev/null | grep -q '^ *threadleak-' \
    || die "'$bin --list-checks' lists no threadleak check: is THREADLEAK a threadleak executable?"
}
