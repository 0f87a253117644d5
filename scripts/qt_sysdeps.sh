#!/usr/bin/env bash
# Checks the system libraries Qt needs; installs them when root, else names the apt-get line.
# Usage: qt_sysdeps.sh offscreen|window
set -u
mode=${1:-offscreen}
# library file -> Debian package (shared/TOOLCHAIN.md)
offscreen="libEGL.so.1:libegl1 libGL.so.1:libgl1 libX11.so.6:libx11-6 libbrotlidec.so.1:libbrotli1
libdbus-1.so.3:libdbus-1-3 libfontconfig.so.1:libfontconfig1 libfreetype.so.6:libfreetype6
libglib-2.0.so.0:libglib2.0-0 libxkbcommon.so.0:libxkbcommon0"
window="libxkbcommon-x11.so.0:libxkbcommon-x11-0 libxcb-cursor.so.0:libxcb-cursor0
libxcb-icccm.so.4:libxcb-icccm4 libxcb-image.so.0:libxcb-image0 libxcb-keysyms.so.1:libxcb-keysyms1
libxcb-render-util.so.0:libxcb-render-util0 libxcb-render.so.0:libxcb-render0
libxcb-shape.so.0:libxcb-shape0 libxcb-util.so.1:libxcb-util1 libxcb-xkb.so.1:libxcb-xkb1"
wanted=$offscreen
[ "$mode" = window ] && wanted="$offscreen $window"
missing=""
for pair in $wanted; do
  lib=${pair%%:*}; pkg=${pair##*:}
  ldconfig -p 2>/dev/null | grep -q "/$lib\$" || ldconfig -p 2>/dev/null | grep -q " $lib " || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0
line="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Qt system libraries:$missing"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $line >/dev/null && exit 0
  echo "Could not install them. Run: sudo $line" >&2; exit 1
fi
echo "Qt needs system libraries that are missing. Run: sudo $line" >&2
exit 1
