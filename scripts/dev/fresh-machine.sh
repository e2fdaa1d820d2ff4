#!/usr/bin/env bash
# Proves the README on a fresh Debian 12 machine: debootstraps bookworm into
# a temporary directory, copies this checkout's HEAD in (`git archive`: what
# is committed, nothing built, no caches), and runs the README's two
# commands inside a chroot:
#
#   ./scripts/demo.sh   then   ./scripts/test.sh
#
# With --package DEB it instead proves the Debian package: `apt install
# ./DEB` in the clean chroot, then the installed `threadleak` (and the
# clang-tidy plugin) on examples/, whose compile_commands.json CMake makes.
#
# Reports pass/fail and how long each step took; unmounts and removes the
# chroot even when a step fails (--keep keeps it, still unmounted). Needs
# root, debootstrap and network access to the Debian archive. Not part of
# CI: run it whenever scripts/setup.sh or the headers a test includes change.
#
#   scripts/dev/fresh-machine.sh [--package DEB] [--llvm MAJOR] [--keep]
#                                [--mirror URL] [--security-mirror URL]
#
# The mirrors default to the host's (deb.debian.org). The chroot uses
# bookworm, bookworm-updates and bookworm-security, as a freshly installed
# Debian 12 does; LLVM 22 comes from bookworm-security.
# No ccache and no build directory is shared with the host: the build in
# the chroot is from scratch, which is the point (and takes a while).
set -uo pipefail

usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

MIRROR=http://deb.debian.org/debian
SECURITY_MIRROR=http://deb.debian.org/debian-security
PACKAGE=""
KEEP=0
LLVM=${THREADLEAK_LLVM:-22}
while [ $# -gt 0 ]; do
  case "$1" in
    --package) PACKAGE=$(realpath "$2") || exit 2; shift 2 ;;
    --llvm) LLVM=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --mirror) MIRROR=$2; shift 2 ;;
    --security-mirror) SECURITY_MIRROR=$2; shift 2 ;;
    -h|--help) usage ;;
    *) echo "fresh-machine: unknown argument '$1'" >&2; usage ;;
  esac
done

[ "$(id -u)" -eq 0 ] || { echo "fresh-machine: must run as root (debootstrap, chroot, mount)" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "fresh-machine: needs debootstrap (apt-get install debootstrap)" >&2; exit 2; }
[ -z "$PACKAGE" ] || [ -f "$PACKAGE" ] || { echo "fresh-machine: no such package: $PACKAGE" >&2; exit 2; }

SRC=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/threadleak-fresh.XXXXXX")
ROOT=$WORK/root
LOG=$WORK/log
mkdir -p "$ROOT"
: >"$LOG"
MOUNTED=()

say() { echo "fresh-machine: $*" | tee -a "$LOG" >&2; }

# Everything mounted below $ROOT, deepest first.
mounts_below_root() {
  awk -v r="$ROOT" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/mounts | sort -r
}

