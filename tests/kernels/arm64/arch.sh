# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=sh disable=SC2034 # read by foreign.sh through arch_var
# arm64 in make check-kernels (sourced by check-kernels.sh; the machinery
# shared by the non-x86 architectures is tests/kernels/foreign.sh).
# Debian's arm64 kernels build KVM in (CONFIG_KVM=y): no module to insert.
# virtualization=on gives the guest kernel EL2, where it brings KVM up in VHE
# mode (arch/arm64/kvm/arm.c kvm_arm_init; kvm-arm.mode=nvhe for nVHE);
# pauth-impdef=on: QEMU's own pointer-authentication algorithm, much faster
# under TCG than the architected QARMA.
arm64_triplet=aarch64-linux-gnu
arm64_qemu="qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 -cpu max,pauth-impdef=on -smp 1 -m 1024"
arm64_qemu_pkg=qemu-system-arm
arm64_console=ttyAMA0
arm64_modules=
arm64_backend=vhe
arm64_up="KVM at EL2 (VHE) runs a guest"
arm64_vmm="kc-vmm.c arm64/guest-arm64.S"
arm64_once_exit=6   # KVM_EXIT_MMIO
# The scenarios of arm64-vmm, each with the library (it must fix the I/O)
# and without it (the control), and what the control must show by backend:
#   bug    the loss shows natively (the default)
#   clean  this kernel shows no loss: the guest sees correct I/O natively
# vhe (arm64-vmm.c names each rule's kernel function):
#   getset_read  clean: vcpu->mmio_needed survives GET/SET_ONE_REG, and the
#     next KVM_RUN completes the load (mmio.c kvm_handle_mmio_return).
#   kick  clean: kvm_arch_vcpu_ioctl_run completes the MMIO access before it
#     honours immediate_exit.
#   cap_default  clean: with the library's defaults 239 must give the
#     kernel's answer (arm.c kvm_vm_ioctl_check_extension), as without it.
arm64_scenarios="snapshot_read getset_read snapshot_write flags cap cap_default kick"
control_vhe="getset_read=clean kick=clean cap_default=clean"
# The library answers no capability number by default on arm64 (239 means
# KVM_CAP_ARM_WRITABLE_IMP_ID_REGS there since 6.15): cap names one.
arm64_cap_env=KVMCOMPL_CAP=250
