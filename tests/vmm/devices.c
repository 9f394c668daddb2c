/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Devices: see devices.h. */
#include "devices.h"
#include "vm.h"

#include <string.h>

static int handle_io(struct devices *d, struct kvm_run *run)
{
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	uint32_t n = run->io.count * run->io.size;

	if (run->io.port == PORT_RD && run->io.direction == KVM_EXIT_IO_IN) {
		/* Every byte is one read of the device (rep insb x10: 10 reads). */
		for (uint32_t i = 0; i < n; i++)
			data[i] = port_value(++d->port_reads);
		return 1;
	}
	if (run->io.port == PORT_7E && run->io.direction == KVM_EXIT_IO_OUT) {
		d->port7e_writes += n;
		return 1;
	}
	if (run->io.port == PORT_WR && run->io.direction == KVM_EXIT_IO_OUT) {
		for (uint32_t i = 0; i < n; i++) {
			if (d->port_writes < DEV_LOG) d->port_wval[d->port_writes] = data[i];
			d->port_writes++;
		}
		return 1;
	}
	die("unexpected port I/O: port 0x%x dir %s size %u count %u", run->io.port,
	    run->io.direction == KVM_EXIT_IO_IN ? "in" : "out", run->io.size, run->io.count);
}

static int handle_mmio(struct devices *d, struct kvm_run *run)
{
	uint64_t a = run->mmio.phys_addr;
	uint32_t len = run->mmio.len;

	if (len == 0 || len > 8) die("MMIO access of length %u", len);
	if (a >= MMIO_RD_BASE && a < MMIO_RD_END && !run->mmio.is_write) {
		unsigned n = ++d->mmio_reads;
		memset(run->mmio.data, 0, sizeof(run->mmio.data));
		run->mmio.data[0] = port_value(n);
		if (n <= DEV_LOG) {
			d->mmio_rd[n - 1].addr = a;
			d->mmio_rd[n - 1].len = len;
			memcpy(d->mmio_rd[n - 1].data, run->mmio.data, 8);
		}
		return 1;
	}
	if (a >= MMIO_WR_BASE && a < MMIO_WR_END && run->mmio.is_write) {
		unsigned n = ++d->mmio_writes;
		if (n <= DEV_LOG) {
			d->mmio_wr[n - 1].addr = a;
			d->mmio_wr[n - 1].len = len;
			memset(d->mmio_wr[n - 1].data, 0, 8);
			memcpy(d->mmio_wr[n - 1].data, run->mmio.data, len);
		}
		return 1;
	}
	die("unexpected MMIO %s at 0x%llx len %u", run->mmio.is_write ? "write" : "read",
	    (unsigned long long)a, len);
}

static int handle_msr(struct devices *d, struct kvm_run *run)
{
	d->last_msr_reason = run->msr.reason;
	if (run->msr.index != MSR_DEV) {
		/* Not ours: #GP, as a VMM without the MSR would do. */
		run->msr.error = 1;
		return 1;
	}
	run->msr.error = 0;
	if (run->exit_reason == KVM_EXIT_X86_RDMSR) {
		run->msr.data = msr_value(++d->msr_reads);
	} else {
		if (d->msr_writes < DEV_LOG) d->msr_wval[d->msr_writes] = run->msr.data;
		d->msr_writes++;
	}
	return 1;
}

int dev_handle(struct devices *d, struct kvm_run *run)
{
	switch (run->exit_reason) {
	case KVM_EXIT_IO: return handle_io(d, run);
	case KVM_EXIT_MMIO: return handle_mmio(d, run);
	case KVM_EXIT_X86_RDMSR:
	case KVM_EXIT_X86_WRMSR: return handle_msr(d, run);
	default: return 0;
	}
}
