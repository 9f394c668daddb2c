#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make check-cross: build libkvmcompl with Debian's cross compilers for each
# KVM architecture Debian has one for, and run under qemu-user, with the
# target's own libc, kernel headers, ioctl numbers and structure layouts:
#   unit         the Check unit tests, cross-built (they confirm that the
#                build selected this architecture's own rule table);
#   passthrough  tests/passthrough/nonkvm with and without LD_PRELOAD of the
#                cross-built library: identical output, library loaded.
# Each architecture is configured in its own build directory,
# $KC_BUILDDIR/build-cross/<arch>, with $KC_SRCDIR/configure --host=<triplet>
# (tests/subbuild.sh; riscv64, which has no Check, with --with-minicheck).
# Prints one line per architecture and "check-cross: N passed, N failed";
# exits 1 when an architecture fails or a needed package is missing
# (contrib/setup-cross.sh installs them all).
#
# Environment: KC_SRCDIR, KC_BUILDDIR (from the Makefile); CROSS_ARCHES to
# run a subset (default: arm64 ppc64el riscv64 s390x mips64el); CROSS_STEPS
# (default: unit passthrough).
#
# Adding a step (e.g. the kernel double's scenarios) is a few lines: name the
# programs it needs in targets_<step>, write step_<step> (it runs in the
# architecture's build directory, with $emu, $lib, $bdir, $src, $arch, $table
# set, prints a one-line summary and returns non-zero on failure), and add
# <step> to steps. For a TAP .test script that honours KC_EMU, step_tap runs
# it, e.g.:
#   targets_kdouble="tests/kdouble/libkdouble.la tests/kdouble/arch-vmm"
#   step_kdouble() { step_tap tests/kdouble.test; }
set -u
# The cross builds are independent makes: nothing of the native make's
# command line (jobserver, variable overrides) reaches them.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
src=${KC_SRCDIR:?KC_SRCDIR not set (run make check-cross)}
top=${KC_BUILDDIR:?KC_BUILDDIR not set (run make check-cross)}
out=$top/build-cross
jobs=$(nproc 2>/dev/null || echo 2)
arches=${CROSS_ARCHES:-arm64 ppc64el riscv64 s390x mips64el}
steps=${CROSS_STEPS:-unit passthrough kdouble}
targets_lib="src/libkvmcompl.la"
targets_unit="tests/unit/unit-tests"
targets_passthrough="tests/passthrough/nonkvm"
targets_kdouble="tests/kdouble/libkdouble.la tests/kdouble/arch-vmm"

say() { printf 'check-cross: %s\n' "$*"; }
. "$src/tests/subbuild.sh"

# Debian architecture -> GNU triplet, qemu-user name, rule table.
arch_info() {
	case $1 in
	arm64)    triplet=aarch64-linux-gnu       qarch=aarch64  table=arm64 ;;
	ppc64el)  triplet=powerpc64le-linux-gnu   qarch=ppc64le  table=powerpc ;;
	riscv64)  triplet=riscv64-linux-gnu       qarch=riscv64  table=riscv ;;
	s390x)    triplet=s390x-linux-gnu         qarch=s390x    table=s390 ;;
	mips64el) triplet=mips64el-linux-gnuabi64 qarch=mips64el table=mips ;;
	*) return 1 ;;
	esac
}

# The emulator, with the cross libc as root for the target's loader.
# LD_LIBRARY_PATH keeps libc.so.6 with that loader: once Debian's multiarch
# libc6:<arch> is installed (Check brings it), the loader would otherwise
# take /lib/<triplet>/libc.so.6, of another glibc build, and fork() then
# hangs or smashes the stack (seen on arm64, ppc64el, s390x, mips64el).
# A program that hangs under emulation fails after 5 minutes.
find_emu() {
	for q in "qemu-$qarch" "qemu-$qarch-static"; do
		if command -v "$q" >/dev/null 2>&1; then
			emu="timeout 300 $q -L /usr/$triplet -E LD_LIBRARY_PATH=/usr/$triplet/lib"
			return 0
		fi
	done
	return 1
}

