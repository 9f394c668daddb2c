#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make check-valgrind: the real-KVM integration scenarios (tests/vmm/
# legacy-vmm, as in tests/real-kvm.test) with libkvmcompl preloaded, under
# valgrind memcheck: every run must pass and report zero errors (invalid
# accesses, uninitialised values, definite leaks).  Suppressions:
# tests/valgrind.supp (only for code outside the library).
# TAP on stdout; exit 0 pass or skip, 1 failure.
set -u
. "$KC_SRCDIR/tests/lib.sh"
vmm="$KC_BUILDDIR/tests/vmm/legacy-vmm"
supp="$KC_SRCDIR/tests/valgrind.supp"
if ! command -v valgrind >/dev/null; then
	echo "1..0 # SKIP valgrind not installed (apt-get install valgrind)"; exit 0
fi
# Where /dev/kvm cannot run a guest, the scenarios run against the kernel
# double (x86 6.1), loaded after the library.
kd="$KC_BUILDDIR/tests/kdouble/.libs/libkdouble.so"
pre=$KC_LIB
probe=$("$vmm" cap real control 2>&1)
if [ $? -eq 77 ]; then
	[ -f "$kd" ] || { echo "1..0 # SKIP $(printf '%s' "$probe" | tail -n 1), and no kernel double built"; exit 0; }
	echo "# $(printf '%s' "$probe" | tail -n 1): running against the kernel double (x86-6.1) instead"
	KDOUBLE=x86-6.1; export KDOUBLE
	pre="$KC_LIB $kd"
fi
vg() {
	env LD_PRELOAD="$pre" valgrind -q --error-exitcode=98 --leak-check=full \
		--errors-for-leak-kinds=definite --track-origins=yes --suppressions="$supp" "$@"
}
for mode in real long; do
	# the registry's scenarios run with the library and a control
	# (tests/vmm/scenarios.c), as in tests/real-kvm.test
	for s in $("$vmm" list --tag pair --tag x86-$mode); do
		if [ "$pre" != "$KC_LIB" ] && "$vmm" list --tag real-only | grep -qx "$s"; then
			skip_case "valgrind: $s/$mode with libkvmcompl" "needs a real kernel (tag real-only), not the kernel double"
			continue
		fi
		run_case "valgrind: $s/$mode with libkvmcompl" vg "$vmm" $s $mode fixed
	done
	run_case "valgrind: explicit_api/$mode, KVMCOMPL_COMPLETE=off" \
		env KVMCOMPL_COMPLETE=off sh -c 'LD_PRELOAD="$0" valgrind -q --error-exitcode=98 --leak-check=full --errors-for-leak-kinds=definite --suppressions="$1" "$2" explicit_api "$3" fixed' \
		"$pre" "$supp" "$vmm" $mode
done
tap_done
