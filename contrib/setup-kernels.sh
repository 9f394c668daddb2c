#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs what `make check-kernels` and tests/qemu.test need on Debian, as
# root: QEMU (the x86 system emulator with SeaBIOS; the arm64 one; the
# riscv64 one in qemu-system-misc, with bookworm's opensbi firmware), the
# Debian archive keys for the test's own apt (other suites and
# architectures), busybox-static for the guest initramfs, cpio, file, the
# decompressors for kernel modules (.ko.xz, .ko.zst) and kmod (modinfo). The
# arm64 and riscv64 kernels also need the cross compilers and C libraries of
# contrib/setup-cross.sh. Idempotent. check-kernels downloads the kernel
# packages by name, so apt-cache must know them: the package lists are
# refreshed when it does not. The "+libvirt" kernel runs the host's own
# libvirtd and virsh inside its guest (the host's root shared over 9p):
# libvirt-daemon-system and libvirt-clients.
set -eu
. "$(dirname "$0")/apt.sh"
kc_apt_install setup-kernels qemu-system-x86 seabios qemu-system-arm qemu-system-misc opensbi \
	debian-archive-keyring busybox-static cpio file gzip xz-utils zstd kmod \
	libvirt-daemon-system libvirt-clients
if ! apt-cache show linux-image-amd64 >/dev/null 2>&1; then
	[ "$(id -u)" -eq 0 ] || { echo "setup-kernels: apt-cache knows no kernel package; run apt-get update as root" >&2; exit 1; }
	kc_apt_update setup-kernels
	apt-cache show linux-image-amd64 >/dev/null 2>&1 ||
		{ echo "setup-kernels: apt-cache still knows no linux-image-amd64 (no Debian main suite configured?)" >&2; exit 1; }
fi
