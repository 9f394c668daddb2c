#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make check-selftests: the kernel's own KVM selftests (x86) as a peer suite.
#
# For each kernel series (default: 6.1 6.12, those of check-kernels' guest
# kernels): `apt-get download linux-source-SERIES` (Debian's kernel source)
# into the cache, extract what the selftests need (the top Makefile,
# scripts/, include/, arch/x86/ and tools/), `make headers`, build
# tools/testing/selftests/kvm, then boot the newest Debian kernel of that
# series under QEMU TCG -cpu max (nested AMD SVM, as check-kernels does) with
# the tests in its initramfs and run every test twice: natively and with
# libkvmcompl in its default settings (plus KVMCOMPL_STATS=1, which counts
# the completions and changes nothing else). The two outcomes must be
# identical per test: pass, skip, fail or timeout, and for a failure the
# same assertion (file:line: expression of the "Test Assertion Failure"),
# for a skip the same reason. Output: TAP (one line per series boot and per
# series x test), then per series a table: test, native, with library,
# completions; tests/kernels/selftests.tsv in the build tree. On a host
# whose /dev/kvm works, the same two runs also happen on the host first
# (KVMCOMPL_SELFTEST_HOST=0 to leave them out).
#
# Environment: KC_BUILDDIR, KC_SRCDIR, KC_LIB, KC_PRELOAD_FIRST (as set by
# the Makefile), and
#   KVMCOMPL_KERNEL_CACHE     downloads, extracted and built trees (default:
#                             $KC_BUILDDIR/tests/kernels/cache), shared with
#                             check-kernels
#   KVMCOMPL_SELFTEST_SERIES  kernel series (default "6.1 6.12")
#   KVMCOMPL_SELFTEST_TIMEOUT seconds one test run may take (default 45;
#                             the slowest test that finishes under nested
#                             TCG, hyperv_tlb_flush, takes 25 s)
#   KVMCOMPL_SELFTESTS        only the tests whose name matches this extended
#                             regular expression (default: all)
#   KVMCOMPL_SELFTEST_STATS   0: no KVMCOMPL_STATS in the runs with the
#                             library (no completion count; default 1)
#   KVMCOMPL_SELFTEST_FLAKY   tests whose difference is reported, not counted
#                             (default x86_64/xapic_ipi_test: timing)
#   KVMCOMPL_BOOT_TIMEOUT     seconds one boot may take (default 5400)
# Exit: 0 all identical (or skipped: no qemu-system-x86), 1 otherwise.
set -u

