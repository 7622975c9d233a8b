#!/usr/bin/env bash
# Installs Debian's chromium + chromium-driver for the browser tests (tests/browser), only when
# missing. Never downloads a browser build of its own: the Debian packages are the only source.
# Non-interactive: safe as root in CI with no stdin.
set -euo pipefail
# Noto CJK so screenshots of Chinese/Japanese/Korean chats are readable (not boxes).
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] && dpkg -s fonts-noto-cjk >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  sudo=sudo
else
  sudo=
fi
export DEBIAN_FRONTEND=noninteractive
echo "Installing chromium, chromium-driver and fonts-noto-cjk (Debian packages)"
$sudo apt-get update -qq </dev/null
$sudo apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-noto-cjk </dev/null >/dev/null
/usr/bin/chromium --version 2>/dev/null || true
