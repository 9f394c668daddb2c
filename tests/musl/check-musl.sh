#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make check-musl: build libkvmcompl and its tests with musl-gcc (Debian's
# musl-tools) in $KC_BUILDDIR/build-musl/build (configure CC=musl-gcc
# --with-minicheck; tests/subbuild.sh) and run the unit, pass-through,
# real-KVM and static-link tests there. musl-gcc searches only musl's
# headers, so the kernel's UAPI headers are offered through a directory of
# links; there is no Check for musl, so the unit tests use tests/minicheck
# (against a copy of the host's check.h).
set -u
src=${KC_SRCDIR:?}
top=${KC_BUILDDIR:?}
out=$top/build-musl
command -v musl-gcc >/dev/null 2>&1 ||
	{ echo "check-musl: musl-gcc not found (apt-get install musl-tools)"; exit 1; }
mkdir -p "$out/uapi" "$out/check" || exit 1
. "$src/tests/subbuild.sh"

# The UAPI headers, and check.h for the minimal Check runner.
for d in linux asm-generic; do ln -sfn "/usr/include/$d" "$out/uapi/$d"; done
ln -sfn "/usr/include/$(gcc -print-multiarch)/asm" "$out/uapi/asm"
cp -p /usr/include/check.h /usr/include/check_stdint.h "$out/check/" || exit 1

b=$out/build
kc_subbuild "$b" CC=musl-gcc CFLAGS="-O2 -g -isystem $out/uapi" CHECK_CFLAGS="-I$out/check" \
	--with-minicheck --enable-werror || { echo "check-musl: configure failed"; exit 1; }
cd "$b" || exit 1
grep -q '^#define KC_IOCTL_REQ_T int$' config.h &&
	echo "check-musl: musl's ioctl(int, int, ...) prototype detected"
kc_submake "$b" || { echo "check-musl: build failed"; exit 1; }
readelf -d src/.libs/libkvmcompl.so | grep -q 'Shared library: \[libc.so\]' ||
	{ echo "check-musl: the library is not linked against musl"; exit 1; }
# Only these tests' programs: the kernel double is written against glibc.
make -s -j"$(nproc)" check \
	TESTS="tests/unit/unit-tests tests/passthrough.test tests/real-kvm.test tests/static.test" \
	check_PROGRAMS="tests/unit/unit-tests tests/passthrough/nonkvm tests/vmm/legacy-vmm tests/vmm/legacy-vmm-static" \
	check_LTLIBRARIES= >check.log 2>&1
rc=$?
grep -E '^(PASS|FAIL|SKIP|ERROR|XFAIL|XPASS):' check.log | sed 's/: .*//' | sort | uniq -c | sed 's/^/check-musl: /'
grep -h '%: Checks' tests/unit/unit-tests.log 2>/dev/null | sed 's/^/check-musl: unit /'
if [ $rc -ne 0 ]; then
	grep -E '^(FAIL|ERROR)' check.log | head -n 20
	echo "check-musl: FAILED (see $b/test-suite.log)"
	exit 1
fi
pass=$(grep -c '^PASS:' check.log); fail=$(grep -c '^\(FAIL\|ERROR\):' check.log)
echo "check-musl: $pass passed, $fail failed"