src=${KC_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bld=${KC_BUILDDIR:-$src}
lib=${KC_LIB:-$bld/src/.libs/libkvmcompl.so}
cache=${KVMCOMPL_KERNEL_CACHE:-$bld/tests/kernels/cache}
series=${KVMCOMPL_SELFTEST_SERIES:-6.1 6.12}
ttmo=${KVMCOMPL_SELFTEST_TIMEOUT:-45}
only=${KVMCOMPL_SELFTESTS:-}
stats=${KVMCOMPL_SELFTEST_STATS:-1}
# Tests whose outcome depends on timing under nested TCG: a difference is
# shown but not counted (xapic_ipi_test asserts that IPIs progressed within
# each second; it passed and failed both ways in the same setup).
flaky=${KVMCOMPL_SELFTEST_FLAKY:-x86_64/xapic_ipi_test}
tmo=${KVMCOMPL_BOOT_TIMEOUT:-5400}
out=$bld/tests/kernels
results=$out/selftests.tsv
PATH=$PATH:/usr/sbin:/sbin

. "$src/tests/kernels/kernel-lib.sh"

if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
	echo "1..0 # SKIP qemu-system-x86_64 not found: install qemu-system-x86 (sh contrib/setup-kernels.sh)"
	exit 0
fi
die_prep() { echo "Bail out! $*"; exit 1; }
for t in busybox cpio gzip xz dpkg-deb apt-get apt-cache modinfo timeout make gcc strip; do
	command -v $t >/dev/null 2>&1 || die_prep "$t not found: run sh contrib/setup-selftests.sh"
done
[ -f "$lib" ] || die_prep "$lib not built: run make first"
t_all=$(now)
mkdir -p "$out" "$cache" || exit 1
work=$(mktemp -d "$out/stwork.XXXXXX") || exit 1
[ -n "${KVMCOMPL_KEEP_WORK:-}" ] || trap 'rm -rf "$work"' EXIT INT TERM

# ------------------------------------------------------------ the selftests
# build_selftests SERIES: $cache/selftests-SERIES/bin/ holds the stripped
# test programs and list (one relative name a line, e.g. x86_64/smm_test).
# Rebuilt when the source package changes. Prints what it did.
build_selftests() {
	s=$1 d=$cache/selftests-$1
	pkg=linux-source-$s
	ver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)
	[ -n "$ver" ] || { echo "apt-cache does not know $pkg (apt-get update?)"; return 1; }
	deb=$cache/${pkg}_$(echo "$ver" | sed 's/:/%3a/')_all.deb
	if [ ! -f "$deb" ]; then
		t=$(now)
		(cd "$cache" && apt-get download "$pkg" 2>&1) | tail -n 2 | sed 's/^/  /'
		[ -f "$deb" ] || { echo "apt-get download $pkg failed"; return 1; }
		echo "downloaded $(basename "$deb") ($(du -m "$deb" | cut -f1) MiB) in $(since "$t") s"
	fi
	if [ -f "$d/stamp" ] && [ "$(cat "$d/stamp")" = "$(basename "$deb")" ]; then
		echo "cached: selftests of $(basename "$deb") ($(wc -l < "$d/bin/list") tests)"
		return 0
	fi
	t=$(now)
	top=linux-source-$s
	k=$d/x/$top
	# An extraction and headers kept from an earlier, unfinished build.
	if [ "$(cat "$d/extracted" 2>/dev/null)" != "$(basename "$deb")" ] || [ ! -f "$k/Makefile" ]; then
		rm -rf "$d" && mkdir -p "$d/x" || return 1
		# The source tarball inside the package; only what `make headers`
		# and the selftests' Makefile read.
		dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$top.tar.xz" | xz -dc |
			tar -x -C "$d/x" --wildcards "$top/Makefile" "$top/Kbuild" "$top/Kconfig" \
				"$top/scripts/*" "$top/include/*" "$top/arch/x86/*" "$top/arch/Kconfig" "$top/tools/*" ||
			{ echo "cannot extract $deb"; return 1; }
		make -s -C "$k" ARCH=x86_64 headers > "$d/build.log" 2>&1 || { tail -n 20 "$d/build.log"; return 1; }
		basename "$deb" > "$d/extracted"
		echo "extracted, headers made in $(since "$t") s"
		t=$(now)
	fi
	rm -rf "$d/bin" && mkdir -p "$d/bin" || return 1
	st=$k/tools/testing/selftests/kvm
	# 6.1 and 6.12 name the directory ARCH=x86_64 (x86 from 6.13 on). -k:
	# a test that does not build (6.1.192's dirty_log_test uses a
	# TEST_ASSERT_EQ its test_util.h lacks) is listed, the others run.
	make -k -C "$st" ARCH=x86_64 -j"$(nproc)" >> "$d/build.log" 2>&1 ||
		echo "some tests did not build (make -k; $d/build.log):"
	printf 'kc-print-progs:\n\t@echo $(TEST_GEN_PROGS)\n' > "$d/print.mk"
	: > "$d/bin/unbuilt"
	for p in $(make -s -C "$st" ARCH=x86_64 -f Makefile -f "$d/print.mk" kc-print-progs); do
		n=${p#"$st"/}
		if [ ! -x "$p" ]; then
			# its first error: in its file or in a header it includes
			why=$(awk -v f="$(basename "$n").c" 'index($0, f) && !/^gcc/ { hit = 1 }
				hit && /error|undefined reference/ { sub(/^[^ ]*\//, ""); print; exit }' "$d/build.log")
			echo "not built: $n: $why"
			printf '%s\t%s\n' "$n" "${why:-see the build log}" >> "$d/bin/unbuilt"
			continue
		fi
		mkdir -p "$d/bin/$(dirname "$n")" && strip -o "$d/bin/$n" "$p" && echo "$n" >> "$d/bin/list"
	done
	[ -s "$d/bin/list" ] || { echo "no test built"; return 1; }
	gcc --version | head -n 1 > "$d/bin/compiler"
	rm -rf "$d/x" "$d/extracted"
	basename "$deb" > "$d/stamp"
	echo "built $(wc -l < "$d/bin/list") tests in $(since "$t") s ($(cat "$d/bin/compiler")), $(grep -c . "$d/bin/unbuilt") did not build"
}

# The guest (and host) side: for each test, native then with the library;
# "@@ST res NAME MODE RC SECONDS COMPLETIONS" and "@@ST sig NAME MODE TEXT"
# (the assertion, skip reason or kselftest totals), the output's tail as
# "@@ST| ". Plain sh (busybox).
runner() {
	cat <<'EOF'
# Smaller sizes for the tests whose defaults (1 GiB per vCPU, 32 rounds)
# cannot finish under nested TCG; the same options in 6.1 and 6.12 (-b the
# guest memory per vCPU, -i the iterations or modifications).
st_args() {
	case $1 in
	demand_paging_test | kvm_page_table_test | x86_64/dirty_log_page_splitting_test) echo "-b 32M" ;;
	dirty_log_perf_test) echo "-b 32M -i 2" ;;
	dirty_log_test) echo "-i 2" ;;
	memslot_modification_stress_test) echo "-b 32M -i 10" ;;
	esac
}
st_run() { # DIR PRELOAD TIMEOUT FILTER STATS
	cd "$1" || return 1
	for t in $(cat list); do
		[ -z "$4" ] || echo "$t" | grep -Eq "$4" || continue
		for m in native lib; do
			s0=$(date +%s)
			if [ $m = native ]; then
				timeout -s KILL "$3" "./$t" $(st_args "$t") > /tmp/st.out 2>&1 < /dev/null; rc=$?
			else
				# The statistics go to stderr, the test's output: a log
				# file would hold one fd more than the default settings
				# do, in tests that fill RLIMIT_NOFILE with vCPUs
				# (kvm_create_max_vcpus, recalc_apic_map_test).
				timeout -s KILL "$3" env LD_PRELOAD="$2" KVMCOMPL_STATS="$5" \
					"./$t" $(st_args "$t") > /tmp/st.out 2>&1 < /dev/null; rc=$?
			fi
			secs=$(($(date +%s) - s0))
			# completions: the sum over the vCPUs' stats lines (stats.c)
			c=-
			[ $m = lib ] && [ "$5" = 1 ] &&
				c=$(sed -n 's/^libkvmcompl\[[0-9]*\]: info: stats: .*; \([0-9]*\) completions.*/\1/p' /tmp/st.out |
					awk '{ n += $1 } END { print n + 0 }')
			# test_assert.c: "==== Test Assertion Failure ====", then
			# "  file:line: expression"; kselftest.h: "# SKIP"/"skipping";
			# kselftest_harness.h: "# Totals:".
			sig=$(sed -n '/==== Test Assertion Failure ====/{n;p;q;}' /tmp/st.out)
			[ -n "$sig" ] || sig=$(grep -m 1 -e '# Totals:' /tmp/st.out)
			[ -n "$sig" ] || sig=$(grep -m 1 -i -e 'skip' /tmp/st.out)
			echo "@@ST res $t $m $rc $secs $c"
			echo "@@ST sig $t $m $(echo "$sig" | sed 's/^[[:space:]]*//' | cut -c1-200)"
			grep -v '^libkvmcompl\[[0-9]*\]: info: stats: ' /tmp/st.out | tail -n 12 | sed 's/^/@@ST| /'
		done
	done
}
EOF
}

