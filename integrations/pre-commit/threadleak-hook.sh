#!/usr/bin/env bash
# pre-commit hook: runs threadleak on the staged C/C++ files it is given.
#
#   threadleak-hook.sh [threadleak options] FILE...
#
# pre-commit passes the hook's `args:` first, then the staged files, from
# the repository's top level. Options (arguments that start with '-') go to
# threadleak; give them as --option=value (-j N and -p DIR are understood
# too).
#
# Only files of the compilation database are analysed: the others (headers,
# generated or unbuilt sources) are skipped, not errors. A header's findings
# show up when a staged source that includes it is analysed, and in CI.
#
# Environment:
#   THREADLEAK_BUILD_DIR   build directory with compile_commands.json (build)
#   THREADLEAK             the threadleak executable (threadleak on PATH, else
#                          build/bin/threadleak of the checkout holding this
#                          script)
#
# Exit status: threadleak's (0 no findings, 1 findings, 2 tool or input
# error, 3 a translation unit failed); 0 when no file is in the database.
set -euo pipefail

prog=threadleak-hook
die() { echo "$prog: error: $*" >&2; exit 2; }

build_dir=${THREADLEAK_BUILD_DIR:-build}
opts=()
files=()
while [ $# -gt 0 ]; do
  case "$1" in
    -p) [ $# -ge 2 ] || die "-p needs a build directory"; build_dir=$2; shift 2 ;;
    -p=*|--p=*) build_dir=${1#*=}; shift ;;
    -j) [ $# -ge 2 ] || die "-j needs a number"; opts+=(-j "$2"); shift 2 ;;
    -*) opts+=("$1"); shift ;;
    *) files+=("$1"); shift ;;
  esac
done

# shellcheck source=../find-threadleak.sh
. "$(dirname "${BASH_SOURCE[0]}")/../find-threadleak.sh"
find_threadleak

[ ${#files[@]} -gt 0 ] || exit 0

db="$build_dir/compile_commands.json"
[ -f "$db" ] || die "no compilation database '$db': configure the project with -DCMAKE_EXPORT_COMPILE_COMMANDS=ON, or set THREADLEAK_BUILD_DIR to its build directory"

command -v python3 >/dev/null 2>&1 || die "python3 is needed to read '$db'"

# The named files that the database compiles, compared by real path; each
# kept file is printed as given, NUL-terminated. The skipped ones are listed
# on stderr.
selected=$(mktemp)
trap 'rm -f -- "$selected"' EXIT
python3 - "$db" "${files[@]}" > "$selected" <<'PY' || die "cannot read the compilation database '$db'"
import json, os, sys

db_path, names = sys.argv[1], sys.argv[2:]
try:
    with open(db_path, encoding="utf-8") as f:
        entries = json.load(f)
    known = set()
    for e in entries:
        path = os.path.join(e.get("directory", ""), e["file"])
        known.add(os.path.realpath(path))
except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
    sys.stderr.write("threadleak-hook: error: malformed compilation database '%s': %s\n" % (db_path, err))
    sys.exit(1)
skipped = []
for name in names:
    if os.path.realpath(name) in known:
        sys.stdout.write(name + "\0")
    else:
        skipped.append(name)
if skipped:
    sys.stderr.write("threadleak-hook: skipped (not in %s): %s\n" % (db_path, " ".join(skipped)))
PY

kept=()
while IFS= read -r -d '' f; do kept+=("$f"); done < "$selected"
[ ${#kept[@]} -gt 0 ] || exit 0

status=0
# No '--' before the files: threadleak reads what follows '--' as compiler
# flags.
"$bin" -p "$build_dir" --quiet "${opts[@]+"${opts[@]}"}" "${kept[@]}" || status=$?
exit "$status"
