#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build libkvmcompl and pass every test. CI runs this (.ci/run).
# - installs what the steps need (contrib/setup-*.sh, as root, apt-get);
# - a -Werror build: make check, the real-kernel matrix (check-kernels), the
#   cross-architecture builds under qemu-user (check-cross), a musl build
#   (check-musl), a bounded fuzzing run, ThreadSanitizer and valgrind runs,
#   the mutants (check-mutants: every recorded breakage must fail its
#   tests), make distcheck, the RPM spec built from its tarball
#   (check-rpm.sh), a real libvirtd (make check-libvirt);
# - a second build: make check under AddressSanitizer and UBSan;
# - the Debian package, built, installed, probed and removed.
# Ends with "tests: N passed, N failed, N skipped" and, when anything failed,
# "failed: STEP (DETAIL) ..." naming every failed step.
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
start=$(date +%s)

total_pass=0 total_fail=0 total_skip=0
failed=""
# failed STEP [DETAIL]: remember a failed step for the closing summary
fail_step() {
	total_fail=$((total_fail + 1))
	failed="$failed $1${2:+ ($2)}"
	echo "=== FAILED: $1${2:+ ($2)}"
}
summary() {
	echo "=== $(($(date +%s) - start)) s"
	[ -z "$failed" ] || echo "failed:$failed"
	echo "tests: $total_pass passed, $total_fail failed, $total_skip skipped"
}

for s in deps kernels cross fuzz; do
	echo "=== setup: contrib/setup-$s.sh"
	sh "contrib/setup-$s.sh" || { fail_step "setup-$s" "see its message above"; summary; exit 1; }
done
autoreconf -fi || { fail_step autoreconf; summary; exit 1; }
[ -f config.status ] && make -s distclean >/dev/null 2>&1

jobs=$(nproc)

# count TRS...: add the results of automake .trs files to the totals
count() {
	p=$(cat "$@" 2>/dev/null | grep -c '^:test-result: \(PASS\|XFAIL\)')
	f=$(cat "$@" 2>/dev/null | grep -c '^:test-result: \(FAIL\|ERROR\|XPASS\)')
	s=$(cat "$@" 2>/dev/null | grep -c '^:test-result: SKIP')
	total_pass=$((total_pass + p)) total_skip=$((total_skip + s))
	[ "$f" -eq 0 ] || total_fail=$((total_fail + f - 1))   # fail_step adds one
	[ "$f" -eq 0 ]
}
# failing tests named from the .trs files (test script names, at most 8)
failing_tests() {
	grep -l '^:test-result: \(FAIL\|ERROR\|XPASS\)' "$@" 2>/dev/null | sed 's|.*/||; s|\.trs$||' |
		sort -u | head -n 8 | tr '\n' ' ' | sed 's/ $//'
}

build() { # NAME CONFIGURE-ARGS...
	name=$1; shift
	dir="$top/build/$name"
	rm -rf "$dir" && mkdir -p "$dir" && cd "$dir" || { fail_step "$name build" "no build directory"; return 1; }
	echo "=== $name build: configure $*"
	"$top/configure" -q "$@" || { fail_step "$name build" configure; return 1; }
	make -s -j"$jobs" || { fail_step "$name build" make; return 1; }
	echo "=== $name build: make check"
	make -s -j"$jobs" check || cat test-suite.log
	trs=$(find . -name '*.trs' -not -path './tests/kernels/*')
	# shellcheck disable=SC2086
	count $trs || fail_step "$name make check" "$(failing_tests $trs)"
	grep -h '^[0-9]*%: Checks' tests/unit/*.log 2>/dev/null
	return 0
}

# step NAME LOG COMMAND...: one counted result; the log's end on failure
step() {
	name=$1 log=$2; shift 2
	echo "=== werror build: $name"
	if "$@" >"$log" 2>&1; then
		total_pass=$((total_pass + 1)); tail -n 3 "$log"
	else
		tail -n 40 "$log"; fail_step "$name"
	fi
}

if build werror --enable-werror; then
	echo "=== werror build: make check-kernels"
	make -s check-kernels
	if ! count tests/kernels/check-kernels.trs; then
		fail_step check-kernels "$(grep '^not ok' tests/kernels/check-kernels.log 2>/dev/null |
			sed 's/^not ok [0-9]* - //; s/ #.*//' | head -n 6 | tr '\n' ';' | sed 's/;$//')"
	fi
	for t in check-cross check-musl; do
		echo "=== werror build: make $t"
		make -s $t >$t.log 2>&1; rc=$?
		cat $t.log
		# its closing line: "check-xxx: N passed, N failed"
		line=$(sed -n "s/^$t: \\([0-9]*\\) passed, \\([0-9]*\\) failed\$/\\1 \\2/p" $t.log)
		p=${line% *} f=${line#* }
		[ -n "$line" ] || { p=0 f=1; }
		total_pass=$((total_pass + p))
		if [ "$f" -ne 0 ] || [ $rc -ne 0 ]; then
			total_fail=$((total_fail + f - 1))
			[ "$f" -ne 0 ] || total_fail=$((total_fail + 1))
			# the architectures (check-cross) or tests (check-musl) that failed
			what=$(sed -n "s/^$t: \\([a-z0-9_]*\\): FAIL.*/\\1/p; s/^\\(FAIL\\|ERROR\\): \\([^ ]*\\).*/\\2/p" $t.log |
				sort -u | tr '\n' ' ' | sed 's/ $//')
			[ -n "$line" ] || what="${what:+$what, }no summary line: $(tail -n 1 $t.log)"
			fail_step "$t" "$what"
		fi
	done
	step "fuzz (30 s)" fuzz.log make -s fuzz FUZZ_SECONDS=30
	step check-tsan tsan.log make -s check-tsan
	step check-valgrind valgrind.log make -s check-valgrind
	step check-mutants mutants.log make -s check-mutants
	step distcheck distcheck.log make -s distcheck
	# the RPM spec from the tarball distcheck left (rpmbuild -ta --nodeps;
	# its %check is the make check above), and a real libvirtd (about a minute)
	step check-rpm rpm.log sh "$top/tests/packaging/check-rpm.sh" libkvmcompl-*.tar.gz --nocheck
	step check-libvirt libvirt.log make -s check-libvirt
fi
cd "$top"
build sanitizers --enable-werror --enable-sanitizers
cd "$top"
# The Debian package: built with dpkg-buildpackage from a copy of the tree,
# installed, probed, removed. Its build skips the test suite (nocheck): both
# builds above ran it already, and it would add about ten minutes.
echo "=== packaging: tests/packaging/check-deb.sh"
if DEB_BUILD_OPTIONS=nocheck sh tests/packaging/check-deb.sh; then
	total_pass=$((total_pass + 1))
else
	fail_step check-deb
fi
summary
[ -z "$failed" ]
