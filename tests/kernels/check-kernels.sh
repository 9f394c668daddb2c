#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make check-kernels: the real-KVM scenarios of tests/real-kvm.test, with and
# without libkvmcompl, inside several real Debian kernels.
#
# For each kernel of tests/kernels/kernels.list (amd64, arm64, riscv64, of
# the host's Debian suite or another): `apt-get download` it into the cache
# (other suites and architectures through the test's own apt, papt.sh), take
# vmlinuz and the KVM modules it needs, build an initramfs and boot it under
# QEMU TCG with nested virtualization.
# amd64: kvm-amd.ko with every module it depends on, busybox-static,
# tests/vmm/legacy-vmm, libkvmcompl.so, the libc and loader they need, a
# shell /init; qemu-system-x86_64 -cpu max, whose AMD SVM lets the guest
# kernel's kvm_amd run guests. arm64, riscv64: tests/kernels/foreign.sh and
# tests/kernels/ARCH/arch.sh (the cross-built kc-vmm and library, kc-init).
# Resolving, downloading and extracting kernels, and the start of the x86
# /init, are tests/kernels/kernel-lib.sh's (shared with check-selftests.sh).
#
# Flags at the end of a list line add to that kernel's guest (amd64 only):
#   +qemu  real QEMU -accel kvm nested in the guest, on QEMU's default
#          SeaBIOS and on the VMware-backdoor image tests/qemu/vmport.S
#          (tests/qemu/run-firmware.sh, as tests/qemu.test does where the
#          host has /dev/kvm): natively, then with the library in default,
#          report and strict mode; guest output identical to native, no
#          report, strict keeps running. QEMU, the libraries ldd names,
#          bios-256k.bin, kvmvapic.bin and the image go into that kernel's
#          initramfs only; its guest gets 1 GiB instead of 512 MiB.
#   +libvirt  tests/libvirt/check-libvirt.sh (make check-libvirt) in the
#          guest, where its type='kvm' leg runs: the host's root shared
#          read-only over virtio-9p (9p, 9pnet_virtio, overlay modules),
#          a tmpfs overlay and chroot, so libvirtd, virsh, QEMU and the
#          build tree are the host's own (tests/libvirt/guest-root.sh);
#          the domains must be type='kvm', every case ok, none skipped.
#          1 GiB of guest memory too.
# Output: TAP on stdout (one line per kernel boot and per kernel x scenario
# x shim), the results file tests/kernels/results.tsv in the build tree and
# the kernel x scenario matrix tests/kernels/matrix.md (also printed).
#
# Environment: KC_BUILDDIR, KC_SRCDIR, KC_LIB, KC_PRELOAD_FIRST (as set by
# the Makefile), and
#   KVMCOMPL_KERNEL_CACHE  downloaded packages and extracted kernels
#                          (default: $KC_BUILDDIR/tests/kernels/cache)
#   KVMCOMPL_KERNELS       kernel list file (default: tests/kernels/kernels.list)
#   KVMCOMPL_BOOT_TIMEOUT  seconds one boot may take, tests included (default
#                          600: a loaded 2-core machine took 240 s for an x86 one;
#                          a +libvirt kernel gets 900 s more)
#   KVMCOMPL_BOOT_NICE     nice value of the QEMU processes (default 5)
#   KVMCOMPL_DEBIAN_MIRROR, KVMCOMPL_DEBIAN_SECURITY, KVMCOMPL_APT_MAX_AGE
#                          the test's own apt (papt.sh)
#   KVMCOMPL_KERNEL_JOBS   kernels booted at once (default: the number of CPUs)
#   KVMCOMPL_KERNEL_CASES  a case list replacing the scenarios (see gen_cases)
#   KVMCOMPL_CASES         run only the cases whose name matches this extended
#                          regular expression (default: all), e.g. '^qemu-'
# Exit: 0 all ok (or skipped: no qemu-system-x86), 1 something failed.
set -u

