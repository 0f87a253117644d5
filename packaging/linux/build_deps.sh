#!/usr/bin/env bash
# Debian tools that `make package` (build) and `make package-test` (test) need; installs the
# missing ones when root (like scripts/qt_sysdeps.sh), else prints the apt-get line.
# Usage: build_deps.sh build|test|check (check: what `make test` needs, the .desktop validator)
set -u
mode=${1:-build}
# command -> Debian package
build="dpkg-deb:dpkg desktop-file-validate:desktop-file-utils strip:binutils readelf:binutils objdump:binutils"
test="xvfb-run:xvfb xauth:xauth xwininfo:x11-utils"
check="desktop-file-validate:desktop-file-utils"
wanted=$build
[ "$mode" = test ] && wanted="$build $test"
[ "$mode" = check ] && wanted=$check
missing=""
for pair in $wanted; do
  cmd=${pair%%:*}; pkg=${pair##*:}
  command -v "$cmd" >/dev/null 2>&1 || case " $missing " in *" $pkg "*) ;; *) missing="$missing $pkg";; esac
done
[ -z "$missing" ] && exit 0
line="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing packaging tools:$missing"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $line >/dev/null && exit 0
  echo "Could not install them. Run: sudo $line" >&2; exit 1
fi
echo "Packaging needs tools that are missing. Run: sudo $line" >&2
exit 1
