/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>
#include <linux/kvm.h>

#include "compat.h"
#include "rules.h"
#include "vcpu.h"
#include "unit.h"

/* The x86 table against the x86 headers of the build: x86 hosts only
 * (other hosts test every table in test-rules-arches.c). */
#if defined(__x86_64__) || defined(__i386__)

/* The full x86-64 numbers as doc/kernel-rules.md gives them: the document
 * is checked against the table (the table against the header in
 * test-native-arch.c, its classes in test-rules-arches.c). */
static const struct { unsigned int req; const char *name; } doc_triggers[] = {
	{ 0x8090ae81, "GET_REGS" }, { 0x4090ae82, "SET_REGS" },
	{ 0x8138ae83, "GET_SREGS" }, { 0x4138ae84, "SET_SREGS" },
	{ 0xc008ae88, "GET_MSRS" }, { 0x4008ae89, "SET_MSRS" },
	{ 0x81a0ae8c, "GET_FPU" }, { 0x41a0ae8d, "SET_FPU" },
	{ 0x8400ae8e, "GET_LAPIC" }, { 0x4400ae8f, "SET_LAPIC" },
	{ 0x8004ae98, "GET_MP_STATE" }, { 0x4004ae99, "SET_MP_STATE" },
	{ 0x8040ae9f, "GET_VCPU_EVENTS" }, { 0x4040aea0, "SET_VCPU_EVENTS" },
	{ 0x8080aea1, "GET_DEBUGREGS" }, { 0x4080aea2, "SET_DEBUGREGS" },
	{ 0x9000aea4, "GET_XSAVE" }, { 0x5000aea5, "SET_XSAVE" },
	{ 0x9000aecf, "GET_XSAVE2" },
	{ 0x8188aea6, "GET_XCRS" }, { 0x4188aea7, "SET_XCRS" },
	{ 0x4010aeab, "GET_ONE_REG" }, { 0x4010aeac, "SET_ONE_REG" },
	{ 0xc080aebe, "GET_NESTED_STATE" }, { 0x4080aebf, "SET_NESTED_STATE" },
	{ 0x8140aecc, "GET_SREGS2" }, { 0x4140aecd, "SET_SREGS2" },
	{ 0x4018aee1, "SET_DEVICE_ATTR" }, { 0x4018aee2, "GET_DEVICE_ATTR" },
};

START_TEST(every_documented_trigger_is_a_trigger)
{
	for (size_t i = 0; i < sizeof doc_triggers / sizeof *doc_triggers; i++)
		ck_assert_msg(kc_request_class(&kc_rules_x86, doc_triggers[i].req) == KC_REQ_TRIGGER,
			      "%s (%#x) is not a trigger", doc_triggers[i].name, doc_triggers[i].req);
}
END_TEST

START_TEST(colliding_numbers_are_told_apart_by_the_full_request)
{
	/* Same nr, other size or direction (doc/kernel-rules.md). */
	ck_assert_int_eq(kc_request_class(&kc_rules_x86, KVM_GET_PIT2), KC_REQ_OTHER);
	ck_assert_int_eq(kc_request_class(&kc_rules_x86, KVM_SET_PIT2), KC_REQ_OTHER);
	ck_assert_int_eq(kc_request_class(&kc_rules_x86, KVM_GET_VCPU_EVENTS), KC_REQ_TRIGGER);
	ck_assert_int_eq(kc_request_class(&kc_rules_x86, KVM_SET_VCPU_EVENTS), KC_REQ_TRIGGER);
	ck_assert_int_eq(kc_request_class(&kc_rules_x86, KVM_SET_TSC_KHZ), KC_REQ_PROTOCOL);
	ck_assert_int_eq(kc_request_class(&kc_rules_x86, KVM_SET_DEBUGREGS), KC_REQ_TRIGGER);
	/* Only the nr matches: not a trigger. */
	ck_assert_int_eq(kc_request_class(&kc_rules_x86, 0xae81), KC_REQ_OTHER);
	ck_assert_int_eq(kc_request_class(&kc_rules_x86, 0x8090ae00), KC_REQ_OTHER);
	/* nr 0xac as SET_ONE_REG, another size (KVM_PPC_RTAS_DEFINE_TOKEN-like). */
	ck_assert_int_eq(kc_request_class(&kc_rules_x86, 0x4080aeac), KC_REQ_OTHER);
}
END_TEST

static int needs(unsigned reason, unsigned sub)
{
	struct kvm_run run;

	memset(&run, 0, sizeof run);
	run.exit_reason = reason;
	run.hyperv.type = sub;
	return kc_exit_rule(&kc_rules_x86, &run) != NULL;
}