src=${KC_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bld=${KC_BUILDDIR:-$src}
lib=${KC_LIB:-$bld/src/.libs/libkvmcompl.so}
list=${KVMCOMPL_KERNELS:-$src/tests/kernels/kernels.list}
cache=${KVMCOMPL_KERNEL_CACHE:-$bld/tests/kernels/cache}
tmo=${KVMCOMPL_BOOT_TIMEOUT:-600}
jobs=${KVMCOMPL_KERNEL_JOBS:-$(nproc 2>/dev/null || echo 1)}
out=$bld/tests/kernels
results=$out/results.tsv
vmm=$bld/tests/vmm/legacy-vmm
rvmm=$bld/tests/kdouble/regress-vmm
helper=$bld/tests/qemu/qemu-helper
cases_re=${KVMCOMPL_CASES:-}
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
# svm (doc/kernel-rules.md, x86):
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
	# else the registry's (tests/vmm/scenarios.c)
	"$vmm" list --field control | sed -n "s/^${1%/*}=//p"
}

# The cases, one a line: NAME<TAB>SHIM<TAB>EXPECT<TAB>COMMAND (run by the
# guest's /init with busybox sh; $P is the preload list, $V the VMM).
# EXPECT is the legacy VMM's expectation argument (the VMM checks it), or
# "once": fixed, and exactly one "debug: completed exit 2" in the log, or
# "qemu": tests/qemu/run-firmware.sh checks (guest output, exit, reports).
# gen_cases FLAGS: the scenarios, and the cases FLAGS add ("+qemu"), those
# whose name matches KVMCOMPL_CASES.
gen_cases() {
	{ scenario_cases; flag_cases "$1"; } | awk -F '\t' -v re="$cases_re" 're == "" || $1 ~ re'
}
scenario_cases() {
	for mode in real long; do
		# legacy-vmm's registry (tests/vmm/scenarios.c): each scenario with
		# the library, and natively with its control expectation
		for s in $("$vmm" list --tag pair --tag x86-$mode); do
			c=$(control_expect "$s/$mode")
			printf '%s\twith\tfixed\tenv LD_PRELOAD="$P" $V %s %s fixed\n' "$s/$mode" $s $mode
			printf '%s\twithout\t%s\t$V %s %s %s\n' "$s/$mode" "$c" $s $mode "$c"
		done
		# with the library only, under the environment the registry names
		for e in $("$vmm" list --tag complete-off --tag x86-$mode --field env); do
			s=${e%%=*} env=${e#*=}
			printf '%s\twith %s\tfixed\tenv %s LD_PRELOAD="$P" $V %s %s fixed\n' "$s/$mode" "$env" "$env" $s $mode
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
	# tests/regress.test's scenarios that need no hook of the kernel double
	# ($R: regress-vmm); natively they must observe the same.
	for s in enotty held-save "dup dup" "dup dup2" "dup dup3" "dup fcntl" dup2-over \
		 "private close" "private dup2" "private dup3" fd-budget complete-unanswered; do
		printf 'regress %s\twith\tfixed\tenv LD_PRELOAD="$P" $R %s\n' "$s" "$s"
		printf 'regress %s\twithout\tnative\t$R %s native\n' "$s" "$s"
	done
	printf 'regress enotty-thread\twith KVMCOMPL_COMPLETE=other-thread\tfixed\tenv KVMCOMPL_COMPLETE=other-thread LD_PRELOAD="$P" $R enotty-thread\n'
	printf 'regress enotty-thread\twithout\tnative\t$R enotty-thread native\n'
	printf 'regress report\twith KVMCOMPL_MODE=report\tfixed\tenv KVMCOMPL_MODE=report KVMCOMPL_REPORT_FILE=/tmp/r.json LD_PRELOAD="$P" $R report /tmp/mine\n'
}

flag_cases() { # FLAGS
	case $1 in *+libvirt*)
		printf 'libvirt-kvm\twith\tlibvirt\tsh /libvirt/guest-root.sh\n' ;;
	esac
	case $1 in *+qemu*) ;; *) return 0 ;; esac
	# QEMU -accel kvm inside the guest kernel on its default SeaBIOS and on
	# tests/qemu/vmport.S: natively first (the other modes compare their
	# guest output with it), then with the library in each mode.
	for img in seabios vmport; do
		for m in native default report strict; do
			case $m in
			native) sh=without ;; default) sh=with ;; *) sh="with KVMCOMPL_MODE=$m" ;;
			esac
			printf 'qemu-%s\t%s\tqemu\tKC_PRELOAD="$P" sh /qemu/run-firmware.sh %s %s /tmp/fw\n' \
				$img "$sh" $img $m
		done
	done
}