# report SERIES KERNEL CONSOLE LIST: TAP lines and the table from the
# markers, one per test of LIST (those of the list the filter selects).
report() {
	grep -E "${only:-.}" "$4" > "$work/expect"
	unbuilt=$(dirname "$4")/unbuilt
	echo $n > "$work/n"
	awk -F '\t' -v re="${only:-.}" '$1 ~ re' "$unbuilt" 2>/dev/null | while IFS='	' read -r t why; do
		n=$((n + 1))
		echo "ok $n - $1: $t: not built from Debian's source # SKIP $why"
		printf '%s\t%s\t%s\tnot built\tnot built\t-\tsame\t%s\n' "$1" "$2" "$t" "$why" >> "$results.new"
		printf '%-48s %-12s %-12s %s\n' "$t" "not built" "not built" "-" >> "$work/$1.table"
		echo $n > "$work/n"
	done
	n=$(cat "$work/n")
	tr -d '\r' < "$3" | awk -v s="$1" -v k="$2" -v n="$n" -v nfile="$work/n" -v flaky=" $flaky " \
		-v res="$results.new" -v tbl="$work/$1.table" '
	FNR == NR { order[++nt] = $0; next }
	/^@@ST res / { t = $3; m = $4; rc[t, m] = $5; secs[t, m] = $6; if (m == "lib") comp[t] = $7
		cur = t; next }
	/^@@ST sig / { x = $0; sub(/^@@ST sig [^ ]* [^ ]* ?/, "", x); sig[$3, $4] = x; next }
	/^@@ST\| / { buf[cur] = buf[cur] "#   " substr($0, 7) "\n"; next }
	function outcome(t, m,   r) {
		if (!((t, m) in rc)) return "not run"
		r = rc[t, m]
		if (r == 0) return "pass"
		if (r == 4) return "skip"
		if (r == 137 || r == 124) return "timeout"
		return "fail(" r ")"
	}
	END {
		np = nsk = nf = nto = same = 0
		for (i = 1; i <= nt; i++) {
			t = order[i]; a = outcome(t, "native"); b = outcome(t, "lib")
			ok = a == b && sig[t, "native"] == sig[t, "lib"] && a != "not run"
			if (a == "timeout" && b == "timeout") ok = 1
			n++
			if (!ok) printf "%s", buf[t]
			if (!ok) printf "#   native: %s\n#   with library: %s\n", sig[t, "native"], sig[t, "lib"]
			if (!(t in comp)) comp[t] = "-"
			fl = !ok && index(flaky, " " t " ")
			why = ok ? "" : (a == b ? " (a different assertion)" : "")
			if (fl) why = " # SKIP differs, but its outcome depends on timing under nested TCG"
			printf "%s %d - %s: %s: native %s, with libkvmcompl %s (%s completions, %s s / %s s)%s\n",
				ok || fl ? "ok" : "not ok", n, s, t, a, b, comp[t], secs[t, "native"] + 0, secs[t, "lib"] + 0, why
			printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s, k, t, a, b, comp[t], ok ? "same" : fl ? "differs (timing)" : "DIFFERENT",
				sig[t, "native"] == sig[t, "lib"] ? sig[t, "native"] : sig[t, "native"] " | " sig[t, "lib"] >> res
			printf "%-48s %-12s %-12s %s%s\n", t, a, b, comp[t], fl ? "   (timing: not counted)" : ok ? "" : "   <- differs" >> tbl
			if (a == "pass") np++; else if (a == "skip") nsk++; else if (a == "timeout") nto++; else nf++
			if (ok || fl) same++
		}
		printf "%d tests run: natively %d pass, %d skip, %d fail, %d time out; %d identical with the library, %d differ\n",
			nt, np, nsk, nf, nto, same, nt - same >> tbl
		print n > nfile
	}' "$work/expect" -
	n=$(cat "$work/n")
}

