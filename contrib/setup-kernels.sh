#!/bin/sh
# Installs what `make check-kernels` and tests/qemu.test need on Debian:
# QEMU (x86 system emulator), busybox-static for the guest initramfs, cpio,
# and the decompressors for kernel modules (.ko.xz, .ko.zst). Idempotent:
# installs nothing when everything is there already.
set -eu
pkgs="qemu-system-x86 busybox-static cpio gzip xz-utils zstd kmod"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
	# apt-cache must know the kernel packages (check-kernels downloads them
	# by name): refresh the package lists once if they are empty.
	if apt-cache show linux-image-amd64 >/dev/null 2>&1; then exit 0; fi
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "setup-kernels: missing:${missing:- (package lists)}; run as root: apt-get update && apt-get install -y$missing" >&2
	exit 1
fi
apt-get update -q
[ -z "$missing" ] && exit 0
echo "setup-kernels: installing$missing"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
