#!/bin/sh
# Build libkvmcompl and pass every test. CI runs this.
# - a -Werror build: make check, the real-kernel matrix (check-kernels), the
#   cross-architecture builds under qemu-user (check-cross), a musl build
#   (check-musl), a bounded fuzzing run, ThreadSanitizer and valgrind runs,
#   the mutants (check-mutants: every recorded breakage must fail its
#   tests), make distcheck;
# - a second build: make check under AddressSanitizer and UBSan;
# - the Debian package, built, installed, probed and removed.
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
sh contrib/setup-deps.sh || exit 1
sh contrib/setup-kernels.sh || exit 1
sh contrib/setup-cross.sh || exit 1
sh contrib/setup-fuzz.sh || exit 1
autoreconf -fi || exit 1
[ -f config.status ] && make -s distclean >/dev/null 2>&1

jobs=$(nproc)
total_pass=0 total_fail=0 total_skip=0 status=0

# count TRS...: add the results of automake .trs files to the totals
count() {
	p=$(cat "$@" 2>/dev/null | grep -c '^:test-result: \(PASS\|XFAIL\)')
	f=$(cat "$@" 2>/dev/null | grep -c '^:test-result: \(FAIL\|ERROR\|XPASS\)')
	s=$(cat "$@" 2>/dev/null | grep -c '^:test-result: SKIP')
	total_pass=$((total_pass + p)) total_fail=$((total_fail + f)) total_skip=$((total_skip + s))
}

build() { # NAME CONFIGURE-ARGS...
	name=$1; shift
	dir="$top/build/$name"
	rm -rf "$dir" && mkdir -p "$dir" && cd "$dir" || return 1
	echo "=== $name build: configure $*"
	"$top/configure" -q "$@" && make -s -j"$jobs" || { status=1; total_fail=$((total_fail + 1)); return 1; }
	echo "=== $name build: make check"
	make -s -j"$jobs" check || { status=1; cat test-suite.log; }
	count $(find . -name '*.trs' -not -path './tests/kernels/*')
	grep -h '^[0-9]*%: Checks' tests/unit/*.log 2>/dev/null
}

if build werror --enable-werror; then
	echo "=== werror build: make check-kernels"
	make -s check-kernels || status=1
	count tests/kernels/check-kernels.trs
	for t in check-cross check-musl; do
		echo "=== werror build: make $t"
		make -s $t >$t.log 2>&1 || status=1
		cat $t.log
		# its closing line: "check-xxx: N passed, N failed"
		line=$(sed -n "s/^$t: \\([0-9]*\\) passed, \\([0-9]*\\) failed\$/\\1 \\2/p" $t.log)
		[ -n "$line" ] || line="0 1"
		total_pass=$((total_pass + ${line% *})) total_fail=$((total_fail + ${line#* }))
	done
	# fuzz (30 s), ThreadSanitizer build, valgrind memcheck, mutants: one
	# result each
	for t in "fuzz FUZZ_SECONDS=30" check-tsan check-valgrind check-mutants; do
		echo "=== werror build: make $t"
		if make -s $t >extra.log 2>&1; then
			total_pass=$((total_pass + 1)); tail -n 3 extra.log
		else
			status=1 total_fail=$((total_fail + 1)); tail -n 40 extra.log
		fi
	done
	echo "=== werror build: make distcheck"
	if make -s distcheck >distcheck.log 2>&1; then
		total_pass=$((total_pass + 1)); tail -n 4 distcheck.log
	else
		status=1 total_fail=$((total_fail + 1)); tail -n 40 distcheck.log
	fi
fi
cd "$top"
build sanitizers --enable-werror --enable-sanitizers
cd "$top"
# The Debian package: built with dpkg-buildpackage from a copy of the tree,
# installed, probed, removed.
echo "=== packaging: tests/packaging/check-deb.sh"
if sh tests/packaging/check-deb.sh; then
	total_pass=$((total_pass + 1))
else
	status=1 total_fail=$((total_fail + 1))
fi
echo "tests: $total_pass passed, $total_fail failed, $total_skip skipped"
[ $status -eq 0 ] && [ $total_fail -eq 0 ]
