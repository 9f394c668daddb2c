#!/bin/sh
# make check-kernels: the real-KVM scenarios of tests/real-kvm.test, with and
# without libkvmcompl, inside several real Debian kernels.
#
# For each package of tests/kernels/kernels.list: `apt-get download` it into
# the cache, take vmlinuz and kvm-amd.ko with every module it depends on,
# build an initramfs (busybox-static, the modules, tests/vmm/legacy-vmm,
# libkvmcompl.so, the libc and loader they need, an /init that runs the
# scenarios) and boot it with qemu-system-x86_64 -accel tcg -cpu max, whose
# AMD SVM lets the guest kernel's kvm_amd run guests (nested). Output: TAP on
# stdout (one line per kernel boot and per kernel x scenario x shim), the
# results file tests/kernels/results.tsv in the build tree.
#
# Environment: KC_BUILDDIR, KC_SRCDIR, KC_LIB, KC_PRELOAD_FIRST (as set by
# the Makefile), and
#   KVMCOMPL_KERNEL_CACHE  downloaded packages and extracted kernels
#                          (default: $KC_BUILDDIR/tests/kernels/cache)
#   KVMCOMPL_KERNELS       kernel list file (default: tests/kernels/kernels.list)
#   KVMCOMPL_BOOT_TIMEOUT  seconds one boot may take, tests included (default 300)
#   KVMCOMPL_KERNEL_JOBS   kernels booted at once (default: the number of CPUs)
# Exit: 0 all ok (or skipped: no qemu-system-x86), 1 something failed.
set -u