# KVMCOMPL_KERNEL_CASES=FILE replaces the scenario list (same format), e.g.
# for `make demo` on a machine whose own /dev/kvm cannot run a guest.
if [ -n "${KVMCOMPL_KERNEL_CASES:-}" ]; then
	scenario_cases() { cat "$KVMCOMPL_KERNEL_CASES"; }
fi

# ------------------------------------------------------------ helpers
# shellcheck source=tests/kernels/kernel-lib.sh
. "$src/tests/kernels/kernel-lib.sh"
# shellcheck source=tests/kernels/foreign.sh
. "$src/tests/kernels/foreign.sh"
# shellcheck source=/dev/null
for f in "$src"/tests/kernels/*/arch.sh; do . "$f"; done

# A line is "ARCH[/SUITE] SPEC [+FLAG...]" (a line without ARCH is amd64).
# SPEC is a package name, or "oldest SERIES" / "newest SERIES" (e.g.
# "newest 6.1"), or "newest" alone: resolve (kernel-lib.sh). amd64 without
# /SUITE: the host's own apt and suites; anything else: an apt of the
# test's own (tests/kernels/papt.sh; the host's codename without /SUITE).
known_arch() { [ "$1" = amd64 ] || [ -n "$(arch_var "$1" triplet)" ]; }
# One entry a kernel: ARCH:SUITE:PACKAGE:FLAGS (SUITE - for the host's,
# FLAGS e.g. +qemu, or -).
kernels=$(sed -e 's/#.*//' "$list" | while read -r line; do
	fl=$(for w in $line; do case $w in +*) printf '%s' "$w" ;; esac; done)
	set -- $(for w in $line; do case $w in +*) ;; *) echo "$w" ;; esac; done)
	a=${1:-} b=${2:-} c=${3:-}
	[ -n "$a" ] || continue
	as=${a%%/*}
	if known_arch "$as"; then
		case $a in */*) su=${a#*/} ;; *) su=- ;; esac
	else # no ARCH: amd64 of the host's suites
		c=$b b=$a as=amd64 su=-
	fi
	case $b in
	oldest|newest) k=$(resolve "$as" "$su" "$b" "$c"); k=${k:-unresolved-$(echo "$a" | tr / _)-$b${c:+-$c}} ;;
	*) k=$b ;;
	esac
	echo "$as:$su:$k:${fl:--}"
