#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make check-mutants: each recorded breakage of the library (tests/mutants/
# *.patch: a header naming the breakage, the test that catches it, the
# tests to run and any environment, then a unified diff) is applied to a
# copy of the sources, built, and the tests it names must FAIL.  A mutant
# whose tests pass survived: the tests cannot see that breakage any more.
# A patch that no longer applies or a mutant that does not build is an
# error too (refresh the patch).  Work tree: mutants/ in the build tree.
set -u
src=${KC_SRCDIR:?} build=${KC_BUILDDIR:?}/mutants
jobs=${KC_JOBS:-2}
start=$(date +%s)
n=0 caught=0 bad=0

say() { printf '%s\n' "$*"; }
rm -rf "$build" && mkdir -p "$build/src" "$build/obj" || exit 99
# A copy of the sources (not build trees or the git metadata).
(cd "$src" && tar cf - --exclude=./.git --exclude=./build \
	--exclude=./build-cross --exclude=./build-musl --exclude=./build-tsan --exclude=./build-deb \
	--exclude=./autom4te.cache --exclude=./mutants .) | (cd "$build/src" && tar xf -) || exit 99
[ -x "$build/src/configure" ] || (cd "$build/src" && autoreconf -fi >/dev/null 2>&1) || exit 99
# No -Werror: a mutant must be caught by the tests, not by a warning;
# -O0: most of a mutant's time is its rebuild.
(cd "$build/obj" && "$build/src/configure" -q CFLAGS="-O0 -g0" >configure.log 2>&1 && make -s -j"$jobs" >make.log 2>&1 &&
	make -s -j"$jobs" check TESTS= >>make.log 2>&1) ||
	{ say "check-mutants: the unmodified copy does not build (see $build/obj)"; exit 99; }

for p in "$src"/tests/mutants/*.patch; do
	n=$((n + 1))
	name=$(basename "$p" .patch)
	what=$(sed -n 's/^Breakage: //p' "$p")
	by=$(sed -n 's/^Caught by: //p' "$p")
	tests=$(sed -n 's/^Tests: //p' "$p")
	env=$(sed -n 's/^Env: //p' "$p")
	if ! (cd "$build/src" && patch -s -p1 --dry-run <"$p" >/dev/null 2>&1); then
		say "not ok $n - $name: the patch no longer applies (refresh tests/mutants/$name.patch)"
		bad=$((bad + 1)); continue
	fi
	(cd "$build/src" && patch -s -p1 <"$p")
	t0=$(date +%s)
	if ! (cd "$build/obj" && make -s -j"$jobs" >"$name.make.log" 2>&1); then
		say "not ok $n - $name: the mutant does not build (see $build/obj/$name.make.log)"
		bad=$((bad + 1))
	elif (cd "$build/obj" && eval "env $env make -s check TESTS=\"\$tests\"" >"$name.log" 2>&1); then
		say "not ok $n - $name SURVIVED: $tests passed with: $what"
		bad=$((bad + 1))
	else
		say "ok $n - $name caught by $by ($(( $(date +%s) - t0 )) s)"
		caught=$((caught + 1))
	fi
	(cd "$build/src" && patch -s -R -p1 <"$p")
done
say "1..$n"
say "check-mutants: $caught caught, $bad survived or broken, $(( $(date +%s) - start )) s"
[ $bad -eq 0 ] && [ $n -gt 0 ]
