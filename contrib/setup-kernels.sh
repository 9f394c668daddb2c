#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs what `make check-kernels` and tests/qemu.test need on Debian, as
# root: QEMU (x86 system emulator, with SeaBIOS), busybox-static for the
# guest initramfs, cpio, file, the decompressors for kernel modules (.ko.xz,
# .ko.zst) and kmod (modinfo). Idempotent. check-kernels downloads the
# kernel packages by name, so apt-cache must know them: the package lists
# are refreshed when it does not.
set -eu
. "$(dirname "$0")/apt.sh"
kc_apt_install setup-kernels qemu-system-x86 seabios busybox-static cpio file gzip xz-utils zstd kmod
if ! apt-cache show linux-image-amd64 >/dev/null 2>&1; then
	[ "$(id -u)" -eq 0 ] || { echo "setup-kernels: apt-cache knows no kernel package; run apt-get update as root" >&2; exit 1; }
	kc_apt_update setup-kernels
	apt-cache show linux-image-amd64 >/dev/null 2>&1 ||
		{ echo "setup-kernels: apt-cache still knows no linux-image-amd64 (no Debian main suite configured?)" >&2; exit 1; }
fi