src=${KC_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bld=${KC_BUILDDIR:-$src}
lib=${KC_LIB:-$bld/src/.libs/libkvmcompl.so}
list=${KVMCOMPL_KERNELS:-$src/tests/kernels/kernels.list}
cache=${KVMCOMPL_KERNEL_CACHE:-$bld/tests/kernels/cache}
tmo=${KVMCOMPL_BOOT_TIMEOUT:-300}
jobs=${KVMCOMPL_KERNEL_JOBS:-$(nproc 2>/dev/null || echo 1)}
out=$bld/tests/kernels
results=$out/results.tsv
vmm=$bld/tests/vmm/legacy-vmm
PATH=$PATH:/usr/sbin:/sbin

# ------------------------------------------------------------ expectations
# The guests boot on QEMU TCG with -cpu max: every guest kernel's KVM is the
# AMD SVM backend (kvm_amd, nested). The scenario list is tests/real-kvm.test's:
# each scenario with the library (legacy-vmm ... fixed: the guest must see
# correct I/O) and as a control without it, whose expectation is the legacy
# VMM's third argument, by backend:
#   control        the default, as on the host: a read's loss or duplication
#                  must show; writes and immediate_exit are information only
#   control-clean  this backend shows no bug: the guest must see correct I/O
#   control-bug    as control, and a write must show its duplication
# svm (kernel-rules.md, x86):
#   getset_in  control-clean. SVM intercepts a non-string IN as fast PIO
#     (svm.c io_interception -> kvm_fast_pio); complete_fast_pio_in writes RAX
#     and advances RIP whenever the linear RIP is unchanged ("IO, IN, fast
#     path"), so GET_REGS+SET_REGS of the same values keeps the result. The
#     host's PVM backend emulates the IN (complete_emulated_pio, NO_DECODE
#     re-emulation after __set_regs), which drops it. getset_mmio is emulated
#     on SVM too: its bug shows (plain control).
#   out  control-bug. A fast-PIO OUT leaves RIP at the OUT until
#     complete_fast_pio_out ("IO, OUT, fast path": advances RIP), so a save
#     and restore before re-entry performs the write twice. mmio_write stays
#     information only: RIP is past the store at the exit ("MMIO write").
#   ucall_in, insb_edit, out7e  control-clean everywhere: the VMM reads
#     state at an exit it has not answered (or one the kernel already
#     finished), native behaviour is the reference (answer-aware completion).
#   out7e_noquirk  control-bug: with KVM_X86_QUIRK_OUT_7E_INC_RIP disabled
#     the OUT to 0x7e is fast PIO like any other (complete_fast_pio_out).
control_svm="getset_in/real=control-clean getset_in/long=control-clean
	out/real=control-bug out/long=control-bug
	ucall_in/real=control-clean ucall_in/long=control-clean
	insb_edit/real=control-clean insb_edit/long=control-clean
	out7e/real=control-clean out7e/long=control-clean
	out7e_noquirk/real=control-bug out7e_noquirk/long=control-bug"

# Guest-side backend of every kernel in the list (TCG -cpu max: SVM).
backend=svm

control_expect() { # SCENARIO/MODE -> the control's legacy-vmm expectation
	eval "cl=\$control_$backend"
	for c in $cl; do
		[ "${c%%=*}" = "$1" ] && { echo "${c#*=}"; return; }
	done
	echo control
}

# The cases, one a line: NAME<TAB>SHIM<TAB>EXPECT<TAB>COMMAND (run by the
# guest's /init with busybox sh; $P is the preload list, $V the VMM).
# EXPECT is the legacy VMM's expectation argument (the VMM checks it), or
# "once": fixed, and exactly one "debug: completed exit 2" in the log.
gen_cases() {
	for mode in real long; do
		for s in in mmio_read rdmsr out mmio_write insb getset_in getset_mmio \
			 split_read split_write flags cap vmm_immediate_exit inherited \
			 other_thread race ucall_in insb_edit read_then_save_in \
			 read_then_save_mmio out7e out7e_noquirk; do
			c=$(control_expect "$s/$mode")
			printf '%s\twith\tfixed\tenv LD_PRELOAD="$P" $V %s %s fixed\n' "$s/$mode" $s $mode
			printf '%s\twithout\t%s\t$V %s %s %s\n' "$s/$mode" "$c" $s $mode "$c"
		done
		for s in complete_off explicit_api; do
			printf '%s\twith KVMCOMPL_COMPLETE=off\tfixed\tenv KVMCOMPL_COMPLETE=off LD_PRELOAD="$P" $V %s %s fixed\n' \
				"$s/$mode" $s $mode
		done
		printf '%s\twith KVMCOMPL_COMPLETE=other-thread\tfixed\tenv KVMCOMPL_COMPLETE=other-thread LD_PRELOAD="$P" $V complete_off %s fixed\n' \
			"in-same-thread/$mode" $mode
		printf '%s\twith KVMCOMPL_COMPLETE=other-thread\tfixed\tenv KVMCOMPL_COMPLETE=other-thread LD_PRELOAD="$P" $V other_thread %s fixed\n' \
			"mmio_read-other-thread/$mode" $mode
	done
	for mode in real long; do
		printf '%s\twith KVMCOMPL_LOG=debug\tonce\tenv KVMCOMPL_LOG=debug LD_PRELOAD="$P" $V race %s fixed\n' \
			"race-one-completion/$mode" $mode
	done
}

# ------------------------------------------------------------ helpers
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
note() { echo "# $*"; }

# A line is a package name, or "oldest SERIES" / "newest SERIES" (e.g.
# "newest 6.1"): the amd64 kernel of that series the archive offers now,
# so the list keeps meaning the same thing as Debian publishes updates.
resolve() { # oldest|newest SERIES
	series=$(printf '%s' "$2" | sed 's/\./\\./g')
	apt-cache search --names-only "^linux-image-$series(\.0-[0-9]+|\.[0-9]+\+deb[0-9]+)-amd64\$" 2>/dev/null |
		awk '{ print $1 }' | sort -V | if [ "$1" = oldest ]; then head -n 1; else tail -n 1; fi
}
kernels=$(sed -e 's/#.*//' "$list" | while read -r a b; do
	case $a in
	'') ;;
	oldest|newest) k=$(resolve "$a" "$b"); echo "${k:-unresolved:$a-$b}" ;;
	*) echo "$a" ;;
	esac
done)
nk=$(echo "$kernels" | grep -c .)
ncases=$(gen_cases | grep -c .)

if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
	echo "1..0 # SKIP qemu-system-x86_64 not found: install qemu-system-x86 (sh contrib/setup-kernels.sh)"
	exit 0
fi
echo "1..$((nk * (ncases + 1)))"
t_all=$(now)
mkdir -p "$out" "$cache" || exit 1
work=$(mktemp -d "$out/work.XXXXXX") || exit 1
[ -n "${KVMCOMPL_KEEP_WORK:-}" ] || trap 'rm -rf "$work"' EXIT INT TERM
status=0
n=0
die_prep() { echo "Bail out! $*"; exit 1; }