done)
nk=$(echo "$kernels" | grep -c .)
ent() { # ENTRY -> a (arch) su (suite) k (package) fl (flags)
	a=${1%%:*} k=${1#*:}; su=${k%%:*} k=${k#*:}; fl=${k#*:} k=${k%%:*}
}
kernel_cases() { # ENTRY -> the cases its guest runs
	ent "$1"
	if [ "$a" = amd64 ]; then gen_cases "$fl"
	else foreign_cases "$a" | awk -F '\t' -v re="$cases_re" 're == "" || $1 ~ re'; fi
}
ntests=0
for e in $kernels; do ntests=$((ntests + 1 + $(kernel_cases "$e" | grep -c .))); done
arches=$(for e in $kernels; do echo "${e%%:*}"; done | sort -u | grep -vx amd64)
flagged() { for e in $kernels; do ent "$e"; [ "$a" = amd64 ] && echo "$fl"; done | grep -q -e "+$1"; }

if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
	echo "1..0 # SKIP qemu-system-x86_64 not found: install qemu-system-x86 (sh contrib/setup-kernels.sh)"
	exit 0
fi
echo "1..$ntests"
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
[ -x "$rvmm" ] || die_prep "$rvmm not built: run make check first"
[ -f "$lib" ] || die_prep "$lib not built: run make first"
grep -q control-clean "$vmm" || die_prep "$vmm has no control-clean expectation: rebuild it (make)"
if flagged qemu; then [ -x "$helper" ] || die_prep "$helper not built: run make first"; fi

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
cp "$rvmm" "$root/bin/regress-vmm"
cp "$lib" "$root/lib/libkvmcompl.so"
preload=/lib/libkvmcompl.so
bins="$vmm $rvmm $lib"
for p in ${KC_PRELOAD_FIRST:-}; do
	cp -L "$p" "$root/lib/" && preload="/lib/$(basename "$p") $preload" && bins="$bins $p"
done
# The libc, loader and whatever else they need, at the paths ldd names.
for f in $(ldd $bins 2>/dev/null | awk '/=> \// { print $3 } /^[[:space:]]*\/[^ ]*ld-linux/ { print $1 }' | sort -u); do
	mkdir -p "$root$(dirname "$f")" && cp -L "$f" "$root$f" || die_prep "cannot copy $f"
done
{ init_head; cat <<EOF
# for tests/qemu/run-firmware.sh (the QEMU payload of +qemu kernels)
export KC_QEMU_L=/qemu KC_VMPORT_IMAGE=/qemu/vmport.bin KC_QEMU_TIMEOUT=120
P="$preload"
V=/bin/legacy-vmm
R=/bin/regress-vmm
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
} > "$root/init"
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1) > "$work/common.cpio.gz" ||
	die_prep "cannot build the initramfs"
note "common initramfs: $(du -k "$work/common.cpio.gz" | cut -f1) KiB in $(since "$t0") s"

# The QEMU payload, for the kernels marked +qemu: QEMU at its own path with
# the libraries ldd names, the firmware files in /qemu (QEMU's -L), the
# VMware-backdoor image and the case script.
qemu_payload() {
	t0=$(now)
	q=$work/qroot
	qbin=$(command -v qemu-system-x86_64)
	mkdir -p "$q/qemu" "$q$(dirname "$qbin")" || return 1
	cp -L "$qbin" "$q$qbin" || return 1
	for f in $(ldd "$qbin" | awk '/=> \// { print $3 } /^[[:space:]]*\/[^ ]*ld-linux/ { print $1 }' | sort -u); do
		mkdir -p "$q$(dirname "$f")" && cp -L "$f" "$q$f" || return 1
	done
	# QEMU finds them through -L (qemu_find_file): pc_system_firmware_init
	# loads bios-256k.bin, vapic_realize adds kvmvapic.bin under KVM.
	for f in bios-256k.bin kvmvapic.bin; do
		p=$("$qbin" -L help 2>/dev/null | while read -r d; do [ -e "$d/$f" ] && { echo "$d/$f"; break; }; done)
		[ -n "$p" ] || p=/usr/share/qemu/$f
		cp -L "$p" "$q/qemu/$f" || return 1
	done
	"$helper" vmport "$q/qemu/vmport.bin" || return 1
	cp "$src/tests/qemu/run-firmware.sh" "$q/qemu/" || return 1
	(cd "$q" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1) > "$work/qemu.cpio.gz" || return 1
	note "QEMU payload: $(du -k "$work/qemu.cpio.gz" | cut -f1) KiB in $(since "$t0") s"
}
if flagged qemu; then qemu_payload || die_prep "cannot build the QEMU payload"; fi

