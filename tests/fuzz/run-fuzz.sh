#!/bin/sh
# make fuzz: build libkvmcompl, the kernel double and the libFuzzer harness
# with clang (coverage, AddressSanitizer, UBSan; LeakSanitizer on) into
# $KC_BUILDDIR/tests/fuzz, then fuzz for FUZZ_SECONDS (default 60) from the
# seed corpus tests/fuzz/corpus (new inputs go to the build tree, the
# sources stay untouched).  contrib/setup-fuzz.sh installs clang.
# Exit 0: no violation; 1: a crash, leak or violated invariant (the input
# is kept as $KC_BUILDDIR/tests/fuzz/crash-*, reproduce with
# FUZZ_INPUT=that-file sh tests/fuzz/run-fuzz.sh); 77: no usable clang.
set -u
src=${KC_SRCDIR:?}
build=${KC_BUILDDIR:?}
secs=${FUZZ_SECONDS:-60}
CLANG=${CLANG:-clang}
out="$build/tests/fuzz"
mkdir -p "$out/corpus-work" || exit 99

if ! printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' |
	$CLANG -x c -fsanitize=fuzzer,address - -o "$out/probe" 2>/dev/null; then
	echo "fuzz: $CLANG cannot build with -fsanitize=fuzzer (sh contrib/setup-fuzz.sh installs it)"
	exit 77
fi
rm -f "$out/probe"

cov="-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=undefined"
cflags="-std=gnu11 -Wall -Wextra -Wno-unused-parameter -fPIC"
set -e
$CLANG $cov $cflags -shared -fvisibility=hidden -I"$build" -I"$src/include" -I"$src/src" \
	"$src"/src/*.c \
	-o "$out/libkvmcompl-fuzz.so" -ldl -lpthread
$CLANG $cov $cflags -shared -fvisibility=hidden -I"$src/tests/kdouble" \
	"$src/tests/fuzz/kdouble-fuzz.c" "$src/tests/kdouble/x86.c" "$src/tests/kdouble/arch.c" \
	-o "$out/libkdouble-fuzz.so" -ldl -lpthread
$CLANG -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined,fuzzer -fno-sanitize-recover=undefined \
	$cflags "$src/tests/fuzz/fuzz-kvmcompl.c" -o "$out/fuzz-kvmcompl" \
	-Wl,--no-as-needed "$out/libkvmcompl-fuzz.so" "$out/libkdouble-fuzz.so" -Wl,--as-needed \
	-Wl,-rpath,"$out" -ldl
set +e

run() {
	env KDOUBLE=x86-6.18 KVMCOMPL_LOG=error \
		ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:verify_asan_link_order=0" \
		UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
		"$out/fuzz-kvmcompl" "$@"
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
