#!/usr/bin/env bash
# Takes a headless-Chromium screenshot of an HTML report, to look at what `hta report` made.
#
#   scripts/screenshot-report.sh out/cart/report.html [out.png] [width] [height]
#
# Installs Debian's `chromium` (and Noto CJK fonts, for `--lang zh` reports) if missing.
# The page is opened from the file system with networking switched off: a report that needed
# anything outside its own file would show the gap in the screenshot.
set -euo pipefail
html=${1:?usage: scripts/screenshot-report.sh REPORT.html [OUT.png] [WIDTH] [HEIGHT]}
png=${2:-${html%.html}.png}
width=${3:-1280}
height=${4:-6000}
if ! command -v chromium >/dev/null 2>&1; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
    echo "installing Debian chromium and fonts-noto-cjk ..." >&2
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium fonts-noto-cjk >&2
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --hide-scrollbars --window-size="$width,$height" \
    --screenshot="$png" "file://$(realpath "$html")" >/dev/null 2>&1
echo "screenshot: $png (${width}x${height})"