# The +libvirt payload: the in-guest script and the host paths it needs.
libvirt_payload() {
	l=$work/lroot
	mkdir -p "$l/libvirt" && cp "$src/tests/libvirt/guest-root.sh" "$l/libvirt/" || return 1
	printf 'KC_SRCDIR=%s\nKC_BUILDDIR=%s\nKC_LIB=%s\n' "$src" "$(cd "$bld" && pwd)" "$lib" > "$l/libvirt/env"
	(cd "$l" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1) > "$work/libvirt.cpio.gz"
}
if flagged libvirt; then
	for f in "$bld/src/kvmcompl" "$helper"; do [ -x "$f" ] || die_prep "$f not built: run make first"; done
	for f in /usr/sbin/libvirtd /usr/bin/virsh; do
		[ -x "$f" ] || die_prep "$f not found (+libvirt): install libvirt-daemon-system and libvirt-clients (sh contrib/setup-kernels.sh)"
	done
	libvirt_payload || die_prep "cannot build the libvirt payload"
fi

# ------------------------------------------------------------ per kernel
# The other architectures' programs and initramfs (tests/kernels/foreign.sh).
for a in $arches; do
	t0=$(now)
	msg=$(foreign_prepare "$a" 2>&1); rc=$?
	printf '%s\n' "$msg" | sed "s/^/# $a: /"
	if [ $rc -eq 0 ]; then echo ok; else printf '%s\n' "$msg" | tail -n 1; fi > "$work/arch-$a"
	note "$a: programs and initramfs in $(since "$t0") s"
done

i=0
for e in $kernels; do
	i=$((i + 1))
	t0=$(now)
	kernel_cases "$e" > "$work/$i.cases"
	ent "$e"
	common=$work/common.cpio.gz
	if [ "$a" != amd64 ]; then
		common=$work/common-$a.cpio.gz
		if [ "$(cat "$work/arch-$a")" != ok ]; then
			echo "fail: $a test programs: $(cat "$work/arch-$a")" > "$work/$i.prep"
			continue
		fi
	fi
	xm=   # the +libvirt guest mounts the host's root: 9p over virtio, overlay
	grep -q '^libvirt-' "$work/$i.cases" && xm="9p 9pnet_virtio overlay"
	# shellcheck disable=SC2086
	msg=$(fetch "$a" "$su" "$k" $xm 2>&1); rc=$?
	printf '%s\n' "$msg" | sed "s/^/# $k: /"
	if [ $rc -ne 0 ]; then
		echo "fail: $(printf '%s\n' "$msg" | tail -n 1)" > "$work/$i.prep"
		continue
	fi
	# The kernel's modules and cases (a later cpio member replaces an
	# earlier one: this /cases wins), then its flags' payloads.
	extra=
	grep -q '^qemu-' "$work/$i.cases" && extra=$work/qemu.cpio.gz
	grep -q '^libvirt-' "$work/$i.cases" && extra="$extra $work/libvirt.cpio.gz"
	mkdir -p "$work/k$i/lib" && cp -r "$cache/$k/modules" "$work/k$i/lib/" &&
		cp "$work/$i.cases" "$work/k$i/cases" &&
		(cd "$work/k$i" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1) > "$work/$i.mods.cpio.gz" &&
		cat "$common" "$work/$i.mods.cpio.gz" $extra > "$work/$i.initrd" ||
		{ echo "fail: cannot build the initramfs" > "$work/$i.prep"; continue; }
	echo ok > "$work/$i.prep"
	note "$k: ready in $(since "$t0") s"
done
note "preparation (downloads, extraction, initramfs) took $(since "$t_all") s"