START_TEST(hyperv_only_hypercalls)
{
	ck_assert(needs(KVM_EXIT_HYPERV, KVM_EXIT_HYPERV_HCALL));
	ck_assert(!needs(KVM_EXIT_HYPERV, KVM_EXIT_HYPERV_SYNIC));
	ck_assert(!needs(KVM_EXIT_HYPERV, 3 /* SYNDBG */));
}
END_TEST

START_TEST(flag_update_keeps_other_bits)
{
	struct kvm_run run;

	memset(&run, 0, sizeof run);
	run.exit_reason = KVM_EXIT_IO;
	run.flags = KVM_RUN_X86_SMM | KVM_RUN_X86_BUS_LOCK;
	int twice;

	ck_assert_int_eq(kc_update_flag(&run, &twice, 0), 1);
	ck_assert_int_eq(twice, 0);
	ck_assert_uint_eq(run.flags, KVM_RUN_NEEDS_COMPLETION | KVM_RUN_X86_SMM | KVM_RUN_X86_BUS_LOCK);
	run.exit_reason = KVM_EXIT_HLT;
	ck_assert_int_eq(kc_update_flag(&run, &twice, 0), 0);
	ck_assert_uint_eq(run.flags, KVM_RUN_X86_SMM | KVM_RUN_X86_BUS_LOCK);
	ck_assert_uint_eq(KVM_RUN_NEEDS_COMPLETION, 1u << 15);
	ck_assert_uint_eq(KVM_CAP_NEEDS_COMPLETION, 239);
}
END_TEST

/* complete_fast_pio_out_port_0x7e: an OUT of one unit to 0x7e owes nothing
 * while KVM_X86_QUIRK_OUT_7E_INC_RIP is on; an IN there, a string OUT, or
 * the quirk off: owed. */
START_TEST(out_to_port_0x7e)
{
	struct kvm_run run;

	memset(&run, 0, sizeof run);
	run.exit_reason = KVM_EXIT_IO;
	run.io.direction = KVM_EXIT_IO_OUT;
	run.io.port = 0x7e;
	run.io.size = 1;
	run.io.count = 1;
	ck_assert_ptr_null(kc_exit_rule(&kc_rules_x86, &run));
	ck_assert_ptr_nonnull(kc_exit_rule_q(&kc_rules_x86, &run, 1));
	run.io.count = 2;
	ck_assert_ptr_nonnull(kc_exit_rule(&kc_rules_x86, &run));
	run.io.count = 1;
	run.io.direction = KVM_EXIT_IO_IN;
	ck_assert_ptr_nonnull(kc_exit_rule(&kc_rules_x86, &run));
	run.io.direction = KVM_EXIT_IO_OUT;
	run.io.port = 0x7f;
	ck_assert_ptr_nonnull(kc_exit_rule(&kc_rules_x86, &run));
}
END_TEST

/* The answer areas of src/rules-*.c (doc/interface.md, answer-aware completion). */
static int area(const struct kc_arch_rules *r, struct kvm_run *run, unsigned *off, unsigned *len)
{
	return kc_answer_area(kc_exit_rule(r, run), run, 8192, off, len);
}

