#!/usr/bin/env bash
# Installs the SDK client driver's dependencies (npm ci from the committed lock) when they are
# missing or older than package-lock.json. Used by `make run` (optional: warns) and
# `make test` (required: fails), and by the packaged app's first use (ARCHITECTURE: the
# driver's folder is passed as $1, or defaults to this script's folder).
#   install.sh [--required] [DIR]
set -euo pipefail
required=0
if [ "${1:-}" = "--required" ]; then required=1; shift; fi
dir="${1:-$(cd "$(dirname "$0")" && pwd)}"
install_line="apt-get install -y nodejs npm"

missing() {
  if [ "$required" = 1 ]; then
    echo "sdkclient: $1. The SDK client driver needs Node.js 18.18+ and npm: $install_line" >&2
    exit 1
  fi
  echo "sdkclient: $1; the SDK client (--client sdk) stays unavailable until: $install_line" >&2
  exit 0
}

command -v node >/dev/null 2>&1 || missing "node is not installed"
command -v npm >/dev/null 2>&1 || missing "npm is not installed"
# 18.18 is the SDK's own engines floor (Debian 12's apt nodejs is 18.20: checked, all tests pass)
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 18 || (a === 18 && b >= 18) ? 0 : 1)' \
  || missing "node $(node --version) is too old (18.18+ needed)"

stamp="$dir/node_modules/.package-lock.json"
if [ -f "$stamp" ] && [ "$stamp" -nt "$dir/package-lock.json" ]; then
  exit 0
fi
echo "sdkclient: npm ci (webex SDK 3.12.0 and its dependencies, about 100 MB)"
start=$(date +%s)
(cd "$dir" && npm ci --no-audit --no-fund)
touch "$stamp"
echo "sdkclient: installed in $(( $(date +%s) - start )) s"