# ------------------------------------------------------------ boots
boot() { # I ARCH PKG
	t=$(now)
	# QEMU nested in the guest needs room for itself and its 16 MiB guest.
	mem=512 share=
	grep -q '^qemu-\|^libvirt-' "$work/$1.cases" && mem=1024
	# +libvirt: the host's root, read-only (tests/libvirt/guest-root.sh)
	grep -q '^libvirt-' "$work/$1.cases" &&
		share="-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
	q="qemu-system-x86_64 -cpu max -smp 1 -m $mem $share" con=ttyS0
	# check-libvirt in the guest took 491 s (libvirtd probing QEMU, read
	# over 9p, under nested TCG): its kernel gets 900 s more.
	bt=$tmo
	[ -n "$share" ] && bt=$((tmo + 900))
	if [ "$2" != amd64 ]; then q=$(arch_var "$2" qemu) con=$(arch_var "$2" console); fi
	# shellcheck disable=SC2086
	timeout -k 5 "$bt" nice -n "${KVMCOMPL_BOOT_NICE:-5}" $q -accel tcg \
		-display none -serial stdio -monitor none -no-reboot -nodefaults \
		-kernel "$cache/$3/vmlinuz" -initrd "$work/$1.initrd" \
		-append "console=$con panic=-1 rdinit=/init" \
		</dev/null > "$work/$1.console" 2>&1
	echo "$? $(since "$t")" > "$work/$1.boot"
}
t_boots=$(now)
i=0 started=0
for e in $kernels; do
	i=$((i + 1))
	[ "$(cat "$work/$i.prep")" = ok ] || continue
	# At most $jobs at a time: a boot is over when its .boot file exists.
	while [ $((started - $(ls "$work" | grep -c '\.boot$'))) -ge "$jobs" ]; do sleep 0.2; done
	ent "$e"
	boot $i "$a" "$k" &
	started=$((started + 1))
done
wait
note "boots ($jobs at a time) took $(since "$t_boots") s"

# ------------------------------------------------------------ report
printf 'kernel\trelease\tscenario\tshim\texpectation\toutcome\tverdict\n' > "$results.new"
i=0
for e in $kernels; do
	i=$((i + 1))
	ent "$e"
	if [ "$a" = amd64 ]; then up="kvm_amd loads, /dev/kvm runs a guest" once=2
	else up=$(arch_var "$a" up) once=$(arch_var "$a" once_exit); fi
	[ -f "$work/$i.console" ] || : > "$work/$i.console"
	set -- $(cat "$work/$i.boot" 2>/dev/null || echo "- -")
	brc=$1 bsec=$2
	tr -d '\r' < "$work/$i.console" | awk -v k="$k" -v n="$n" -v brc="$brc" -v bsec="$bsec" \
		-v prep="$(cat "$work/$i.prep")" -v tmo="$tmo" -v res="$results.new" -v nfile="$work/n" \
		-v upmsg="$up" -v once="debug: completed exit $once " '
	FNR == NR { split($0, f, "\t"); ncase++; nm[ncase] = f[1]; sh[ncase] = f[2]; ex[ncase] = f[3]; next }
	{ con[++ncon] = $0 }
	/^@@KC boot / { rel = $3 }
	/^@@KC modfail / { modfail = $3 }
	/^@@KC dmesg / { sub(/^@@KC dmesg /, ""); dm = dm "# " k ": " $0 "\n" }
	/^@@KC probe / { probe = $3 }
	/^@@KC done/ { done = 1 }
	/^@@KC begin / { cur = $3; buf = ""; ce = 0; inside = 1; next }
	/^@@KC\| / && inside { l = substr($0, 7); buf = buf "# " l "\n"
		if (index(l, once)) ce++
		next }
	/^@@KC\| / { pbuf = pbuf "# " substr($0, 7) "\n"; next }
	/^@@KC end / { rc = $4; inside = 0
		if (rc == 0) obs = "pass"; else if (rc == 77) obs = "skip"; else obs = "fail(exit " rc ")"
		if (obs == "pass" && ex[cur] == "once" && ce != 1) obs = "fail(" ce " completions)"
		out[cur] = buf; got[cur] = obs; next }
	END {
		up = prep == "ok" && rel != "" && modfail == "" && probe == 0 && probe != ""
		if (prep != "ok") why = "not prepared: " (prep == "" ? "?" : substr(prep, 7))
		else if (brc == 124 || brc == 137) why = "timed out after " tmo " s"
		else if (rel == "") why = "did not reach /init (qemu exit " brc ")"
		else if (modfail != "") why = "could not load " modfail
		else if (probe == "") why = "stopped before the KVM probe"
		else if (probe != 0) why = "/dev/kvm cannot run a guest (probe exit " probe ")"
		n++
		if (up) { printf "%s", dm; printf "ok %d - %s (%s): boots, %s (%s s)\n", n, k, rel, upmsg, bsec }
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
			if (sh[c] == "without" && ex[c] != "control" && ex[c] != "qemu") how = how ", " ex[c]
			if (ex[c] == "qemu") how = "QEMU -accel kvm " how ": guest output, exit status, reports (tests/qemu/run-firmware.sh)"
			if (ex[c] == "libvirt") how = "libvirtd, domains type=kvm " how ": guest output, library mapped, its stats (tests/libvirt/check-libvirt.sh)"
			tail = v == "ok" ? "" : " (" o ")"
			printf "%s %d - %s: %s %s%s\n", v, n, k, nm[c], how, tail
			printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k, rel, nm[c], sh[c], ex[c], o, v >> res
		}
		print n > nfile
	}' "$work/$i.cases" - || status=1
	n=$(cat "$work/n")
	note "$k: boot and tests $bsec s (qemu exit $brc)"
