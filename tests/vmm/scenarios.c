/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* legacy-vmm's scenario registry: every scenario once, with its tags and
 * expectations.  The runners ask `legacy-vmm list` instead of naming
 * scenarios (tests/real-kvm.test, kdouble.test, static.test,
 * sanitizer.test, check-valgrind.sh, check-tsan.sh, vmm/demo.sh,
 * kernels/check-kernels.sh); a new scenario is one row here (and its
 * function).
 *
 * Tags:
 *   x86-real, x86-long  runs in that mode (the second argument)
 *   pair          run with the library (fixed) and natively as a control
 *                 (the control column): real-kvm.test, kdouble.test,
 *                 check-kernels, check-valgrind
 *   complete-off  run with the library under its env column only
 *   snapshot      saves the vCPU and restores it into a new VM (vm_save)
 *   answer-aware  the VMM reads state at an exit it has not answered, or
 *                 one the kernel already finished (README, answer-aware)
 *   threads       vCPU state read from threads other than the vCPU's
 *                 (check-tsan)
 *   api           the capability, the flag bits, immediate_exit, the
 *                 library's C API
 *   double-ok     meaningful on the kernel double (kdouble.test)
 *   real-only     needs a real kernel (raw-syscall fds the double cannot see)
 *   dlsym         asks the library's API with dlsym: not for a static VMM
 *   qemu-like     a VMM that completes by itself before saving
 *   report        run by name by tests/sanitizer.test (its call-site
 *                 reports and strict mode)
 *   static        sampled by the statically linked VMM (static.test)
 *   verify        compared under KVMCOMPL_MODE=verify against the upstream
 *                 flag (sanitizer.test)
 *   demo          in `make demo` */
#define _GNU_SOURCE
#include "legacy-vmm.h"

#include <stdio.h>
#include <string.h>

#define M "x86-real x86-long "
const struct scenario scenarios[] = {
	/* name, function, tags, control, env, breaks */
	{ "in", sc_in, M "pair snapshot double-ok static verify demo", "control", NULL, "completion" },
	{ "mmio_read", sc_mmio_read, M "pair snapshot double-ok static verify demo", "control", NULL, "completion" },
	{ "rdmsr", sc_rdmsr, M "pair snapshot double-ok static verify demo", "control", NULL, "completion" },
	{ "out", sc_out, M "pair snapshot double-ok verify", "control", NULL, "completion" },
	{ "mmio_write", sc_mmio_write, M "pair snapshot double-ok verify", "control", NULL, NULL },
	{ "insb", sc_insb, M "pair snapshot double-ok static verify", "control", NULL, "completion" },
	{ "getset_in", sc_getset_in, M "pair double-ok verify", "control", NULL, NULL },
	{ "getset_mmio", sc_getset_mmio, M "pair double-ok static verify", "control", NULL, NULL },
	{ "split_read", sc_split_read, M "pair double-ok static verify", "control", NULL, NULL },
	{ "split_write", sc_split_write, M "pair double-ok verify", "control", NULL, NULL },
	{ "flags", sc_flags, M "pair api double-ok static verify", "control", NULL, NULL },
	{ "cap", sc_cap, M "pair api double-ok static", "control", NULL, NULL },
	{ "vmm_immediate_exit", sc_vmm_immediate_exit, M "pair api double-ok", "control", NULL, NULL },
	{ "inherited", sc_inherited, M "pair snapshot real-only", "control", NULL, NULL },
	{ "other_thread", sc_other_thread, M "pair snapshot threads double-ok static", "control", NULL, NULL },
	{ "race", sc_race, M "pair snapshot threads double-ok static", "control", NULL, NULL },
	{ "ucall_in", sc_ucall_in, M "pair answer-aware double-ok dlsym", "control-clean", NULL, "answer,restore" },
	{ "insb_edit", sc_insb_edit, M "pair answer-aware double-ok dlsym", "control-clean", NULL, "answer" },
	{ "read_then_save_in", sc_read_then_save_in, M "pair snapshot answer-aware double-ok", "control", NULL,
	  "completion" },
	{ "read_then_save_mmio", sc_read_then_save_mmio, M "pair snapshot answer-aware double-ok", "control", NULL,
	  "completion" },
	{ "out7e", sc_out7e_quirk, M "pair answer-aware double-ok dlsym", "control-clean", NULL, NULL },
	{ "out7e_noquirk", sc_out7e_noquirk, M "pair snapshot answer-aware double-ok dlsym", "control", NULL,
	  "completion" },
	{ "complete_off", sc_complete_off, M "complete-off snapshot", NULL, "KVMCOMPL_COMPLETE=off", NULL },
	{ "explicit_api", sc_explicit_api, M "complete-off snapshot api dlsym", NULL, "KVMCOMPL_COMPLETE=off",
	  NULL },
	{ "in_qemu_like", sc_in_qemu_like, M "qemu-like snapshot report", "control-clean", NULL, NULL },
	{ "mmio_read_qemu_like", sc_mmio_read_qemu_like, M "qemu-like snapshot report", "control-clean", NULL, NULL },
	{ "rdmsr_qemu_like", sc_rdmsr_qemu_like, M "qemu-like snapshot report", "control-clean", NULL, NULL },
	{ "in_repeat", sc_in_repeat, M "snapshot report", NULL, NULL, NULL },
};
#undef M
const size_t n_scenarios = sizeof(scenarios) / sizeof(scenarios[0]);

