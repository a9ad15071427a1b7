#!/usr/bin/env bash
# Installs what the browser work needs and npm ci does not: Debian's Chromium and a CJK font (so that Chinese text
# renders as glyphs, not boxes). Idempotent and non-interactive; run as root (CI is root; elsewhere use sudo).
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && fc-list ':lang=zh-cn' family | grep -q 'Noto Sans CJK'; then
  echo "chromium and fonts-noto-cjk are installed"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends chromium fonts-noto-cjk
