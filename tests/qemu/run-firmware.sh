# SPDX-License-Identifier: LGPL-2.1-or-later
# One QEMU -accel kvm run on a firmware image, checked; shared by
# tests/qemu.test (host /dev/kvm) and make check-kernels (inside a guest
# kernel, nested SVM). Plain POSIX sh: it also runs under busybox sh.
#
#   sh run-firmware.sh IMAGE MODE DIR
#     IMAGE  seabios  QEMU's default firmware (bios-256k.bin), no disk;
#                     -boot reboot-timeout=0 makes SeaBIOS reset right after
#                     its failed boot attempt and -no-reboot turns that reset
#                     into QEMU's exit (status 0), so the run is bounded.
#            vmport   tests/qemu/vmport.S (path in $KC_VMPORT_IMAGE): four
#                     VMware-backdoor calls, exit through isa-debug-exit (33).
#     MODE   native   without the library
#            default  with the library, default settings
#            report   with KVMCOMPL_MODE=report
#            strict   with KVMCOMPL_MODE=strict (a report ends QEMU: status 86)
#     DIR    work directory; the native run's output must be there already
#            for the other modes (DIR/IMAGE.native.out).
# Environment: KC_QEMU (default qemu-system-x86_64), KC_QEMU_L (a -L data
# directory, optional), KC_PRELOAD (the preload list), KC_QEMU_TIMEOUT
# (seconds, default 60); KC_QEMU_ACCEL (default kvm; tcg only to try the
# script itself where there is no /dev/kvm).
# Prints the guest's output and what it checked; exit 0 when every check
# holds, 1 otherwise.
img=$1 mode=$2 dir=$3
qemu=${KC_QEMU:-qemu-system-x86_64}
tmo=${KC_QEMU_TIMEOUT:-60}
out=$dir/$img.$mode.out log=$dir/$img.$mode.kc.log rep=$dir/$img.$mode.report.json
mkdir -p "$dir" && rm -f "$out" "$log" "$rep" && : > "$log" || exit 1

case $img in
seabios)
	# The 256 KiB SeaBIOS (pc_system_firmware_init: bios-256k.bin), and the
	# option ROM QEMU adds under KVM (vapic_realize: kvmvapic.bin), whose
	# OUT to port 0x7e is issue 12's strict-mode stop.
	set -- -boot reboot-timeout=0 -no-reboot
	want_rc=0 ;;
vmport)
	set -- -bios "$KC_VMPORT_IMAGE"
	want_rc=33 ;;
*) echo "unknown image $img"; exit 2 ;;
esac
# LD_PRELOAD may hold two paths (a sanitizer runtime first): one word.
case $mode in
native) set -- "$qemu" "$@" ;;
default) set -- env "LD_PRELOAD=$KC_PRELOAD" KVMCOMPL_LOG=debug "KVMCOMPL_LOG_FILE=$log" "$qemu" "$@" ;;
report | strict)
	set -- env "LD_PRELOAD=$KC_PRELOAD" KVMCOMPL_LOG=debug "KVMCOMPL_LOG_FILE=$log" \
		"KVMCOMPL_MODE=$mode" "KVMCOMPL_REPORT_FILE=$rep" "$qemu" "$@" ;;
*) echo "unknown mode $mode"; exit 2 ;;
esac
t0=$(date +%s)
timeout -s KILL "$tmo" "$@" ${KC_QEMU_L:+-L "$KC_QEMU_L"} -accel "${KC_QEMU_ACCEL:-kvm}" -M pc -m 16 -smp 1 \
	-display none -nodefaults -vga none \
	-chardev file,id=dc,path="$out" -device isa-debugcon,iobase=0x402,chardev=dc \
	-device isa-debug-exit,iobase=0x501,iosize=1 \
	</dev/null >"$dir/$img.$mode.stderr" 2>&1
rc=$?
secs=$(($(date +%s) - t0))
[ -f "$out" ] || : > "$out"
ok=0
fail() { echo "FAIL: $*"; ok=1; }

case $img in
seabios) awk '{ print "  | " $0 }' "$out" | tail -n 12 ;;
*) awk '{ print "  | " $0 }' "$out" ;;
esac
grep -v 'host doesn.t support requested feature' "$dir/$img.$mode.stderr" | head -n 10
echo "$img $mode: QEMU exit status $rc in ${secs} s, $(wc -l < "$out") lines of debugcon output"
case $rc in
"$want_rc") ;;
137 | 124) fail "QEMU timed out after $tmo s" ;;
86) fail "QEMU exit status 86: KVMCOMPL_MODE=strict stopped it (a report)" ;;
*) fail "QEMU exit status $rc, expected $want_rc" ;;
esac

# What the guest must see, natively and with the library.
case $img in
seabios)
	# SeaBIOS reached its boot attempt (boot.c do_boot: "Booting from ...")
	# and found nothing (boot_fail: "No bootable device.").
	grep -q '^SeaBIOS (version' "$out" || fail "no SeaBIOS banner"
	grep -q '^Booting from ' "$out" || fail "SeaBIOS did not get to its boot attempt"
	grep -q '^No bootable device' "$out" || fail "SeaBIOS did not finish its boot attempt" ;;
vmport)
	# vmport_cmd_get_version: EAX = vmx-version 6, EBX = magic;
	# vmport_cmd_ram_size: EAX = ram_size (-m 16), EBX = 0x1177;
	# vmport_ioport_read without the magic: UINT32_MAX.
	[ "$(grep -c '^GETVERSION eax=00000006 ebx=564d5868 ' "$out")" -eq 2 ] ||
		fail "GETVERSION did not answer EAX=6 EBX=0x564d5868 (twice)"
	grep -q '^GETRAMSIZE eax=01000000 ebx=00001177 ' "$out" ||
		fail "GETRAMSIZE did not answer EAX=16 MiB EBX=0x1177"
	grep -q '^NOMAGIC eax=ffffffff ' "$out" || fail "a call without the magic did not answer 0xffffffff" ;;
esac

if [ "$mode" != native ]; then
	if [ ! -f "$dir/$img.native.out" ]; then
		fail "no native output to compare with"
	elif cmp -s "$dir/$img.native.out" "$out"; then
		echo "guest output identical to the native run ($(wc -l < "$out") lines)"
	else
		fail "guest output differs from the native run:"
		diff "$dir/$img.native.out" "$out" | head -n 20
	fi
	grep -q 'identified as /dev/kvm\|info: kernel' "$log" || fail "the library did not meet /dev/kvm"
	n=$(grep -c 'debug: completed exit' "$log")
	echo "library: $n completions"
	grep 'debug: completed exit' "$log" | head -n 3
	if [ "$mode" != default ]; then
		r=$(grep -c 'report: \|report summary: ' "$log")
		[ -s "$rep" ] && r="$r (report file: $(wc -l < "$rep") lines)"
		if [ "$r" != 0 ]; then
			fail "the sanitizer reported ($r):"
			grep 'report: \|report summary: \|strict' "$log" | head -n 5
		else
			echo "no report"
		fi
	fi
fi
exit $ok