# Check for the target: Debian multiarch (check:<arch>), or, for riscv64,
# which is no release architecture of bookworm (no check:riscv64 in the
# archive), a minimal Check-compatible runner built from the host's check.h.
check_include=$out/check-include
check_flags() {
	pcdir=/usr/lib/$triplet/pkgconfig
	if [ -f "$pcdir/check.pc" ]; then
		check_mode=multiarch
		check_libs=$(PKG_CONFIG_LIBDIR=$pcdir pkg-config --libs check) || return 1
	elif [ "$arch" = riscv64 ]; then
		# configure --with-minicheck builds tests/minicheck for it
		check_mode=minicheck
		check_libs=
	else
		say "$arch: Check for $arch is not installed (check:$arch; run contrib/setup-cross.sh as root)"
		return 1
	fi
	# check.h is the same file for every architecture; copied so that the
	# cross compiler does not search the host's /usr/include.
	mkdir -p "$check_include" &&
		cp -p /usr/include/check.h /usr/include/check_stdint.h "$check_include/" 2>/dev/null || {
		say "$arch: /usr/include/check.h missing (install check)"
		return 1
	}
	check_cflags="-I$check_include -pthread"
}

configure_arch() {
	opt=
	[ "$check_mode" = minicheck ] && opt=--with-minicheck
	if ! why=$(kc_subbuild "$bdir" --host="$triplet" --enable-werror $opt CHECK_CFLAGS="$check_cflags" \
		CHECK_LIBS="$check_libs"); then
		printf '%s\n' "$why" | sed 's/^/    /'
		say "$arch: configure --host=$triplet failed"
		return 1
	fi
	grep -q '^#define KC_IOCTL_REQ_T' "$bdir/config.h" || { say "$arch: configure left no KC_IOCTL_REQ_T"; return 1; }
}

pt_prog=

build_arch() {
	: >"$bdir/build.log"
	targets=$targets_lib
	for s in $steps; do eval "targets=\"\$targets \${targets_$s:-}\""; done
	pt_prog=$bdir/tests/passthrough/nonkvm
	why=$(KC_JOBS=$jobs kc_submake "$bdir" $targets) && return 0
	printf '%s\n' "$why" | sed 's/^/    /'
	say "$arch: build failed (see $bdir/build.log)"
	return 1
}

# --- steps: each prints a short summary to stdout, returns 0 on success.
step_unit() {
	log=$bdir/unit-tests.out
	CK_DEFAULT_TIMEOUT=60 $emu "$bdir/tests/unit/unit-tests" >"$log" 2>&1
	rc=$?
	summary=$(grep -E '^[0-9]+%: Checks' "$log" | tail -n 1)
	native=$(sed -n 's/^native rules: //p' "$log" | head -n 1)
	if [ $rc -ne 0 ] || [ -z "$summary" ]; then
		grep -E ':[FE]:|error' "$log" | head -n 20 | sed 's/^/    /' >&2
		echo "unit FAILED (exit $rc${summary:+, $summary}; see $log)"
		return 1
	fi
	case $native in
	"$table (compiled for $table)") ;;
	*) echo "unit: native rules '${native:-not reported}', expected $table"; return 1 ;;
	esac
	echo "unit ${summary#*: } [$check_mode], native table $table"
}

