/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Devices of the legacy VMM.  Their state lives in the VMM, not in the VM,
 * so it survives a save/restore into a new VM (as a real device model's
 * migrated state would) and counts every access the guest causes. */
#ifndef LEGACY_VMM_DEVICES_H
#define LEGACY_VMM_DEVICES_H

#include <stdint.h>
#include <linux/kvm.h>

#define DEV_LOG 32

struct mmio_access {
	uint64_t addr;
	uint32_t len;
	uint8_t data[8];
};

struct devices {
	unsigned port_reads;              /* n-th byte read returns 0x40+n */
	unsigned port_writes;
	unsigned port7e_writes;           /* OUTs to port 0x7e */
	uint8_t port_wval[DEV_LOG];
	unsigned mmio_reads;              /* n-th access returns 0x40+n (low byte) */
	struct mmio_access mmio_rd[DEV_LOG];
	unsigned mmio_writes;
	struct mmio_access mmio_wr[DEV_LOG];
	unsigned msr_reads;               /* n-th RDMSR returns msr_value(n) */
	unsigned msr_writes;
	uint64_t msr_wval[DEV_LOG];
	uint32_t last_msr_reason;
};

static inline uint8_t port_value(unsigned n) { return (uint8_t)(0x40 + n); }
static inline uint64_t msr_value(unsigned n)
{
	return ((uint64_t)(0xAB00u + n) << 32) | (0x40u + n);
}

/* Answer the exit in kvm_run if it belongs to a device: 1 handled, 0 not a
 * device exit.  Unknown ports/addresses/MSRs are hard errors (exit 99). */
int dev_handle(struct devices *d, struct kvm_run *run);

#endif
