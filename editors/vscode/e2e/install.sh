#!/usr/bin/env bash
# Installs the end-to-end suite's packages (code-server 4.100.3 and playwright-core) from the npm
# registry, offline apart from the registry:
#  - code-server's postinstall refuses to run as root unless npm_config_unsafe_perm=true;
#  - node-pty's postinstall runs `npx node-gyp` (npm_config_yes=true; needs python3, make, g++);
#  - @vscode/ripgrep's postinstall downloads rg from GitHub; its download cache
#    ($TMPDIR/vscode-ripgrep-cache-<version>/) is seeded with Debian's ripgrep (apt-get install ripgrep).
# code-server 4.100.x runs on Node 20. Idempotent: does nothing when node_modules is complete.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

if [[ -x node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg &&
      -d node_modules/playwright-core && -f node_modules/.e2e-installed ]]; then
  exit 0
fi
rg_bin="$(command -v rg || true)"
if [[ -z "$rg_bin" ]]; then
  echo "e2e install: ripgrep is missing (apt-get install -y ripgrep)" >&2
  exit 1
fi

# The ripgrep package code-server 4.100.3's lib/vscode/npm-shrinkwrap.json pins, and the rg release
# that package's postinstall.js fetches (its VERSION constant).
rg_pkg_version=1.15.11
rg_release=v13.0.0-10
case "$(uname -m)" in
  x86_64) rg_target=x86_64-unknown-linux-musl ;;
  aarch64) rg_target=aarch64-unknown-linux-musl ;;
  *) echo "e2e install: no ripgrep seed for $(uname -m)" >&2; exit 1 ;;
esac
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cache="$tmp/vscode-ripgrep-cache-$rg_pkg_version"
mkdir -p "$cache/stage"
cp "$rg_bin" "$cache/stage/rg"
tar czf "$cache/ripgrep-$rg_release-$rg_target.tar.gz" -C "$cache/stage" rg

export TMPDIR="$tmp" npm_config_unsafe_perm=true npm_config_yes=true
npm ci --no-audit --no-fund --loglevel=error
touch node_modules/.e2e-installed
