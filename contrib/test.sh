#!/bin/sh
# Build libkvmcompl and pass every test: once with -Werror, once more under
# AddressSanitizer and UndefinedBehaviorSanitizer. This is what CI runs.
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
sh contrib/setup-deps.sh || exit 1
autoreconf -fi || exit 1
[ -f config.status ] && make -s distclean >/dev/null 2>&1

jobs=$(nproc)
total_pass=0 total_fail=0 total_skip=0 status=0
run_build() { # NAME CONFIGURE-ARGS...
	name=$1; shift
	dir="$top/build/$name"
	rm -rf "$dir" && mkdir -p "$dir" && cd "$dir" || return 1
	echo "=== $name build: configure $*"
	"$top/configure" -q "$@" && make -s -j"$jobs" || { status=1; return 1; }
	echo "=== $name build: make check"
	make -s -j"$jobs" check || { status=1; cat test-suite.log; }
	for kind in PASS FAIL SKIP ERROR XPASS XFAIL; do
		eval "n_$kind=\$(sed -n 's/^# $kind: *//p' test-suite.log)"
	done
	total_pass=$((total_pass + n_PASS + n_XFAIL))
	total_fail=$((total_fail + n_FAIL + n_ERROR + n_XPASS))
	total_skip=$((total_skip + n_SKIP))
	grep -h '^[0-9]*%: Checks' tests/unit/*.log 2>/dev/null
	cd "$top"
}

run_build werror --enable-werror
run_build sanitizers --enable-werror --enable-sanitizers
echo "tests: $total_pass passed, $total_fail failed, $total_skip skipped"
[ $status -eq 0 ] && [ $total_fail -eq 0 ]