done
mv "$results.new" "$results"
grep -q '	not ok$' "$results" && status=1

# ------------------------------------------------------------ matrix
# Kernel x scenario from the results, as a Markdown table (also in
# $out/matrix.md). A cell is the library's verdict, then the control's:
#   pass     every case with the library passed
#   loss     the control (without the library) showed the loss natively
#   ctl      x86 control: a read's loss must show, a write is information
#   clean    the control showed no loss, as this kernel is expected to
#   native   QEMU without the library (+qemu): its guest output is the
#            reference the runs with the library are compared with
#   FAIL     a case failed (with the library, or a control that did not
#            show what it must); not run: the kernel did not boot
awk -F '\t' '
NR == 1 { next }
$3 == "boot" { bootfail[$1] = 1 }
{
	if (!($1 in kseen)) { kseen[$1] = 1; ks[++nk] = $1; rel[$1] = $2 }
	if ($3 == "boot") next
	if (!($3 in sseen)) { sseen[$3] = 1; ss[++ns] = $3 }
	c = $1 SUBSEP $3
	if ($4 == "without") {
		if ($7 != "ok") ctl[c] = ($6 ~ /^not run/) ? "not run" : "FAIL"
		else if ($5 ~ /bug$/) ctl[c] = "loss"
		else if ($5 ~ /clean$/) ctl[c] = "clean"
		else if ($5 == "qemu") ctl[c] = "native"
		else ctl[c] = "ctl"
	} else {
		if (!(c in lib)) lib[c] = "pass"
		if ($7 != "ok") lib[c] = ($6 ~ /^not run/) ? "not run" : "FAIL"
	}
}
END {
	printf "| scenario |"
	for (i = 1; i <= nk; i++) { h = rel[ks[i]] != "" ? rel[ks[i]] : ks[i]; printf " %s |", h }
	printf "\n|---|"
	for (i = 1; i <= nk; i++) printf "---|"
	printf "\n"
	for (j = 1; j <= ns; j++) {
		printf "| %s |", ss[j]
		for (i = 1; i <= nk; i++) {
			c = ks[i] SUBSEP ss[j]
			if (!(c in lib) && !(c in ctl)) v = "-"
			else {
				l = (c in lib) ? lib[c] : "-"
				t = (c in ctl) ? ctl[c] : ""
				v = (l == "not run" || t == "not run") ? "not run" : t == "" ? l : l " / " t
			}
			printf " %s |", v
		}
		printf "\n"
	}
}' "$results" > "$out/matrix.md"
note "matrix (kernel x scenario; with the library / control without it):"
sed 's/^/# /' "$out/matrix.md"
note "legend: pass = every case with the library passed; loss = the control showed the loss natively;"
note "ctl = x86 control (a read's loss must show, writes are information); clean = no loss natively, as"
note "expected on this kernel; native = QEMU's run without the library (+qemu), the reference;"
note "FAIL = a case failed; - = not a scenario of this architecture (or not of this kernel's flags)"
note "results: $results"
note "check-kernels: $nk kernels, total $(since "$t_all") s"
exit $status
