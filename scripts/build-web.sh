#!/usr/bin/env bash
# Vendors the official socket.io browser client (npm: socket.io-client, exact version pinned in
# web/package.json + web/package-lock.json) into web/vendor/socket.io.min.js.
#
# The vendored file is committed, so neither `make run` nor the tests need npm. Run this only after
# changing the pinned version; `scripts/build-web.sh --check` verifies (without npm when
# node_modules is already there) that the committed copy is byte-identical to the locked package.
set -euo pipefail
cd "$(dirname "$0")/../web"
src=node_modules/socket.io-client/dist/socket.io.min.js
dest=vendor/socket.io.min.js
want=$(node -p 'require("./package-lock.json").packages["node_modules/socket.io-client"].version')
have=""
[ -f node_modules/socket.io-client/package.json ] &&
  have=$(node -p 'require("./node_modules/socket.io-client/package.json").version')
if [ "$have" != "$want" ]; then
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
fi
if [ "${1:-}" = "--check" ]; then
  cmp -s "$src" "$dest" || { echo "web/$dest differs from socket.io-client $want: run scripts/build-web.sh" >&2; exit 1; }
  echo "web/$dest matches socket.io-client $want"
  exit 0
fi
mkdir -p vendor
cp "$src" "$dest"
echo "Vendored socket.io-client $want into web/$dest"