# ------------------------------------------------------------ preparation
printf 'series\tkernel\ttest\tnative\twith library\tcompletions\tverdict\tassertion or reason\n' > "$results.new"
n=0 status=0
kernels=
for s in $series; do
	t0=$(now)
	msg=$(build_selftests "$s" 2>&1); rc=$?
	printf '%s\n' "$msg" | sed "s/^/# selftests $s: /"
	[ $rc -eq 0 ] || { echo fail > "$work/$s.prep"; continue; }
	k=$(resolve amd64 - newest "$s")
	[ -n "$k" ] || { note "no linux-image of series $s known to apt-cache"; echo fail > "$work/$s.prep"; continue; }
	msg=$(fetch amd64 - "$k" 2>&1); rc=$?
	printf '%s\n' "$msg" | sed "s/^/# $k: /"
	[ $rc -eq 0 ] || { echo fail > "$work/$s.prep"; continue; }
	echo "$k" > "$work/$s.kernel"
	note "series $s ready in $(since "$t0") s"
	echo ok > "$work/$s.prep"
done
ntests=0
for s in $series; do
	[ "$(cat "$work/$s.prep")" = ok ] || { ntests=$((ntests + 1)); continue; }
	m=$(cat "$cache/selftests-$s/bin/list" "$cache/selftests-$s/bin/unbuilt" 2>/dev/null | grep -Ec "${only:-.}")
	ntests=$((ntests + 1 + m))
done
host=no
if [ "${KVMCOMPL_SELFTEST_HOST:-1}" != 0 ] && (: < /dev/kvm) 2>/dev/null && [ -w /dev/kvm ]; then
	host=yes
	for s in $series; do
		[ "$(cat "$work/$s.prep")" = ok ] &&
			ntests=$((ntests + $(cat "$cache/selftests-$s/bin/list" "$cache/selftests-$s/bin/unbuilt" 2>/dev/null | grep -Ec "${only:-.}")))
	done
fi
echo "1..$ntests"
note "preparation (downloads, builds, kernels) took $(since "$t_all") s"

