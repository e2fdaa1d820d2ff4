#!/usr/bin/env bash
# Installs a prebuilt threadleak Debian package for the GitHub Action in
# action.yml (its `package` input), instead of building threadleak from
# source; works the same on any Debian 12 machine.
#
#   INPUT_PACKAGE   the package: a path to threadleak_<version>_amd64.deb, a
#                   directory holding exactly one such file (e.g. a restored
#                   cache), or an http(s) URL to download it from
#
# apt-get installs it with its Depends (libclang-cpp<major>, libllvm<major>,
# libclang-common-<major>-dev) and Recommends (clang-tidy-<major>) from the
# archive; it needs root or sudo. When $GITHUB_OUTPUT is set, appends
# path=<the installed threadleak> to it.
set -euo pipefail
prog=threadleak
die() { echo "$prog: error: $*" >&2; exit 2; }

pkg=${INPUT_PACKAGE:-}
[ -n "$pkg" ] || die "no package given (INPUT_PACKAGE)"
case "$pkg" in
  http://*|https://*)
    dir=$(mktemp -d)
    dest="$dir/$(basename "${pkg%%\?*}")"
    case "$dest" in *.deb) ;; *) dest="$dir/threadleak.deb" ;; esac
    if command -v curl >/dev/null; then curl -fsSL -o "$dest" "$pkg"
    elif command -v wget >/dev/null; then wget -q -O "$dest" "$pkg"
    else die "need curl or wget to download $pkg"; fi
    pkg=$dest ;;
esac
if [ -d "$pkg" ]; then
  debs=("$pkg"/threadleak_*.deb)
  [ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] ||
    die "'$pkg' must hold exactly one threadleak_*.deb"
  pkg=${debs[0]}
fi
[ -f "$pkg" ] || die "no such package: $pkg"
pkg=$(realpath "$pkg")   # apt-get install needs ./ or an absolute path

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || die "need root (or sudo) to install $pkg"
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
echo "$prog: installing $pkg" >&2
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "$pkg" >/dev/null
exe=$(dpkg -L threadleak | grep '/bin/threadleak$')
"$exe" --version >&2
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  echo "path=$exe" >>"$GITHUB_OUTPUT"
fi
