#!/usr/bin/env bash
# Runs threadleak for the GitHub Action in action.yml, and works the same on
# any machine, so the action's logic can be tested locally.
#
#   run-threadleak.sh [--no-fail]   run threadleak, write the SARIF report
#   run-threadleak.sh --gate CODE [FINDINGS]
#                                   explain exit status CODE (and the number
#                                   of findings) and exit with it
#
# The run reads its inputs from the environment (the action maps its inputs
# to these variables):
#
#   INPUT_BUILD_DIR      directory holding compile_commands.json   (build)
#   INPUT_ARGS           more threadleak arguments, quoted as in a shell:
#                        files, --baseline=..., --diff=..., --checks=... ('')
#   INPUT_SARIF_FILE     where to write the SARIF report   (threadleak.sarif)
#   INPUT_CATEGORY       code scanning category, written as the SARIF
#                        automationDetails.id "<category>/"      (threadleak)
#   INPUT_PROJECT_ROOT   paths in the report are relative to this directory
#                        ($GITHUB_WORKSPACE, else threadleak's default: the
#                        git top level)
#   INPUT_UPLOAD         true or false; only checked here, the action
#                        uploads                                      (true)
#   THREADLEAK           the threadleak executable (threadleak on PATH, else
#                        build/bin/threadleak of this checkout)
#
# The exit status is threadleak's: 0 no findings, 1 findings, 2 tool or input
# error, 3 a translation unit failed. With --no-fail the run exits 0 whatever
# threadleak found (a broken run of this script still fails), so that the
# action can upload the report before it fails the job with --gate.
#
# On GitHub ($GITHUB_ACTIONS=true) the status is one annotation: an error
# with the number of findings, from --gate (the action's last step), or from
# a run without --no-fail. With INPUT_UPLOAD=false, when no code scanning
# alert will show them, each finding is a `::warning file=...,line=...`
# annotation on the changed file (read from the SARIF report; needs python3).
#
# When $GITHUB_OUTPUT is set, the run appends these step outputs to it:
#   exit-code      threadleak's exit status
#   findings       the number of findings in the report ('' if none written)
#   sarif-file     the report's path (as given)
#   sarif-written  true if threadleak wrote the report, else false
#   project-root   the absolute project root ('' if threadleak chose it)
set -euo pipefail

prog=threadleak
die() { echo "$prog: error: $*" >&2; exit 2; }

explain() { # CODE [FINDINGS] [plain] -> one line on stderr, as a workflow
  # annotation on GitHub unless "plain"
  local code=$1 count=${2:-} kind msg what="findings"
  if [ -n "$count" ]; then
    what="$count finding"; [ "$count" = 1 ] || what="${what}s"
  fi
  case "$code" in
    0) kind=notice; msg="no findings" ;;
    1) kind=error; msg="threadleak reported $what (exit status 1); see the log or the code scanning alerts" ;;
    2) kind=error; msg="threadleak stopped on a tool or input error (exit status 2); see the error above" ;;
    3) kind=error; msg="a translation unit failed to compile, crashed or timed out (exit status 3); its findings may be missing" ;;
    *) kind=error; msg="threadleak ended abnormally (exit status $code)" ;;
  esac
  if [ "${GITHUB_ACTIONS:-}" = true ] && [ "${3:-}" != plain ]; then
    echo "::$kind title=threadleak::$msg" >&2
  else
    echo "$prog: $msg" >&2
  fi
}

no_fail=false
case "${1:-}" in
  --gate)
    [ $# -eq 2 ] || [ $# -eq 3 ] || die "usage: $0 --gate <exit-code> [<findings>]"
    case "$2" in
      ''|*[!0-9]*) die "--gate expects threadleak's exit status, not '$2' (did the run step fail before threadleak ran?)" ;;
    esac
    case "${3:-}" in
      *[!0-9]*) die "--gate expects the number of findings, not '$3'" ;;
    esac
    explain "$2" "${3:-}"
    exit "$2" ;;
  --no-fail) no_fail=true; shift ;;
  '') ;;
  *) die "unknown argument '$1' (usage: $0 [--no-fail] | --gate <exit-code>)" ;;
esac
[ $# -eq 0 ] || die "unexpected argument '$1'"

build_dir=${INPUT_BUILD_DIR:-build}
sarif_file=${INPUT_SARIF_FILE:-threadleak.sarif}
category=${INPUT_CATEGORY:-threadleak}
upload=${INPUT_UPLOAD:-true}
project_root=${INPUT_PROJECT_ROOT:-${GITHUB_WORKSPACE:-}}

case "$upload" in
  true|false) ;;
  *) die "input 'upload' must be true or false, not '$upload'" ;;
