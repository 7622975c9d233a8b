#!/usr/bin/env bash
# Vendors the browser files we take from npm (exact versions pinned in web/package.json +
# web/package-lock.json):
#   - socket.io-client's browser build → web/vendor/socket.io.min.js (served with the chat page);
#   - axe-core → tests/browser/vendor/axe.min.js (injected by the browser tests, never served).
#
# The vendored files are committed, so neither `make run` nor the tests need npm. Run this only
# after changing a pinned version; `scripts/build-web.sh --check` verifies (without npm when
# node_modules is already there) that the committed copies are byte-identical to the locked packages.
set -euo pipefail
cd "$(dirname "$0")/../web"
# package → (file inside the package, vendored copy relative to web/)
files=(
  "socket.io-client dist/socket.io.min.js vendor/socket.io.min.js"
  "axe-core axe.min.js ../tests/browser/vendor/axe.min.js"
)
installed() {
  local pkg=$1 want have=""
  want=$(node -p "require('./package-lock.json').packages['node_modules/$pkg'].version")
  [ -f "node_modules/$pkg/package.json" ] && have=$(node -p "require('./node_modules/$pkg/package.json').version")
  [ "$have" = "$want" ]
}
for entry in "${files[@]}"; do
  read -r pkg _ _ <<<"$entry"
  if ! installed "$pkg"; then
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
    break
  fi
done
status=0
for entry in "${files[@]}"; do
  read -r pkg src dest <<<"$entry"
  version=$(node -p "require('./node_modules/$pkg/package.json').version")
  if [ "${1:-}" = "--check" ]; then
    if cmp -s "node_modules/$pkg/$src" "$dest"; then
      echo "web/$dest matches $pkg $version"
    else
      echo "web/$dest differs from $pkg $version: run scripts/build-web.sh" >&2
      status=1
    fi
  else
    mkdir -p "$(dirname "$dest")"
    cp "node_modules/$pkg/$src" "$dest"
    echo "Vendored $pkg $version into web/$dest"
  fi
done
exit $status