step_passthrough() {
	d=$bdir/passthrough
	mkdir -p "$d"
	$emu "$pt_prog" >"$d/native" 2>&1; rc1=$?
	$emu -E LD_PRELOAD="$lib" "$pt_prog" >"$d/shim" 2>&1; rc2=$?
	$emu -E LD_PRELOAD="$lib" -E LD_DEBUG=files "$pt_prog" >"$d/lddebug" 2>&1
	if [ $rc1 -ne 0 ] || [ $rc2 -ne 0 ]; then
		echo "passthrough FAILED: exit $rc1 without, $rc2 with the library"
		return 1
	fi
	if ! diff -u "$d/native" "$d/shim" >"$d/diff"; then
		sed 's/^/    /' "$d/diff" | head -n 40 >&2
		echo "passthrough FAILED: output differs with the library (see $d/diff)"
		return 1
	fi
	if ! grep -q 'calling init: .*libkvmcompl\.so' "$d/lddebug"; then
		echo "passthrough FAILED: the library was not loaded (see $d/lddebug)"
		return 1
	fi
	# As root on a host with /dev/kvm, the open succeeds (qemu-user hands it
	# to the host) but qemu-user refuses every ioctl it cannot translate,
	# KVM's included, with ENOSYS: the same with and without the library.
	if grep -q '^no /dev/kvm here' "$d/native"; then kvm="no /dev/kvm"
	else kvm="/dev/kvm opened, its ioctls ENOSYS under qemu-user"; fi
	echo "passthrough identical ($(wc -l <"$d/native") lines; $kvm), library loaded"
}

# The kernel double's scenarios of this architecture's personalities, with
# the build's own rule table, ioctl numbers and structure layouts.
step_kdouble() { step_tap tests/kdouble.test; }

# A TAP .test script for this architecture: KC_EMU runs a target program.
step_tap() {
	t=$1
	log=$bdir/$(basename "$t" .test).out
	(cd "$bdir" && KC_SRCDIR=$src KC_BUILDDIR=$bdir KC_LIB=$lib KC_PRELOAD_FIRST='' \
		KC_EMU=$emu KC_ARCH=$arch KC_TABLE=$table sh "$src/$t") >"$log" 2>&1
	rc=$?
	nok=$(grep -c '^ok' "$log"); nnot=$(grep -c '^not ok' "$log")
	if [ $rc -ne 0 ] || [ "$nnot" -ne 0 ] || [ "$nok" -eq 0 ]; then
		grep '^not ok' "$log" | head -n 20 | sed 's/^/    /' >&2
		echo "$t FAILED ($nok ok, $nnot not ok, exit $rc; see $log)"
		return 1
	fi
	echo "$t $nok ok"
}

# --- one architecture: 0 passed; 1 failed before its steps (the reason
# printed); 2 failed in a step (its line printed).
run_arch() {
	arch=$1
	arch_info "$arch" || { say "$arch: unknown architecture"; return 1; }
	command -v "$triplet-gcc" >/dev/null 2>&1 ||
		{ say "$arch: $triplet-gcc not found (install gcc-$triplet; contrib/setup-cross.sh)"; return 1; }
	find_emu || { say "$arch: qemu-$qarch not found (install qemu-user; contrib/setup-cross.sh)"; return 1; }
	check_flags || return 1
	bdir=$out/$arch
	mkdir -p "$bdir" || return 1
	configure_arch || return 1
	build_arch || return 1
	lib=$bdir/src/.libs/libkvmcompl.so
	result='' ok=0
	for s in $steps; do
		r=$(cd "$bdir" && "step_$s") || ok=1
		result="${result:+$result; }$r"
	done
	if [ $ok -eq 0 ]; then say "$arch: PASS: $result"; return 0; fi
	say "$arch: FAIL: $result"
	return 2
}

start=$(date +%s)
if ! why=$(kc_subbuild_possible); then
	say "$why"
	echo "check-cross: 0 passed, $(echo $arches | wc -w) failed"
	exit 1
fi
mkdir -p "$out" || exit 1
pass=0 fail=0
for a in $arches; do
	t0=$(date +%s)
	run_arch "$a"
	case $? in
	0) pass=$((pass + 1)) ;;
	1) fail=$((fail + 1)); say "$a: FAIL (not built or not run)" ;;
	*) fail=$((fail + 1)) ;;
	esac
	echo "    ($a: $(($(date +%s) - t0)) s)"
done
say "loongarch64: no cross compiler in this Debian release; its rules are covered by the host's unit tests only (tests/unit/test-rules-arches.c)"
say "took $(($(date +%s) - start)) s"
echo "check-cross: $pass passed, $fail failed"
[ $fail -eq 0 ]
