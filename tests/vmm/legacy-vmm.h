/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* legacy-vmm's parts: the harness (legacy-vmm.c), the scenario registry
 * (scenarios.c) and the scenarios by concern (sc-snapshot.c, sc-threads.c,
 * sc-answer.c, sc-api.c). */
#ifndef LEGACY_VMM_H
#define LEGACY_VMM_H

#include "devices.h"
#include "kvmcompl.h"
#include "vm.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

enum expect { EXP_FIXED, EXP_CONTROL, EXP_CONTROL_BUG, EXP_CLEAN, EXP_DEMO };

extern enum vm_mode g_mode;
extern enum expect g_expect;
extern int g_kvm;
extern struct devices g_dev;
extern unsigned g_flag15_seen;   /* exits returned with bit 15 set */
extern int g_native;             /* no shim, and the kernel flags natively */

#define F15 KVM_RUN_NEEDS_COMPLETION_BIT

/* ---- the registry (scenarios.c) ---- */
struct scenario {
	const char *name;
	void (*fn)(void);
	/* Space-separated tags (scenarios.c says what each means); runners
	 * select with `legacy-vmm list --tag T`. */
	const char *tags;
	/* The expectation of the run without the library on a kernel without
	 * the flag (the host's real KVM): control or control-clean; NULL: the
	 * scenario has no native control run. */
	const char *control;
	/* The library run's environment (NAME=VALUE), or NULL. */
	const char *env;
	/* KVMCOMPL_TEST_BREAK values (comma-separated) that must make the
	 * library run fail on the kernel double wherever the control shows the
	 * bug; NULL: none. */
	const char *breaks;
};
extern const struct scenario scenarios[];
extern const size_t n_scenarios;
const struct scenario *find_scenario(const char *name);
/* `legacy-vmm list [--tag T]... [--no-tag T]... [--field F]` */
int list_scenarios(int argc, char **argv);

/* ---- the harness (legacy-vmm.c) ---- */
int no_shim(void);
void verdict(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void new_vm(struct vm *vm, const char *guest);
uint32_t flag15(const struct vm *vm);
void run_expect(struct vm *vm, uint32_t reason, const char *what);
void run_to_hlt(struct vm *vm);
void save_restore(struct vm *vm);
typedef int (*complete_fn)(int);
complete_fn find_complete(void);
const char *shim_version(void);
long shim_completions(int vcpu);
void check_completions(int vcpu, long want, const char *where);
/* where guest `in` ends: the address after its IN */
extern const uint8_t guest_real_in_start[], guest_real_in_after[];
extern const uint8_t guest_long_in_start[], guest_long_in_after[];

/* ---- save/restore (sc-snapshot.c) ---- */
enum rd_kind { RD_IN, RD_MMIO, RD_MSR, RD_INSB };
enum sr_variant { SR_PLAIN, SR_COMPLETE_OFF, SR_EXPLICIT, SR_OTHER_THREAD, SR_RACE, SR_QEMU_LIKE,
		  SR_READ_FIRST };
void sc_read_save_restore(const char *name, enum rd_kind k, enum sr_variant v);
void sc_write_save_restore(int mmio);
void sc_getset(int mmio);
void sc_split(int write);

/* ---- threads (sc-threads.c) ---- */
void save_restore_other_thread(struct vm *vm);
void get_regs_race(struct vm *vm);

/* ---- the library's API (sc-api.c) ---- */
void check_stats(int vcpu);
void explicit_api_extra(void);

/* ---- the scenarios' entry points ---- */
void sc_in(void);
void sc_mmio_read(void);
void sc_rdmsr(void);
void sc_insb(void);
void sc_out(void);
void sc_mmio_write(void);
void sc_getset_in(void);
void sc_getset_mmio(void);
void sc_split_read(void);
void sc_split_write(void);
void sc_complete_off(void);
void sc_explicit_api(void);
void sc_other_thread(void);
void sc_race(void);
void sc_in_qemu_like(void);
void sc_mmio_read_qemu_like(void);
void sc_rdmsr_qemu_like(void);
void sc_read_then_save_in(void);
void sc_read_then_save_mmio(void);
void sc_out7e_quirk(void);
void sc_out7e_noquirk(void);
void sc_in_repeat(void);
void sc_inherited(void);
void sc_ucall_in(void);
void sc_insb_edit(void);
void sc_out7e(int noquirk);
void sc_flags(void);
void sc_cap(void);
void sc_vmm_immediate_exit(void);

#endif