START_TEST(answer_areas)
{
	struct kvm_run run;
	unsigned off = 0, len = 0;

	memset(&run, 0, sizeof run);
	run.exit_reason = KVM_EXIT_IO;
	run.io.direction = KVM_EXIT_IO_IN;
	run.io.size = 1;
	run.io.count = 1;
	run.io.data_offset = 4096;
	ck_assert(area(&kc_rules_x86, &run, &off, &len));
	ck_assert_uint_eq(off, 4096);
	ck_assert_uint_eq(len, 1);
	run.io.count = 10; /* rep insb: the first 8 bytes decide */
	ck_assert(area(&kc_rules_x86, &run, &off, &len) && len == 8);
	run.io.data_offset = 16; /* inside kvm_run: not the kernel's */
	ck_assert(!area(&kc_rules_x86, &run, &off, &len));
	run.io.data_offset = 8190; /* beyond the mapping */
	ck_assert(!area(&kc_rules_x86, &run, &off, &len));
	run.io.data_offset = 4096;
	run.io.direction = KVM_EXIT_IO_OUT;
	ck_assert(!area(&kc_rules_x86, &run, &off, &len));

	memset(&run, 0, sizeof run);
	run.exit_reason = KVM_EXIT_MMIO;
	run.mmio.len = 4;
	ck_assert(area(&kc_rules_x86, &run, &off, &len));
	ck_assert_uint_eq(off, offsetof(struct kvm_run, mmio.data));
	ck_assert_uint_eq(len, 4);
	ck_assert(area(&kc_rules_arm64, &run, &off, &len) && len == 4);
	ck_assert(area(&kc_rules_mips, &run, &off, &len) && len == 4);
	run.mmio.is_write = 1;
	ck_assert(!area(&kc_rules_x86, &run, &off, &len));
	ck_assert(!area(&kc_rules_powerpc, &run, &off, &len)); /* flagged, no answer */

	memset(&run, 0, sizeof run);
	run.exit_reason = KVM_EXIT_X86_RDMSR;
	ck_assert(area(&kc_rules_x86, &run, &off, &len));
	ck_assert_uint_eq(off, offsetof(struct kvm_run, msr.data));
	ck_assert_uint_eq(len, 8);
	run.exit_reason = KVM_EXIT_X86_WRMSR;
	ck_assert(!area(&kc_rules_x86, &run, &off, &len));
	run.exit_reason = KVM_EXIT_HYPERCALL;
	ck_assert(area(&kc_rules_x86, &run, &off, &len));
	ck_assert_uint_eq(off, offsetof(struct kvm_run, hypercall.ret));
	ck_assert(area(&kc_rules_loongarch, &run, &off, &len));
	ck_assert_uint_eq(off, offsetof(struct kvm_run, hypercall.ret));
	run.exit_reason = KVM_EXIT_XEN;
	ck_assert(area(&kc_rules_x86, &run, &off, &len));
	ck_assert_uint_eq(off, offsetof(struct kvm_run, xen.u.hcall.result));
	run.exit_reason = KVM_EXIT_HYPERV;
	run.hyperv.type = KVM_EXIT_HYPERV_HCALL;
	ck_assert(area(&kc_rules_x86, &run, &off, &len));
	ck_assert_uint_eq(off, offsetof(struct kvm_run, hyperv.u.hcall.result));
	run.exit_reason = KVM_EXIT_RISCV_SBI;
	ck_assert(area(&kc_rules_riscv, &run, &off, &len));
	ck_assert_uint_eq(off, offsetof(struct kvm_run, riscv_sbi.ret));
	ck_assert_uint_eq(len, 16);
	run.exit_reason = KVM_EXIT_RISCV_CSR;
	ck_assert(area(&kc_rules_riscv, &run, &off, &len));
	ck_assert_uint_eq(off, offsetof(struct kvm_run, riscv_csr.ret_value));
	run.exit_reason = KVM_EXIT_PAPR_HCALL;
	ck_assert(area(&kc_rules_powerpc, &run, &off, &len));
	ck_assert_uint_eq(off, offsetof(struct kvm_run, papr_hcall.ret));
	run.exit_reason = KVM_EXIT_OSI; /* input and answer at once */
	ck_assert(!area(&kc_rules_powerpc, &run, &off, &len));
}
END_TEST

START_TEST(state_writes)
{
	ck_assert(kc_request_writes(kc_request_find(&kc_rules_x86, KVM_SET_REGS)));
	ck_assert(kc_request_writes(kc_request_find(&kc_rules_x86, KVM_SET_VCPU_EVENTS)));
	ck_assert(!kc_request_writes(kc_request_find(&kc_rules_x86, KVM_GET_REGS)));
	ck_assert(!kc_request_writes(kc_request_find(&kc_rules_x86, KVM_GET_MSRS)));
	ck_assert(kc_request_writes(kc_request_find(&kc_rules_arm64, KC_GEN_IOW(0xae, 0x20))));
	ck_assert(kc_request_writes(kc_request_find(&kc_rules_s390, KC_GEN_IO(0x97))));
	ck_assert(!kc_request_writes(kc_request_find(&kc_rules_s390, KC_GEN_IOW(0xb6, 0x20))));
}
END_TEST

START_TEST(native_rules_are_x86_here)
{
#if defined(__x86_64__) || defined(__i386__)
	ck_assert_ptr_eq(kc_native_rules, &kc_rules_x86);
	ck_assert_ptr_eq(kc_rules(), &kc_rules_x86);
#endif
	ck_assert_str_eq(kc_request_name(&kc_rules_x86, KVM_GET_REGS), "KVM_GET_REGS");
	ck_assert_ptr_null(kc_request_name(&kc_rules_x86, 0xdeadbeef));
}
END_TEST

Suite *rules_suite(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase_create("x86");

	tcase_add_test(tc, every_documented_trigger_is_a_trigger);
	tcase_add_test(tc, colliding_numbers_are_told_apart_by_the_full_request);
	tcase_add_test(tc, hyperv_only_hypercalls);
	tcase_add_test(tc, flag_update_keeps_other_bits);
	tcase_add_test(tc, native_rules_are_x86_here);
	tcase_add_test(tc, out_to_port_0x7e);
	tcase_add_test(tc, answer_areas);
	tcase_add_test(tc, state_writes);
	suite_add_tcase(s, tc);
	return s;
}
#endif