for t in busybox cpio gzip dpkg-deb apt-get modinfo timeout; do
	command -v $t >/dev/null 2>&1 || die_prep "$t not found: run sh contrib/setup-kernels.sh"
done
[ -x "$vmm" ] || die_prep "$vmm not built: run make first"
[ -f "$lib" ] || die_prep "$lib not built: run make first"
grep -q control-clean "$vmm" || die_prep "$vmm has no control-clean expectation: rebuild it (make)"

# ------------------------------------------------------------ common initramfs
t0=$(now)
root=$work/root
mkdir -p "$root/bin" "$root/lib" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" \
	"$root/lib/modules" || exit 1
busybox=$(command -v busybox)
file "$busybox" 2>/dev/null | grep -q 'dynamically linked' &&
	die_prep "$busybox is not static: install busybox-static"
cp "$busybox" "$root/bin/busybox"
cp "$vmm" "$root/bin/legacy-vmm"
cp "$lib" "$root/lib/libkvmcompl.so"
preload=/lib/libkvmcompl.so
bins="$vmm $lib"
for p in ${KC_PRELOAD_FIRST:-}; do
	cp -L "$p" "$root/lib/" && preload="/lib/$(basename "$p") $preload" && bins="$bins $p"
done
# The libc, loader and whatever else they need, at the paths ldd names.
for f in $(ldd $bins 2>/dev/null | awk '/=> \// { print $3 } /^[[:space:]]*\/[^ ]*ld-linux/ { print $1 }' | sort -u); do
	mkdir -p "$root$(dirname "$f")" && cp -L "$f" "$root$f" || die_prep "cannot copy $f"
done
gen_cases > "$root/cases"
cat > "$root/init" <<EOF
#!/bin/busybox sh
/bin/busybox mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
dmesg -n 1
echo "@@KC boot \$(uname -r)"
for m in \$(cat /lib/modules/order); do
	if ! insmod /lib/modules/\$m; then
		echo "@@KC modfail \$m"
		dmesg | tail -n 30
		poweroff -f
	fi
done
dmesg | grep -i -e kvm -e svm -e nested | sed 's/^/@@KC dmesg /'
[ -c /dev/kvm ] || mknod /dev/kvm c 10 232
P="$preload"
V=/bin/legacy-vmm
cd /tmp
probe=\$(\$V cap real control 2>&1); rc=\$?
printf '%s\n' "\$probe" | sed 's/^/@@KC| /'
echo "@@KC probe \$rc"
[ \$rc -eq 77 ] && poweroff -f
id=0
while IFS='	' read -r name shim kind cmd; do
	id=\$((id + 1))
	echo "@@KC begin \$id"
	o=\$(eval "\$cmd" 2>&1); rc=\$?
	printf '%s\n' "\$o" | sed 's/^/@@KC| /'
	echo "@@KC end \$id \$rc"
done < /cases
echo "@@KC done"
poweroff -f
EOF
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1) > "$work/common.cpio.gz" ||
	die_prep "cannot build the initramfs"
note "common initramfs: $(du -k "$work/common.cpio.gz" | cut -f1) KiB in $(since "$t0") s"

