#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs what `make check-cross` needs on Debian bookworm, as root, and
# checks that each cross compiler can link a program. For every target: the
# compiler (gcc-<triplet>), its C library (libc6-dev-<arch>-cross) and its
# kernel headers (linux-libc-dev-<arch>-cross) - the last two are only
# Recommends of the compiler, so they are named here; plus qemu-user and
# Check for each target through multiarch (check:<arch>). Idempotent. Uses
# only the configured Debian suites.
#
# riscv64 is not a release architecture of bookworm (no binary-riscv64 in
# the archive), so there is no check:riscv64: check-cross builds the riscv64
# unit tests against a minimal Check-compatible runner of its own instead.
set -eu
. "$(dirname "$0")/apt.sh"
cross="aarch64-linux-gnu:arm64 powerpc64le-linux-gnu:ppc64el riscv64-linux-gnu:riscv64 s390x-linux-gnu:s390x mips64el-linux-gnuabi64:mips64el"
multiarch="arm64 ppc64el s390x mips64el"   # architectures with Check in the archive

pkgs="qemu-user check pkg-config make"
for t in $cross; do
	pkgs="$pkgs gcc-${t%%:*} libc6-dev-${t#*:}-cross linux-libc-dev-${t#*:}-cross"
done
for a in $multiarch; do pkgs="$pkgs check:$a"; done

# check:<arch> needs <arch> as a dpkg foreign architecture (the host's
# sources then serve its indexes too: Debian's mirrors carry them all).
if [ "$(id -u)" -eq 0 ]; then
	have_archs=" $(dpkg --print-foreign-architectures | tr '\n' ' ')"
	for a in $multiarch; do
		case $have_archs in
		*" $a "*) ;;
		*) dpkg --add-architecture "$a"; kc_apt_updated=0; echo "setup-cross: added architecture $a" ;;
		esac
	done
fi
# shellcheck disable=SC2086
kc_apt_install setup-cross $pkgs

status=0
for t in $cross; do
	kc_can_link setup-cross "${t%%:*}-gcc" \
		"libc6-dev-${t#*:}-cross (C library) or linux-libc-dev-${t#*:}-cross (kernel headers)" || status=1
done
[ $status -eq 0 ] && echo "setup-cross: ready: $(echo "$cross" | sed 's/[a-z0-9_]*-linux-gnu[a-z0-9]*://g')"
exit $status
