#!/usr/bin/env bash
# Installs the Debian packages lsmt needs, only those missing (Debian 12).
# Usage: scripts/install-deps.sh [extra packages...]
# Runs apt-get as root, or through sudo when not root.
set -euo pipefail
pkgs=(gcc make cmake pkg-config liburcu-dev libxxhash-dev check python3 "$@")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