preload=/lib/libkvmcompl.so
for s in $series; do
	if [ "$(cat "$work/$s.prep")" != ok ]; then
		n=$((n + 1)); echo "not ok $n - selftests $s: not prepared (download, build or kernel failed)"
		status=1; continue
	fi
	k=$(cat "$work/$s.kernel")
	bin=$cache/selftests-$s/bin
	if [ $host = yes ]; then
		t=$(now)
		rm -rf "$work/host" && mkdir -p "$work/host" && cp -r "$bin/." "$work/host/"
		( runner; echo 'st_run "$1" "$2" "$3" "$4" "$5"' ) > "$work/host.sh"
		sh "$work/host.sh" "$work/host" "${KC_PRELOAD_FIRST:+$KC_PRELOAD_FIRST }$lib" "$ttmo" "$only" "$stats" \
			> "$work/host.console" 2>&1
		report "$s-host" "$(uname -r)" "$work/host.console" "$bin/list"
		note "selftests $s on the host's /dev/kvm: $(since "$t") s"
	fi
	# The initramfs: busybox, the kvm_amd closure, the library, the tests
	# and the libc they need.
	t=$(now)
	r=$work/root-$s
	mkdir -p "$r/bin" "$r/lib" "$r/proc" "$r/sys" "$r/dev" "$r/tmp" "$r/st" || exit 1
	cp "$(command -v busybox)" "$r/bin/busybox"
	cp "$lib" "$r/lib/libkvmcompl.so"
	cp -r "$bin/." "$r/st/"
	cp -r "$cache/$k/modules" "$r/lib/"
	one=$(head -n 1 "$bin/list")
	# libgcc_s: glibc dlopens it for pthread_cancel (sync_regs_test's races).
	gcc_s=$(gcc -print-file-name=libgcc_s.so.1)
	for f in $(ldd "$lib" "$bin/$one" 2>/dev/null | awk '/=> \// { print $3 } /^[[:space:]]*\/[^ ]*ld-linux/ { print $1 }' | sort -u); do
		mkdir -p "$r$(dirname "$f")" && cp -L "$f" "$r$f" || die_prep "cannot copy $f"
		case $f in */libc.so.*) [ -f "$gcc_s" ] && cp -L "$gcc_s" "$r$(dirname "$f")/" ;; esac
	done
	{
		init_head
		runner
		printf 'echo "@@ST start"\nst_run /st "%s" "%s" "%s" "%s"\necho "@@ST done"\npoweroff -f\n' \
			"$preload" "$ttmo" "$only" "$stats"
	} > "$r/init"
	chmod +x "$r/init"
	(cd "$r" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1) > "$work/$s.initrd" ||
		die_prep "cannot build the initramfs"
	note "selftests $s: initramfs $(du -k "$work/$s.initrd" | cut -f1) KiB in $(since "$t") s; booting $k"
	t=$(now)
	# One boot at a time: it takes a whole CPU (TCG). 2 GiB: some tests
	# size their guests from the host's memory.
	timeout -k 5 "$tmo" qemu-system-x86_64 -accel tcg -cpu max -smp 1 -m 2048 \
		-display none -serial stdio -monitor none -no-reboot -nodefaults \
		-kernel "$cache/$k/vmlinuz" -initrd "$work/$s.initrd" \
		-append "console=ttyS0 panic=-1 rdinit=/init" \
		</dev/null > "$work/$s.console" 2>&1
	brc=$? bsec=$(since "$t")
	rel=$(tr -d '\r' < "$work/$s.console" | sed -n 's/^@@KC boot //p' | head -n 1)
	n=$((n + 1))
	if grep -q '^@@ST done' "$work/$s.console"; then
		tr -d '\r' < "$work/$s.console" | sed -n 's/^@@KC dmesg /# /p'
		echo "ok $n - selftests $s in $k ($rel): booted, every test run twice ($bsec s)"
	else
		echo "# console tail:"; tr -d '\r' < "$work/$s.console" | grep -v '^@@ST' | tail -n 30 | sed 's/^/#   /'
		echo "not ok $n - selftests $s in $k${rel:+ ($rel)}: did not finish (qemu exit $brc after $bsec s)"
		status=1
	fi
	report "$s" "$k" "$work/$s.console" "$bin/list"
	note "selftests $s in $k: boot and tests $bsec s"
done
mv "$results.new" "$results"
grep -q '	DIFFERENT	' "$results" && status=1
for f in "$work"/*.table; do
	[ -f "$f" ] || continue
	note ""
	note "$(basename "$f" .table): test, native, with libkvmcompl (default settings), completions"
	sed 's/^/# /' "$f"
done
note "results: $results"
note "check-selftests: total $(since "$t_all") s"
exit $status
