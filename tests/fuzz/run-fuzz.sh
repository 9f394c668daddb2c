#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make fuzz: build libkvmcompl, the kernel double and the libFuzzer harness
# with clang (coverage, AddressSanitizer, UBSan; LeakSanitizer on) in
# $KC_BUILDDIR/build-fuzz (configure CC=$CLANG --with-fuzzer;
# tests/subbuild.sh), then fuzz for FUZZ_SECONDS (default 60) from the
# seed corpus tests/fuzz/corpus (new inputs go to $KC_BUILDDIR/tests/fuzz,
# the sources stay untouched).  contrib/setup-fuzz.sh installs clang.
# Exit 0: no violation; 1: a crash, leak or violated invariant (the input
# is kept as $KC_BUILDDIR/tests/fuzz/crash-*, reproduce with
# FUZZ_INPUT=that-file sh tests/fuzz/run-fuzz.sh); 77: no usable clang.
set -u
src=${KC_SRCDIR:?}
build=${KC_BUILDDIR:?}
secs=${FUZZ_SECONDS:-60}
CLANG=${CLANG:-clang}
out="$build/tests/fuzz"
fb="$build/build-fuzz"
mkdir -p "$out/corpus-work" || exit 99
. "$src/tests/subbuild.sh"

if ! command -v "$CLANG" >/dev/null 2>&1; then
	echo "fuzz: $CLANG not found (sh contrib/setup-fuzz.sh installs it)"
	exit 77
fi
kc_subbuild "$fb" CC="$CLANG" CFLAGS="-g -O1" --with-fuzzer || {
	grep -q 'needs a compiler with -fsanitize=fuzzer' "$fb/configure.log" 2>/dev/null &&
		{ echo "fuzz: $CLANG cannot build with -fsanitize=fuzzer (sh contrib/setup-fuzz.sh installs it)"; exit 77; }
	echo "fuzz: FAILED: configure"; exit 1; }
kc_submake "$fb" tests/fuzz/fuzz-kvmcompl || { echo "fuzz: FAILED: build"; exit 1; }

run() {
	env KDOUBLE=x86-6.18 KVMCOMPL_LOG=error \
		ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:verify_asan_link_order=0" \
		UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
		"$fb/tests/fuzz/fuzz-kvmcompl" "$@"
}
if [ -n "${FUZZ_INPUT:-}" ]; then
	run "$FUZZ_INPUT"
	exit $?
fi
echo "fuzz: $secs s from $src/tests/fuzz/corpus ($(ls "$src/tests/fuzz/corpus" | wc -l) seeds)"
run -error_exitcode=1 -max_total_time="$secs" -max_len=512 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$out/" "$out/corpus-work" "$src/tests/fuzz/corpus" >"$out/fuzz.log" 2>&1
rc=$?
grep -E '^(INFO: Seed|#[0-9]+[[:space:]]+(INITED|DONE))|^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss)|VIOLATION|ERROR|SUMMARY|^artifact|Test unit written' "$out/fuzz.log" | tail -n 30
[ $rc -eq 0 ] && { echo "fuzz: PASS (no crash, leak or violation in $secs s)"; exit 0; }
echo "fuzz: FAILED (exit $rc), see $out/fuzz.log"
exit 1
