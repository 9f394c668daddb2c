# The demonstration: a guest snapshot taken at a pending IN, MMIO read and
# RDMSR, restored into a new VM, without and with libkvmcompl.
vmm=$1
printf '%s\n\n' "A VMM saves and restores the vCPU right after answering a guest read, before re-entering KVM_RUN."
for s in in mmio_read rdmsr; do
	printf 'without libkvmcompl: '
	"$vmm" $s real demo || exit $?
	printf 'with libkvmcompl:    '
	LD_PRELOAD="$KC_LIB" "$vmm" $s real demo || exit $?
	echo
done
