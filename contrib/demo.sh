#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build libkvmcompl and run the built-in demonstration on real KVM: this
# machine's /dev/kvm, or, where there is none, a Debian kernel's KVM booted
# under QEMU (contrib/setup-kernels.sh installs QEMU and busybox for it).
set -eu
cd "$(dirname "$0")/.."
sh contrib/setup-deps.sh
[ -c /dev/kvm ] || sh contrib/setup-kernels.sh
[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure -q
make -s -j"$(nproc)"
make -s demo
