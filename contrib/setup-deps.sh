#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs what building and testing libkvmcompl needs on Debian/Ubuntu, as
# root: the autotools, a compiler with the C library and the UAPI headers,
# Check, strace (tests/syscalls.test), musl-tools (make check-musl), python3
# (the JSON checks of tests/sanitizer.test), file, procps and libcap2-bin
# (setcap: tests/wrapper.test), patch (make check-mutants) used by the
# test scripts. Idempotent. Then checks that the compiler links.
set -eu
. "$(dirname "$0")/apt.sh"
kc_apt_install setup-deps autoconf automake libtool pkg-config make gcc libc6-dev linux-libc-dev \
	check strace musl-tools python3 file procps libcap2-bin patch
kc_can_link setup-deps gcc "libc6-dev (C library) or linux-libc-dev (<linux/kvm.h>)"
