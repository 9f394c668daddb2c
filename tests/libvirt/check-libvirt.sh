#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make check-libvirt: libkvmcompl under a real libvirt, as root (not part of
# make check).  Starts libvirtd (and virtlogd) unless they already run,
# then for each way contrib/libvirt documents, a domain whose <emulator> is
# the contrib wrapper (qemu-kvmcompl, running the build tree's kvmcompl)
# and a domain whose <qemu:env> sets LD_PRELOAD: defines it, starts it
# paused, checks that the library is mapped in the QEMU process
# (/proc/PID/maps), resumes it, and checks that the tiny -bios guest of
# tests/qemu (port I/O to isa-debugcon, exit through isa-debug-exit)
# printed exactly its text.  Where /dev/kvm can run a guest the domains are
# type='kvm' (QEMU -accel kvm), and the library's --stats counters must
# appear in the domain's log at shutdown; elsewhere type='qemu' (TCG): the
# library is loaded but QEMU opens no KVM fd, so there is nothing to count,
# and that check is skipped, saying so.  TAP; exit 77 (skip) without root.
# make check-kernels runs this script in the guest of a kernel marked
# +libvirt, where /dev/kvm works (tests/libvirt/guest-root.sh).
# Environment: KC_BUILDDIR, KC_SRCDIR, KC_LIB (Makefile); KC_LIBVIRT_NEED_KVM
# non-empty: bail out unless the domains can be type='kvm'.
. "$KC_SRCDIR/tests/lib.sh"
helper="$KC_BUILDDIR/tests/qemu/qemu-helper"
lines=16384     # QEMU_GUEST_LINES in tests/qemu/guest.S

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root: it starts the system libvirtd and defines domains"
	exit 77
fi
. "$KC_SRCDIR/contrib/apt.sh"
if ! kc_apt_install check-libvirt libvirt-daemon-system libvirt-clients qemu-system-x86 >&2; then
	echo "1..0 # SKIP cannot install libvirt-daemon-system, libvirt-clients, qemu-system-x86"
	exit 77
fi
[ -x "$helper" ] || { echo "Bail out! $helper missing (make check builds it)"; exit 1; }
qemu=$(command -v qemu-system-x86_64)