const struct scenario *find_scenario(const char *name)
{
	for (size_t i = 0; i < n_scenarios; i++)
		if (!strcmp(scenarios[i].name, name)) return &scenarios[i];
	return NULL;
}

static int has_tag(const struct scenario *s, const char *tag)
{
	size_t n = strlen(tag);
	for (const char *p = s->tags; (p = strstr(p, tag)); p += n)
		if ((p == s->tags || p[-1] == ' ') && (p[n] == ' ' || p[n] == 0)) return 1;
	return 0;
}

/* The tags this file documents: a row with another one is a typo. */
static const char *const known_tags[] = {
	"x86-real", "x86-long", "pair", "complete-off", "snapshot", "answer-aware", "threads", "api",
	"double-ok", "real-only", "dlsym", "qemu-like", "report", "static", "verify", "demo",
};

/* `list --check`: every row well formed; 0, or 1 with a line per fault. */
static int check_registry(void)
{
	int bad = 0;

	for (size_t i = 0; i < n_scenarios; i++) {
		const struct scenario *s = &scenarios[i];
		char buf[256], *save = NULL;

		snprintf(buf, sizeof(buf), "%s", s->tags);
		for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
			size_t k = 0;
			while (k < sizeof(known_tags) / sizeof(known_tags[0]) && strcmp(t, known_tags[k])) k++;
			if (k == sizeof(known_tags) / sizeof(known_tags[0])) {
				printf("%s: unknown tag %s\n", s->name, t);
				bad = 1;
			}
		}
		if (!has_tag(s, "x86-real") && !has_tag(s, "x86-long")) {
			printf("%s: no mode tag (x86-real, x86-long)\n", s->name);
			bad = 1;
		}
		if (has_tag(s, "pair") && !s->control) {
			printf("%s: a pair scenario needs a control expectation\n", s->name);
			bad = 1;
		}
		if (s->control && strcmp(s->control, "control") && strcmp(s->control, "control-clean")) {
			printf("%s: control %s is neither control nor control-clean\n", s->name, s->control);
			bad = 1;
		}
		if (has_tag(s, "complete-off") != (s->env != NULL)) {
			printf("%s: a complete-off scenario needs its env, and only it\n", s->name);
			bad = 1;
		}
		if (!has_tag(s, "pair") && !has_tag(s, "complete-off") && !has_tag(s, "report")) {
			printf("%s: no runner selects it (pair, complete-off, report)\n", s->name);
			bad = 1;
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(scenarios[j].name, s->name)) {
				printf("%s: listed twice\n", s->name);
				bad = 1;
			}
	}
	printf("%zu scenarios, registry %s\n", n_scenarios, bad ? "BROKEN" : "well formed");
	return bad;
}

static void print_tags(const char *tags)
{
	/* comma-joined: one shell word */
	for (const char *p = tags; *p; p++)
		if (*p != ' ' || (p[1] && p[1] != ' ')) putchar(*p == ' ' ? ',' : *p);
}

/* list [--tag T]... [--no-tag T]... [--field name|control|env|breaks|tags]:
 * the scenarios with every --tag and none of the --no-tag, one a line;
 * with a field other than name, NAME=VALUE ('-' where there is none).
 * list --check: the registry's rows are well formed (tests/kdouble.test). */
int list_scenarios(int argc, char **argv)
{
	const char *want[16], *avoid[16], *field = "name";
	int nw = 0, na = 0;

	if (argc == 3 && !strcmp(argv[2], "--check"))
		return check_registry();
	for (int i = 2; i < argc; i++) {
		if (i + 1 < argc && !strcmp(argv[i], "--tag") && nw < 16) want[nw++] = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "--no-tag") && na < 16) avoid[na++] = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "--field")) field = argv[++i];
		else {
			fprintf(stderr, "usage: legacy-vmm list [--tag T]... [--no-tag T]... [--field name|control|env|breaks|tags]\n");
			return 99;
		}
	}
	if (strcmp(field, "name") && strcmp(field, "control") && strcmp(field, "env") &&
	    strcmp(field, "breaks") && strcmp(field, "tags")) {
		fprintf(stderr, "legacy-vmm: unknown field %s\n", field);
		return 99;
	}
	for (size_t i = 0; i < n_scenarios; i++) {
		const struct scenario *s = &scenarios[i];
		const char *v;
		int ok = 1;

		for (int j = 0; j < nw; j++) ok &= has_tag(s, want[j]);
		for (int j = 0; j < na; j++) ok &= !has_tag(s, avoid[j]);
		if (!ok) continue;
		if (!strcmp(field, "name")) {
			puts(s->name);
			continue;
		}
		printf("%s=", s->name);
		if (!strcmp(field, "tags")) {
			print_tags(s->tags);
			putchar('\n');
			continue;
		}
		v = !strcmp(field, "control") ? s->control : !strcmp(field, "env") ? s->env : s->breaks;
		puts(v ? v : "-");
	}
	return 0;
}