# ------------------------------------------------------------ per kernel
# fetch PKG: the .deb in the cache (downloading the archive's candidate if
# the cache lacks it), then vmlinuz and the kvm_amd module closure extracted
# once into $cache/PKG/. Prints what it did; fails with a reason.
fetch() {
	pkg=$1 dir=$cache/$1
	ver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)
	deb=
	[ -n "$ver" ] && [ -f "$cache/${pkg}_$(echo "$ver" | sed 's/:/%3a/')_amd64.deb" ] &&
		deb=$cache/${pkg}_$(echo "$ver" | sed 's/:/%3a/')_amd64.deb
	if [ -z "$deb" ] && [ -z "$ver" ]; then
		# Not known to apt-cache: use a cached copy if there is one.
		deb=$(ls "$cache/${pkg}"_*_amd64.deb 2>/dev/null | tail -n 1)
		[ -n "$deb" ] || { echo "apt-cache does not know $pkg (run apt-get update, or remove it from the list)"; return 1; }
	fi
	if [ -z "$deb" ]; then
		t=$(now)
		(cd "$cache" && apt-get download "$pkg" 2>&1) | tail -n 3 | sed 's/^/  /'
		deb=$(ls "$cache/${pkg}"_*_amd64.deb 2>/dev/null | tail -n 1)
		[ -n "$deb" ] || { echo "apt-get download $pkg failed"; return 1; }
		echo "downloaded $(basename "$deb") ($(du -m "$deb" | cut -f1) MiB) in $(since "$t") s"
	fi
	if [ -f "$dir/stamp" ] && [ "$(cat "$dir/stamp")" = "$(basename "$deb")" ]; then
		echo "cached: $(basename "$deb")"
		return 0
	fi
	t=$(now)
	rm -rf "$dir" && mkdir -p "$dir/x" "$dir/modules" || return 1
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir/x" --wildcards './boot/vmlinuz-*' './lib/modules/*' ||
		{ echo "cannot extract $deb"; return 1; }
	cp "$dir"/x/boot/vmlinuz-* "$dir/vmlinuz" || { echo "no vmlinuz in $deb"; return 1; }
	ls "$dir/x/lib/modules" > "$dir/release"
	# name -> file of every module; then kvm_amd's dependencies, depth first,
	# so that each module follows those it needs.
	find "$dir/x/lib/modules" -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz' |
		awk '{ n = $0; sub(/.*\//, "", n); sub(/\.ko(\.(xz|zst|gz))?$/, "", n); gsub(/-/, "_", n); print n, $0 }' \
		> "$dir/index"
	: > "$dir/modules/order"
	add_module kvm_amd || return 1
	rm -rf "$dir/x" "$dir/index"
	basename "$deb" > "$dir/stamp"
	echo "extracted $(cat "$dir/release"): modules $(tr '\n' ' ' < "$dir/modules/order")in $(since "$t") s"
}

add_module() { # NAME: add NAME after its dependencies to $dir/modules
	grep -qx "$1.ko" "$dir/modules/order" && return 0
	f=$(awk -v n="$1" '$1 == n { print $2; exit }' "$dir/index")
	[ -n "$f" ] || { echo "module $1 not in the package"; return 1; }
	case $f in
	*.xz) xz -dc "$f" ;; *.zst) zstd -qdc "$f" ;; *.gz) gzip -dc "$f" ;; *) cat "$f" ;;
	esac > "$dir/modules/$1.ko" || { echo "cannot decompress $f"; return 1; }
	for d in $(modinfo -F depends "$dir/modules/$1.ko" | tr ',' ' '); do
		add_module "$d" || return 1
	done
	echo "$1.ko" >> "$dir/modules/order"
}

i=0
for k in $kernels; do
	i=$((i + 1))
	t0=$(now)
	msg=$(fetch "$k" 2>&1); rc=$?
	printf '%s\n' "$msg" | sed "s/^/# $k: /"
	if [ $rc -ne 0 ]; then
		echo fail > "$work/$i.prep"
		continue
	fi
	mkdir -p "$work/k$i/lib" && cp -r "$cache/$k/modules" "$work/k$i/lib/" &&
		(cd "$work/k$i" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1) > "$work/$i.mods.cpio.gz" &&
		cat "$work/common.cpio.gz" "$work/$i.mods.cpio.gz" > "$work/$i.initrd" ||
		{ echo fail > "$work/$i.prep"; continue; }
	echo ok > "$work/$i.prep"
	note "$k: ready in $(since "$t0") s"
done
note "preparation (downloads, extraction, initramfs) took $(since "$t_all") s"

# ------------------------------------------------------------ boots
boot() { # I PKG
	t=$(now)
	timeout -k 5 "$tmo" qemu-system-x86_64 -accel tcg -cpu max -smp 1 -m 512 \
		-display none -serial stdio -monitor none -no-reboot -nodefaults \
		-kernel "$cache/$2/vmlinuz" -initrd "$work/$1.initrd" \
		-append "console=ttyS0 panic=-1 rdinit=/init" \
		</dev/null > "$work/$1.console" 2>&1
	echo "$? $(since "$t")" > "$work/$1.boot"
}
t_boots=$(now)
i=0 started=0
for k in $kernels; do
	i=$((i + 1))
	[ "$(cat "$work/$i.prep")" = ok ] || continue
	# At most $jobs at a time: a boot is over when its .boot file exists.
	while [ $((started - $(ls "$work" | grep -c '\.boot$'))) -ge "$jobs" ]; do sleep 0.2; done
	boot $i "$k" &
	started=$((started + 1))
done
wait
note "boots ($jobs at a time) took $(since "$t_boots") s"

