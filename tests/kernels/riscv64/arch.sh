# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=sh disable=SC2034 # read by foreign.sh through arch_var
# riscv64 in make check-kernels (sourced by check-kernels.sh; the machinery
# shared by the non-x86 architectures is tests/kernels/foreign.sh). Bookworm
# has no riscv64 kernels: the list names trixie's. QEMU 7.2's rv64 CPU has
# the H extension (h=false gives no /dev/kvm); Debian builds KVM as a module
# (kvm.ko, inserted by kc-init). Firmware: bookworm's opensbi package.
riscv64_triplet=riscv64-linux-gnu
riscv64_qemu="qemu-system-riscv64 -M virt -cpu rv64 -smp 1 -m 1024 -bios /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"
riscv64_qemu_pkg="qemu-system-misc opensbi"
riscv64_console=ttyS0
riscv64_modules=kvm
riscv64_backend=rvh
riscv64_up="kvm.ko loads, the H extension runs a guest"
riscv64_vmm="kc-vmm.c riscv64/guest-riscv64.S"
riscv64_once_exit=6   # KVM_EXIT_MMIO
# Scenarios and the control's expectation by backend (bug unless named):
# rvh (kc-vmm.c names each rule's kernel function):
#   getset_read, getset_sbi  clean: the completion waits, guarded by
#     return_handled, for the next KVM_RUN of the same vCPU
#     (vcpu_insn.c kvm_riscv_vcpu_mmio_return, vcpu_sbi.c
#     kvm_riscv_vcpu_sbi_return), whatever ONE_REG wrote meanwhile.
#   kick  clean: vcpu.c kvm_arch_vcpu_ioctl_run completes the exit before
#     it honours immediate_exit.
riscv64_scenarios="snapshot_read getset_read snapshot_write flags cap kick snapshot_sbi getset_sbi"
control_rvh="getset_read=clean getset_sbi=clean kick=clean"