work=$(mktemp -d "${TMPDIR:-/tmp}/kclibvirt.XXXXXX") || exit 1
chmod 755 "$work"
started=
cleanup() {
	for d in wrapper env; do
		virsh -q destroy "kvmcompl-test-$d" >/dev/null 2>&1
		virsh -q undefine "kvmcompl-test-$d" >/dev/null 2>&1
	done
	for p in $started; do kill "$p" 2>/dev/null; done   # only the daemons started here
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---- the daemons (started here, in this shell, so that cleanup knows them) ----
if ! virsh -c qemu:///system version >/dev/null 2>&1; then
	if [ ! -S /run/libvirt/virtlogd-sock ]; then
		virtlogd -d -p "$work/virtlogd.pid" && sleep 1 && started="$started $(cat "$work/virtlogd.pid")"
	fi
	if libvirtd -d -p "$work/libvirtd.pid"; then
		i=0
		while [ ! -s "$work/libvirtd.pid" ] || ! virsh -c qemu:///system version >/dev/null 2>&1; do
			i=$((i + 1)); [ $i -gt 50 ] && break
			sleep 0.2
		done
		[ -s "$work/libvirtd.pid" ] && started="$started $(cat "$work/libvirtd.pid")"
	fi
fi
run_case "libvirtd runs and answers virsh" virsh -c qemu:///system version
virsh -c qemu:///system version >/dev/null 2>&1 || { tap_done; exit 1; }
export LIBVIRT_DEFAULT_URI=qemu:///system

if (: </dev/kvm) 2>/dev/null && [ -w /dev/kvm ] &&
	"$KC_BUILDDIR/tests/vmm/legacy-vmm" cap real control-clean >/dev/null 2>&1; then
	type=kvm
else
	type=qemu
	echo "# /dev/kvm cannot run a guest here: the domains are type='qemu' (TCG); QEMU then opens no KVM fd"
	# check-kernels' +libvirt guest (guest-root.sh) is there for the kvm leg
	[ -z "${KC_LIBVIRT_NEED_KVM:-}" ] || { echo "Bail out! /dev/kvm cannot run a guest, and the kvm leg is required"; exit 1; }
fi
echo "# domains type='$type'"

run_case "the tiny -bios guest image" "$helper" image "$work/guest.bin"
awk -v n=$lines 'BEGIN { for (i = 0; i < n; i++) printf "QEMU e9 %04x\n", i }' >"$work/expected"

# The contrib wrapper, with `kvmcompl` pointing at the build tree (libvirt
# runs the emulator with its own PATH) and --stats --log=info added.
sed -e "s|^exec kvmcompl -- |exec env KVMCOMPL_LIBRARY='$KC_LIB' '$KC_BUILDDIR/src/kvmcompl' --stats --log=info -- |" \
	-e "s|^QEMU=.*|QEMU=$qemu|" "$KC_SRCDIR/contrib/libvirt/qemu-kvmcompl" >"$work/qemu-kvmcompl"
chmod 755 "$work/qemu-kvmcompl"
grep -q "^exec env KVMCOMPL_LIBRARY=" "$work/qemu-kvmcompl" || { echo "Bail out! contrib/libvirt/qemu-kvmcompl changed its exec line"; exit 1; }

domain_xml() { # VARIANT
	emu=$qemu env=
	if [ "$1" = wrapper ]; then
		emu=$work/qemu-kvmcompl
	else
		env="<qemu:env name='LD_PRELOAD' value='$KC_LIB'/>
    <qemu:env name='KVMCOMPL_STATS' value='1'/>
    <qemu:env name='KVMCOMPL_LOG' value='info'/>"
	fi
	cat <<XML
<domain type='$type' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>kvmcompl-test-$1</name>
  <memory unit='MiB'>16</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <loader readonly='yes' type='rom'>$work/guest.bin</loader>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>$emu</emulator>
    <memballoon model='none'/>
  </devices>
  <seclabel type='static' model='dac' relabel='no'><label>+0:+0</label></seclabel>
  <qemu:commandline>
    <qemu:arg value='-chardev'/>
    <qemu:arg value='file,id=kcdc,path=$work/$1.out'/>
    <qemu:arg value='-device'/>
    <qemu:arg value='isa-debugcon,iobase=0x402,chardev=kcdc'/>
    <qemu:arg value='-device'/>
    <qemu:arg value='isa-debug-exit,iobase=0x501,iosize=1'/>
    $env
  </qemu:commandline>
</domain>
XML
}

for v in wrapper env; do
	dom=kvmcompl-test-$v
	log=/var/log/libvirt/qemu/$dom.log
	domain_xml $v >"$work/$v.xml"
	run_case "$v: domain defined (type='$type')" virsh -q define "$work/$v.xml"
	: >"$log" 2>/dev/null
	# libvirt gives QEMU a private mount namespace, which it cannot set up
	# where / is not a mount point (a chroot): say so and skip what follows.
	started() {
		o=$(virsh -q start --paused "$dom" 2>&1) && return 0
		printf '%s\n' "$o"
		case $o in
		*"mount propagation"*)
			echo "libvirt cannot make QEMU's mount namespace here (/ is not a mount point: a chroot?)"
			return 77 ;;
		esac
		return 1
	}
	run_case "$v: domain started (paused)" started
	if [ $rc -eq 77 ]; then
		for c in "libkvmcompl is mapped in the QEMU process" "the guest runs to its end with its exact output" \
			"the library's --stats counters in the domain's log at shutdown"; do
			skip_case "$v: $c" "the domain could not start here (libvirt's mount namespace)"
		done
		virsh -q undefine "$dom" >/dev/null 2>&1
		continue
	fi
	mapped() {
		pid=$(cat "/run/libvirt/qemu/$dom.pid" 2>/dev/null)
		[ -n "$pid" ] || { echo "no QEMU pid"; return 1; }
		echo "QEMU pid $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" | cut -c1-100)..."
		grep 'libkvmcompl' "/proc/$pid/maps" | head -n 1
		grep -q 'libkvmcompl\.so' "/proc/$pid/maps"
	}
	run_case "$v: libkvmcompl is mapped in the QEMU process" mapped
	finished() {
		virsh -q resume "$dom" || return 1
		i=0
		while virsh -q domstate "$dom" 2>/dev/null | grep -q running; do
			i=$((i + 1)); [ $i -gt 600 ] && { echo "the guest did not finish in 120 s"; return 1; }
			sleep 0.2
		done
		virsh -q domstate --reason "$dom"
		if cmp -s "$work/expected" "$work/$v.out"; then
			echo "guest output: $(wc -l <"$work/$v.out") lines, as expected"
		else
			echo "guest output differs:"; diff "$work/expected" "$work/$v.out" | head -n 5; return 1
		fi
	}
	run_case "$v: the guest runs to its end with its exact output" finished
	stats() {
		grep 'libkvmcompl' "$log" | head -n 20
		if [ $type != kvm ]; then
			echo "no KVM here (type='qemu'): QEMU opened no vCPU fd, the library had nothing to count"
			return 77
		fi
		grep -q 'libkvmcompl.*stats: vCPU 0 ' "$log"
	}
	run_case "$v: the library's --stats counters in the domain's log at shutdown" stats
	virsh -q undefine "$dom" >/dev/null 2>&1
done
tap_done