cleanup() {
  local m
  for m in $(mounts_below_root); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || say "could not unmount $m"
  done
  if [ -n "$(mounts_below_root)" ]; then
    say "still mounted below $ROOT; NOT removing it: $(mounts_below_root | tr '\n' ' ')"
    return
  fi
  local keep_log="${TMPDIR:-/var/tmp}/threadleak-fresh-$(date -u +%Y%m%dT%H%M%SZ).log"
  cp "$LOG" "$keep_log" 2>/dev/null && echo "fresh-machine: full log: $keep_log" >&2
  if [ "$KEEP" = 1 ]; then
    echo "fresh-machine: kept the (unmounted) chroot in $ROOT" >&2
  else
    rm -rf --one-file-system "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

declare -a STEP_NAMES=() STEP_TIMES=() STEP_RESULTS=()
# step NAME COMMAND...: runs, logs, times, records; returns the status.
step() {
  local name=$1; shift
  say "== $name"
  local t0=$SECONDS status
  "$@" >>"$LOG" 2>&1
  status=$?
  STEP_NAMES+=("$name"); STEP_TIMES+=($((SECONDS - t0)))
  if [ $status -eq 0 ]; then STEP_RESULTS+=(pass); else STEP_RESULTS+=("FAIL ($status)"); fi
  say "   $name: ${STEP_RESULTS[-1]} in $((SECONDS - t0))s"
  return $status
}

report() {
  local i ok=0
  echo >&2
  echo "fresh-machine: $(date -u '+%F %T') UTC, checkout $COMMIT, LLVM $LLVM${PACKAGE:+, package $(basename "$PACKAGE")}" >&2
  for i in "${!STEP_NAMES[@]}"; do
    printf 'fresh-machine:   %-42s %-10s %5ds\n' "${STEP_NAMES[$i]}" "${STEP_RESULTS[$i]}" "${STEP_TIMES[$i]}" >&2
    [ "${STEP_RESULTS[$i]}" = pass ] || ok=1
  done
  if [ $ok -eq 0 ]; then echo "fresh-machine: PASS in ${SECONDS}s" >&2; else echo "fresh-machine: FAIL after ${SECONDS}s" >&2; fi
  return $ok
}

# in_chroot CMD: runs a bash command line as root in the chroot, with the
# environment of a fresh login shell and nothing of ours (no ccache, no
# THREADLEAK_*, no proxy settings beyond apt's own).
in_chroot() {
  chroot "$ROOT" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    /bin/bash -lc "$1"
}

bootstrap() {
  debootstrap --arch=amd64 bookworm "$ROOT" "$MIRROR" || return
  cat >"$ROOT/etc/apt/sources.list" <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb $SECURITY_MIRROR bookworm-security main
EOF
  # No daemons started from inside the chroot by package scripts.
  printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
  chmod +x "$ROOT/usr/sbin/policy-rc.d"
  cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
  mount -t proc proc "$ROOT/proc" && mount -t sysfs sysfs "$ROOT/sys" &&
    mount --bind /dev "$ROOT/dev" && mount --bind /dev/pts "$ROOT/dev/pts" &&
    mount -t tmpfs tmpfs "$ROOT/dev/shm" || return
  # A fresh machine has applied its updates.
  in_chroot 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get -y -qq upgrade >/dev/null'
}

copy_checkout() {
  mkdir -p "$ROOT/root/threadleak"
  git -C "$SRC" archive --format=tar HEAD | tar -x -C "$ROOT/root/threadleak"
}

COMMIT=$(git -C "$SRC" rev-parse --short HEAD)$(git -C "$SRC" diff --quiet HEAD || echo " (uncommitted changes are NOT included)")

# All in a function: bash reads a script as it runs it, so editing this
# file during a (long) run would otherwise break that run.
main() {
  say "working in $WORK; full log: $LOG"
  step "debootstrap bookworm + updates" bootstrap || { report; exit 1; }
  step "copy checkout $COMMIT (git archive HEAD)" copy_checkout || { report; exit 1; }

  if [ -z "$PACKAGE" ]; then
    # The README, verbatim: the two commands, from the checkout's root.
    step "./scripts/demo.sh" in_chroot "cd /root/threadleak && THREADLEAK_LLVM=$LLVM ./scripts/demo.sh >/root/demo.out; s=\$?; cat /root/demo.out; exit \$s"
    # The demo's point is its findings: at least one threadleak warning.
    step "demo.sh printed findings" grep -q 'warning: .*\[threadleak-' "$ROOT/root/demo.out"
    step "./scripts/test.sh" in_chroot "cd /root/threadleak && THREADLEAK_LLVM=$LLVM ./scripts/test.sh"
    say "test.sh's last line: $(grep -E '^[0-9]+ passed, [0-9]+ failed' "$LOG" | tail -1)"
  else
    cp "$PACKAGE" "$ROOT/root/"
    deb=/root/$(basename "$PACKAGE")
    # As the GitHub Action's `package` input does it: apt resolves the
    # package's Depends (and installs its Recommends, as apt does by default)
    # from the archive.
    step "apt install ./$(basename "$PACKAGE") (install-package.sh)" in_chroot "INPUT_PACKAGE=$deb /root/threadleak/integrations/github/install-package.sh"
    step "threadleak --version" in_chroot 'command -v threadleak && threadleak --version'
    # A compilation database for examples/: CMake needs a compiler and make.
    step "cmake examples/ (compile_commands.json)" in_chroot "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends cmake make g++ >/dev/null && cmake -S /root/threadleak/examples -B /root/ex"
    # Exit 1 is "findings", which examples/ has.
    step "threadleak -p examples (exit 1, findings)" in_chroot "cd /root/threadleak && threadleak -p /root/ex >/root/cli.out; s=\$?; cat /root/cli.out; [ \$s -eq 1 ] && grep -q 'warning: .*\[threadleak-' /root/cli.out"
    step "clang-tidy-$LLVM --load the packaged plugin" in_chroot "cd /root/threadleak && plugin=\$(dpkg -L threadleak | grep 'ThreadLeakPlugin.so\$') && clang-tidy-$LLVM --load=\$plugin --checks='-*,threadleak-*' -p /root/ex examples/src/scheduler.cpp 2>&1 | tee /root/tidy.out; grep -q 'warning: .*\[threadleak-cv-wait-no-stop\]' /root/tidy.out"
  fi
  report
}
main; exit $?   # one line: parsed whole before main runs
