#!/usr/bin/env bash
# The system packages netbuilder's window needs (Qt's xcb libraries and a font), and for the tests a virtual
# X server (Xvfb). Installs what is missing when run as root with apt-get; otherwise prints the line to run.
#   scripts/system_packages.sh PYTHON          the window's packages
#   scripts/system_packages.sh PYTHON --tests  those and the tests' (xvfb)
set -euo pipefail
python=$1
need="$("$python" -m netbuilder.ui.display_check --packages)"
if [ "${2:-}" = "--tests" ]; then need="$need xvfb"; fi
if ! command -v dpkg >/dev/null 2>&1; then
  # not Debian or Ubuntu: the app itself names missing libraries when it starts
  exit 0
fi
missing=""
for p in $need; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages:$missing"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >/dev/null
else
  echo "netbuilder needs these system packages:$missing" >&2
  echo "install them with: sudo apt-get install$missing" >&2
  exit 1
fi
