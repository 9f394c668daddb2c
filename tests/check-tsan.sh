#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make check-tsan: a ThreadSanitizer build of the library and its thread
# test programs in $KC_BUILDDIR/build-tsan (configure --enable-tsan, with
# CC=$TSAN_CC, default gcc; tests/subbuild.sh), then the thread tests with
# the TSan library preloaded: tests/stress/sigstorm, legacy-vmm race and
# other_thread (real and long mode), and tests/robust/robust's thread modes
# (threads, close-race, kick, scm-thread).  TSan must report nothing
# (halt_on_error); there are no suppressions (tests/tsan.supp stays empty
# unless a report is proven to come from outside the library, with its
# reason).
# TAP on stdout; exit 0 pass or skip, 1 failure.
set -u
src=${KC_SRCDIR:?} top=${KC_BUILDDIR:?}
dir="$top/build-tsan"
. "$src/tests/subbuild.sh"
build() {
	kc_subbuild "$dir" --enable-tsan CC="${TSAN_CC:-gcc}" CFLAGS="-g -O1" &&
		kc_submake "$dir" src/libkvmcompl.la tests/vmm/legacy-vmm tests/stress/sigstorm tests/robust/robust || return 1
	# an uninstrumented library would pass every case below unseen
	nm -D "$dir/src/.libs/libkvmcompl.so" | grep -q ' U __tsan_func_entry' ||
		{ echo "$dir/src/.libs/libkvmcompl.so is not built with -fsanitize=thread"; return 1; }
}
mkdir -p "$dir" || exit 99
if ! (build) >"$dir/why.log" 2>&1; then
	sed 's/^/# /' "$dir/why.log"
	echo "not ok 1 - the ThreadSanitizer build"; echo "1..1"; exit 1
fi
KC_LIB="$dir/src/.libs/libkvmcompl.so" KC_PRELOAD_FIRST= KC_BUILDDIR="$dir"
export KC_LIB KC_PRELOAD_FIRST KC_BUILDDIR
. "$src/tests/lib.sh"
TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 suppressions=$src/tests/tsan.supp"
export TSAN_OPTIONS
vmm="$dir/tests/vmm/legacy-vmm"
# Where /dev/kvm cannot run a guest, the same programs run against the kernel
# double (x86 6.1), loaded after the library; the two cases that only mean
# something on a real kernel are left out, each saying why.
kd="$top/tests/kdouble/.libs/libkdouble.so"
probe=$("$vmm" cap real control 2>&1)
if [ $? -eq 77 ]; then
	[ -f "$kd" ] || { echo "1..0 # SKIP $(printf '%s' "$probe" | tail -n 1), and no kernel double built"; exit 0; }
	echo "# $(printf '%s' "$probe" | tail -n 1): running against the kernel double (x86-6.1) instead"
	KDOUBLE=x86-6.1 KC_LIB="$KC_LIB $kd" kc_preload="$KC_LIB $kd"; export KDOUBLE KC_LIB
	double=1
else
	double=0
fi
if [ $double -eq 1 ]; then
	# the double's KVM_RUN never sleeps in a system call, where TSan delivers
	# the storm's signals: the run cannot make progress under TSan
	skip_case "tsan: sigstorm with libkvmcompl" "needs a real KVM_RUN that blocks (TSan defers signals to system calls)"
else
	run_case "tsan: sigstorm with libkvmcompl" with_shim "$dir/tests/stress/sigstorm"
fi
for mode in real long; do
	# the registry's thread scenarios (tests/vmm/scenarios.c)
	for s in $("$vmm" list --tag threads --tag x86-$mode); do
		run_case "tsan: $s/$mode with libkvmcompl" with_shim "$vmm" $s $mode fixed
	done
	run_case "tsan: other_thread/$mode, KVMCOMPL_COMPLETE=other-thread" \
		env KVMCOMPL_COMPLETE=other-thread LD_PRELOAD="$kc_preload" "$vmm" other_thread $mode fixed
done
# tests/robust (issue 5 item 2): its thread modes, where it exists
if [ -x "$dir/tests/robust/robust" ]; then
	for m in threads close-race kick scm-thread; do
		if [ $double -eq 1 ] && [ $m = close-race ]; then
			# TSan sees the test's deliberate close() racing the double's fstat()
			skip_case "tsan: robust $m with libkvmcompl" "races close() against the kernel double's own fstat(): real KVM only"
			continue
		fi
		run_case "tsan: robust $m with libkvmcompl" with_shim "$dir/tests/robust/robust" $m
	done
fi
tap_done
