# SPDX-License-Identifier: LGPL-2.1-or-later
# The demonstration: a guest snapshot taken at a pending IN, MMIO read and
# RDMSR, restored into a new VM, without and with libkvmcompl.
#   sh demo.sh LEGACY-VMM   (KC_LIB: the library; for the fallback below also
#                            KC_SRCDIR and KC_BUILDDIR, as make demo sets them)
# Where this machine's /dev/kvm cannot run a guest, the same demonstration
# runs on real KVM inside a Debian kernel booted under QEMU (TCG, nested AMD
# SVM), through tests/kernels/check-kernels.sh.
vmm=$1
intro="A VMM saves and restores the vCPU right after answering a guest read, before re-entering KVM_RUN."
why=$("$vmm" cap real control 2>&1); rc=$?
if [ $rc -ne 77 ]; then
	printf '%s\n\n' "$intro"
	for s in $("$vmm" list --tag demo); do
		printf 'without libkvmcompl: '
		"$vmm" $s real demo || exit $?
		printf 'with libkvmcompl:    '
		LD_PRELOAD="$KC_LIB" "$vmm" $s real demo || exit $?
		echo
	done
	exit 0
fi

echo "This machine's /dev/kvm cannot run a guest (${why#legacy-vmm: })."
echo "Running the demonstration on real KVM inside Debian's newest 6.12 kernel, booted"
echo "under QEMU with nested virtualization (downloads the kernel once; about a minute)."
command -v qemu-system-x86_64 >/dev/null 2>&1 && command -v busybox >/dev/null 2>&1 ||
	{ echo "demo: that needs QEMU and busybox: run sh contrib/setup-kernels.sh as root"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kvmcompl-demo.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
echo "newest 6.12" > "$tmp/kernels"
{
	printf 'demo\twith\tfixed\techo "%s"; echo; ' "$intro"
	printf 'for s in %s; do printf' "$(echo $("$vmm" list --tag demo))"
	printf '  "without libkvmcompl: "; $V $s real demo; '
	printf 'printf "with libkvmcompl:    "; env LD_PRELOAD="$P" $V $s real demo; echo; done\n'
} > "$tmp/cases"
KVMCOMPL_KERNELS=$tmp/kernels KVMCOMPL_KERNEL_CASES=$tmp/cases KVMCOMPL_KERNEL_JOBS=1 \
	sh "$KC_SRCDIR/tests/kernels/check-kernels.sh" > "$tmp/log" 2>&1
rc=$?
# the case's output: the "# " lines between the boot's result and the case's
awk '/^(not )?ok 1 / { on = 1; print "(" $0 ")"; print ""; next }
     /^(not )?ok 2 / { on = 0 } on && /^# / { print substr($0, 3) }' "$tmp/log"
[ $rc -eq 0 ] || { echo "demo: the kernel run failed:"; grep -E '^(not ok|Bail|# .*(failed|cannot))' "$tmp/log" | head -n 20; exit 1; }
