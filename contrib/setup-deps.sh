#!/bin/sh
# Installs what building and testing libkvmcompl needs on Debian/Ubuntu:
# the autotools, a compiler, Check, the UAPI headers, and python3 (the JSON
# checks of tests/sanitizer.test).
set -eu
pkgs="autoconf automake libtool pkg-config make gcc libc6-dev linux-libc-dev check strace musl-tools python3"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "setup-deps: missing:$missing; run as root: apt-get install -y$missing" >&2
	exit 1
fi
echo "setup-deps: installing$missing"
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing
