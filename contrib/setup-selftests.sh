#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs what `make check-selftests` needs on Debian, besides what
# contrib/setup-kernels.sh installs (QEMU, busybox-static, cpio, kmod, the
# decompressors): a C toolchain for the kernel's headers and its KVM
# selftests (make, gcc, libc6-dev, binutils for strip; the x86 KVM selftests
# of 6.1 and 6.12 need no other library) and xz-utils for linux-source's
# tarball, which the target fetches itself with `apt-get download`.
# Idempotent: installs nothing when everything is there already.
set -eu
here=$(dirname "$0")
sh "$here/setup-kernels.sh"
pkgs="make gcc libc6-dev binutils xz-utils"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "setup-selftests: missing:$missing; run as root: apt-get install -y$missing" >&2
	exit 1
fi
echo "setup-selftests: installing$missing"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