# ------------------------------------------------------------ report
printf 'kernel\trelease\tscenario\tshim\texpectation\toutcome\tverdict\n' > "$results.new"
gen_cases > "$work/cases"
i=0
for k in $kernels; do
	i=$((i + 1))
	[ -f "$work/$i.console" ] || : > "$work/$i.console"
	set -- $(cat "$work/$i.boot" 2>/dev/null || echo "- -")
	brc=$1 bsec=$2
	tr -d '\r' < "$work/$i.console" | awk -v k="$k" -v n="$n" -v brc="$brc" -v bsec="$bsec" \
		-v prep="$(cat "$work/$i.prep")" -v tmo="$tmo" -v res="$results.new" -v nfile="$work/n" '
	FNR == NR { split($0, f, "\t"); ncase++; nm[ncase] = f[1]; sh[ncase] = f[2]; ex[ncase] = f[3]; next }
	{ con[++ncon] = $0 }
	/^@@KC boot / { rel = $3 }
	/^@@KC modfail / { modfail = $3 }
	/^@@KC dmesg / { sub(/^@@KC dmesg /, ""); dm = dm "# " k ": " $0 "\n" }
	/^@@KC probe / { probe = $3 }
	/^@@KC done/ { done = 1 }
	/^@@KC begin / { cur = $3; buf = ""; ce = 0; inside = 1; next }
	/^@@KC\| / && inside { l = substr($0, 7); buf = buf "# " l "\n"
		if (index(l, "debug: completed exit 2 ")) ce++
		next }
	/^@@KC\| / { pbuf = pbuf "# " substr($0, 7) "\n"; next }
	/^@@KC end / { rc = $4; inside = 0
		if (rc == 0) obs = "pass"; else if (rc == 77) obs = "skip"; else obs = "fail(exit " rc ")"
		if (obs == "pass" && ex[cur] == "once" && ce != 1) obs = "fail(" ce " completions)"
		out[cur] = buf; got[cur] = obs; next }
	END {
		up = prep == "ok" && rel != "" && modfail == "" && probe == 0 && probe != ""
		if (prep != "ok") why = "not prepared (download or extraction failed)"
		else if (brc == 124 || brc == 137) why = "timed out after " tmo " s"
		else if (rel == "") why = "did not reach /init (qemu exit " brc ")"
		else if (modfail != "") why = "could not load " modfail
		else if (probe == "") why = "stopped before the KVM probe"
		else if (probe != 0) why = "/dev/kvm cannot run a guest (legacy-vmm exit " probe ")"
		n++
		if (up) { printf "%s", dm; printf "ok %d - %s (%s): boots, kvm_amd loads, /dev/kvm runs a guest (%s s)\n", n, k, rel, bsec }
		else {
			print "# " k ": console tail:"
			for (j = (ncon > 40 ? ncon - 39 : 1); j <= ncon; j++) print "#   " con[j]
			printf "%s", pbuf
			printf "not ok %d - %s%s: %s\n", n, k, rel != "" ? " (" rel ")" : "", why
			printf "%s\t%s\tboot\t-\tup\t%s\tnot ok\n", k, rel, why >> res
		}
		for (c = 1; c <= ncase; c++) {
			n++
			if (c in got) o = got[c]
			else if (up) o = "not run (boot ended early: " (brc == 124 ? "timeout" : "qemu exit " brc) ")"
			else o = "not run"
			v = o == "pass" ? "ok" : "not ok"
			if (c in out) printf "%s", out[c]
			if (sh[c] == "without") how = "control (without libkvmcompl)"
			else if (sh[c] == "with") how = "with libkvmcompl"
			else how = "with libkvmcompl, " substr(sh[c], 6)
			if (sh[c] == "without" && ex[c] != "control") how = how ", " ex[c]
			tail = v == "ok" ? "" : " (" o ")"
			printf "%s %d - %s: %s %s%s\n", v, n, k, nm[c], how, tail
			printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k, rel, nm[c], sh[c], ex[c], o, v >> res
		}
		print n > nfile
	}' "$work/cases" - || status=1
	n=$(cat "$work/n")
	note "$k: boot and tests $bsec s (qemu exit $brc)"
done
mv "$results.new" "$results"
grep -q '	not ok$' "$results" && status=1
note "results: $results"
note "check-kernels: $nk kernels, total $(since "$t_all") s"
exit $status