esac

# The threadleak executable.
# shellcheck source=../find-threadleak.sh
. "$(dirname "${BASH_SOURCE[0]}")/../find-threadleak.sh"
find_threadleak

[ -d "$build_dir" ] || die "input 'build-dir': '$build_dir' is not a directory (configure your project with -DCMAKE_EXPORT_COMPILE_COMMANDS=ON first)"
[ -f "$build_dir/compile_commands.json" ] || die "input 'build-dir': no compile_commands.json in '$build_dir' (configure your project with -DCMAKE_EXPORT_COMPILE_COMMANDS=ON)"

# INPUT_ARGS is split like a shell would (quotes and backslashes), without
# expanding anything: xargs does exactly that.
args=()
if [ -n "${INPUT_ARGS:-}" ]; then
  words=$(mktemp)
  trap 'rm -f -- "$words"' EXIT
  printf '%s\n' "$INPUT_ARGS" | xargs -r printf '%s\0' > "$words" 2>/dev/null \
    || die "input 'args' is not a valid argument list (unbalanced quotes?): $INPUT_ARGS"
  while IFS= read -r -d '' word; do args+=("$word"); done < "$words"
fi
for a in "${args[@]+"${args[@]}"}"; do
  case "$a" in
    --format|--format=*|-format|-format=*)
      die "input 'args' must not set --format: the action writes SARIF" ;;
    -o|-o=*|-o?*|--o|--o=*)
      die "input 'args' must not set -o: use the 'sarif-file' input" ;;
    --sarif-automation-id|--sarif-automation-id=*|-sarif-automation-id*)
      die "input 'args' must not set --sarif-automation-id: use the 'category' input" ;;
    --project-root|--project-root=*|-project-root*)
      die "input 'args' must not set --project-root: use the 'project-root' input" ;;
    -p|-p=*|-p?*|--p|--p=*)
      die "input 'args' must not set -p: use the 'build-dir' input" ;;
    --merge|-merge)
      die "input 'args' must not contain --merge" ;;
  esac
done

# Code scanning reads the category as the part of automationDetails.id up to
# its last '/'; upload-sarif would write "<category>/" too.
automation_id="${category%/}/"

cmd=("$bin" -p "$build_dir" --format=sarif -o "$sarif_file" --sarif-automation-id="$automation_id")
if [ -n "$project_root" ]; then
  [ -d "$project_root" ] || die "input 'project-root': '$project_root' is not a directory"
  project_root=$(cd "$project_root" && pwd)
  cmd+=(--project-root="$project_root")
fi
cmd+=("${args[@]+"${args[@]}"}")

# Never upload a stale report: threadleak writes its output whole or not at
# all, so a run that stops early would leave the previous one in place.
rm -f -- "$sarif_file"
mkdir -p -- "$(dirname -- "$sarif_file")" || die "input 'sarif-file': cannot create the directory of '$sarif_file'"

echo "$prog: running: ${cmd[*]}" >&2
status=0
"${cmd[@]}" || status=$?

written=false
findings=
[ -f "$sarif_file" ] && written=true
if [ "$written" = true ]; then
  echo "$prog: wrote $sarif_file" >&2
  # threadleak writes one "ruleId" per result, on a line of its own.
  findings=$(grep -c '"ruleId":' "$sarif_file" || true)
else
  echo "$prog: no report written to $sarif_file" >&2
fi

# Without code scanning, the findings as annotations on the files.
if [ "${GITHUB_ACTIONS:-}" = true ] && [ "$upload" = false ] && [ "$written" = true ] \
   && [ "${findings:-0}" != 0 ]; then
  if command -v python3 >/dev/null; then
    python3 "$(dirname "${BASH_SOURCE[0]}")/sarif-annotations.py" "$sarif_file" \
      "${GITHUB_WORKSPACE:-$PWD}" >&2 \
      || echo "$prog: could not turn $sarif_file into annotations" >&2
  else
    echo "$prog: no python3: findings are not annotated; see $sarif_file" >&2
  fi
fi
# With --no-fail the gate step annotates the status; here it is a log line.
if [ "$no_fail" = true ]; then
  explain "$status" "$findings" plain
else
  explain "$status" "$findings"
fi

if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "exit-code=$status"
    echo "findings=$findings"
    echo "sarif-file=$sarif_file"
    echo "sarif-written=$written"
    echo "project-root=$project_root"
  } >> "$GITHUB_OUTPUT"
fi

if [ "$no_fail" = true ]; then
  exit 0
fi
exit "$status"
