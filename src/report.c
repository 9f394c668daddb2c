/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <dlfcn.h>
#include <link.h>
#include <errno.h>
#ifdef HAVE_EXECINFO_H
#include <execinfo.h>
#endif
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "compat.h"
#include "log.h"
#include "report.h"
#include "rules.h"
#include "stats.h"

/* Distinct call sites, found by their return address; a fixed table, so
 * that a report allocates nothing (it may run in a signal handler). */
#define SITES 128
#define FRAMES 16

struct site {
	_Atomic uintptr_t pc;   /* 0: free */
	atomic_uint count;
	atomic_int ready;       /* the fields below are written */
	unsigned int reason;
	int req_index;
	int nframes;
	void *frames[FRAMES];
};

static struct site sites[SITES];
static int report_fd = -1;
static struct kc_own_file report_id;

/* Address ranges whose frames are not the VMM's: this library and the
 * sanitizer runtimes, which intercept ioctl() in an instrumented VMM. */
#define SKIP_RANGES 16
static struct { uintptr_t lo, hi; } skip[SKIP_RANGES];
static int n_skip;

static int collect_range(struct dl_phdr_info *info, size_t size, void *mine)
{
	const char *name = info->dlpi_name ? info->dlpi_name : "";
	int ours = 0;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && (uintptr_t)mine >= lo && (uintptr_t)mine < lo + ph->p_memsz)
			ours = 1;
	}
	if (!ours && !strstr(name, "libasan") && !strstr(name, "libtsan") &&
	    !strstr(name, "libubsan") && !strstr(name, "liblsan") && !strstr(name, "clang_rt"))
		return 0;
	for (int i = 0; i < info->dlpi_phnum && n_skip < SKIP_RANGES; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
			skip[n_skip].lo = info->dlpi_addr + ph->p_vaddr;
			skip[n_skip].hi = skip[n_skip].lo + ph->p_memsz;
			n_skip++;
		}
	}
	return 0;
}

static int skipped(const void *pc)
{
	for (int i = 0; i < n_skip; i++)
		if ((uintptr_t)pc >= skip[i].lo && (uintptr_t)pc < skip[i].hi)
			return 1;
	return 0;
}
static atomic_flag verified[KC_STATS_REASONS];

static atomic_int report_strict;

void kc_report_setup(int strict, const char *report_file)
{
	void *warm[2];

	atomic_store_explicit(&report_strict, strict, memory_order_relaxed);
#ifdef HAVE_EXECINFO_H
	backtrace(warm, 2); /* loads the unwinder now, not in a handler */
#else
	(void)warm;
#endif
	dl_iterate_phdr(collect_range, (void *)kc_report_setup);
	if (report_file) {
		/* As the log file: append, close-on-exec, no symlink, a
		 * high number, checked before each write. */
		report_fd = kc_own_file_open(report_file, &report_id);
		if (report_fd < 0) {
			char why[384];

			kc_log(KC_LOG_ERROR, "%s; reports go to the log only",
			       kc_open_error(why, (int)sizeof why, "KVMCOMPL_REPORT_FILE",
					     report_file, errno));
		}
	}
}

/* "module+0xOFF" of an address, from the loader's map. */
static void where(const void *pc, char *buf, int size)
{
	Dl_info info;

	if (dladdr(pc, &info) && info.dli_fname) {
		const char *base = strrchr(info.dli_fname, '/');

		kc_snprintf(buf, size, "%s+0x%lx", base ? base + 1 : info.dli_fname,
			    (unsigned long)((uintptr_t)pc - (uintptr_t)info.dli_fbase));
	} else {
		kc_snprintf(buf, size, "%p", pc);
	}
}

/* "function+0xOFF (module)" where the symbol is exported, else where(). */
static void symbol(const void *pc, char *buf, int size)
{
	Dl_info info;

	if (dladdr(pc, &info) && info.dli_sname && info.dli_saddr) {
		const char *base = info.dli_fname ? strrchr(info.dli_fname, '/') : NULL;

		kc_snprintf(buf, size, "%s+0x%lx (%s)", info.dli_sname,
			    (unsigned long)((uintptr_t)pc - (uintptr_t)info.dli_saddr),
			    base ? base + 1 : info.dli_fname ? info.dli_fname : "?");
	} else {
		where(pc, buf, size);
	}
}

static const char *exit_name(unsigned int reason)
{
	const char *n = kc_exit_name(reason);

	return n ? n : "?";
}

/* What the pending exit was doing, from kvm_run. */
static void detail(const struct kvm_run *run, char *buf, int size)
{
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		kc_snprintf(buf, size, "port 0x%x %s, size %u, count %u", run->io.port,
			    run->io.direction == KVM_EXIT_IO_IN ? "in" : "out", run->io.size,
			    run->io.count);
		break;
	case KVM_EXIT_MMIO:
		kc_snprintf(buf, size, "%s of %u bytes at 0x%lx", run->mmio.is_write ? "write" : "read",
			    run->mmio.len, (unsigned long)run->mmio.phys_addr);
		break;
	case KVM_EXIT_X86_RDMSR:
	case KVM_EXIT_X86_WRMSR:
		kc_snprintf(buf, size, "msr 0x%x", run->msr.index);
		break;
	case KVM_EXIT_HYPERCALL:
		kc_snprintf(buf, size, "nr %lu", (unsigned long)run->hypercall.nr);
		break;
	default:
		buf[0] = '\0';
	}
}

static void json(const char *line, int n)
{
	/* Unless the VMM closed the number and it now names its own file:
	 * then the reports are in the log only. */
	if (report_fd >= 0 && kc_own_file_is(report_fd, &report_id))
		(void)!write(report_fd, line, (size_t)n);
	else if (report_fd >= 0)
		kc_log_once(KC_LOG_WARN, "KVMCOMPL_REPORT_FILE: descriptor %d no longer names the report file (closed by the VMM?): reports go to the log only",
			    report_fd);
}

/* The frames that are the VMM's: those after this library's and the
 * sanitizer runtimes'. */
static int vmm_frames(void **frames, int n, void ***first)
{
	int i = 0;

	while (i < n && skipped(frames[i]))
		i++;
	*first = frames + i;
	return n - i;
}

void kc_report_access(const struct kvm_run *run, int vcpu_id, int fd, int req_index, void *pc)
{
	char at[128], what[96], line[768];
	void *frames[FRAMES];
	struct site *site = NULL;
	unsigned int h;
	long tid;
	int n, nframes;

#ifdef HAVE_EXECINFO_H
	void **vmm;

	/* The call site is the first frame that is the VMM's: with an
	 * instrumented VMM, the caller of this ioctl() is the sanitizer's. */
	nframes = backtrace(frames, FRAMES);
	if (vmm_frames(frames, nframes, &vmm) > 0)
		pc = vmm[0];
#else
	frames[0] = pc; /* no unwinder (musl): the call site alone */
	nframes = 1;
#endif
	h = (unsigned int)(((uintptr_t)pc >> 4) % SITES);

	for (unsigned int i = 0; i < SITES; i++) {
		struct site *t = &sites[(h + i) % SITES];
		uintptr_t expected = 0;

		if (atomic_load(&t->pc) == (uintptr_t)pc) {
			atomic_fetch_add(&t->count, 1);
			return; /* reported already */
		}
		if (atomic_compare_exchange_strong(&t->pc, &expected, (uintptr_t)pc)) {
			site = t;
			break;
		}
		if (expected == (uintptr_t)pc) {
			atomic_fetch_add(&t->count, 1);
			return;
		}
	}
	if (!site) {
		kc_log_once(KC_LOG_WARN, "report: more than %d call sites; further ones are not reported", SITES);
		return;
	}
	site->reason = run->exit_reason;
	site->req_index = req_index;
	memcpy(site->frames, frames, sizeof frames);
	site->nframes = nframes;
	atomic_store(&site->count, 1);
	atomic_store(&site->ready, 1);

	tid = syscall(SYS_gettid);
	where(pc, at, sizeof at);
	detail(run, what, sizeof what);
	kc_log(KC_LOG_WARN, "report: %s on vCPU %d (fd %d) while exit %s (%s) was pending; thread %ld; call site %s",
	       kc_request_label(req_index), vcpu_id, fd, exit_name(site->reason), what, tid, at);
	n = kc_snprintf(line, sizeof line,
			"{\"type\":\"report\",\"ioctl\":\"%s\",\"vcpu\":%d,\"fd\":%d,\"exit\":\"%s\",\"exit_reason\":%u,\"detail\":\"%s\",\"thread\":%ld,\"site\":\"%s\"}\n",
			kc_request_label(req_index), vcpu_id, fd, exit_name(site->reason), site->reason,
			what, tid, at);
	json(line, n);
	if (atomic_load_explicit(&report_strict, memory_order_relaxed)) {
		kc_report_summary();
		kc_log(KC_LOG_ERROR, "KVMCOMPL_MODE=strict: stopping the process (exit status %d)", KC_STRICT_STATUS);
		_exit(KC_STRICT_STATUS);
	}
}

void kc_report_verify(const struct kvm_run *run, int kernel, int library)
{
	unsigned int r = run->exit_reason < KC_STATS_REASONS ? run->exit_reason : KC_STATS_REASONS - 1;
	char line[256];
	int n;

	if (atomic_flag_test_and_set(&verified[r]))
		return; /* once per exit reason */
	kc_log(KC_LOG_WARN, "verify: exit %s (%u): kernel flag %d, library rules %d",
	       exit_name(run->exit_reason), run->exit_reason, kernel, library);
	n = kc_snprintf(line, sizeof line,
			"{\"type\":\"verify\",\"exit\":\"%s\",\"exit_reason\":%u,\"kernel\":%d,\"library\":%d}\n",
			exit_name(run->exit_reason), run->exit_reason, kernel, library);
	json(line, n);
}

void kc_report_summary(void)
{
	static atomic_flag done = ATOMIC_FLAG_INIT;

	if (atomic_flag_test_and_set(&done))
		return;
	for (int i = 0; i < SITES; i++) {
		struct site *t = &sites[i];
		char at[128], frames[512] = "", jframes[600] = "", f[128], line[1024];
		void **vmm;
		int n, len = 0, jlen = 0;

		if (!atomic_load(&t->pc) || !atomic_load(&t->ready))
			continue;
		where((void *)atomic_load(&t->pc), at, sizeof at);
		n = vmm_frames(t->frames, t->nframes, &vmm);
		for (int k = 0; k < n; k++) {
			symbol(vmm[k], f, sizeof f);
			len += kc_snprintf(frames + len, (int)sizeof frames - len, "%s%s",
					   k ? " < " : "", f);
			jlen += kc_snprintf(jframes + jlen, (int)sizeof jframes - jlen, "%s\"%s\"",
					    k ? "," : "", f);
		}
		kc_log_always("report summary: %u times at %s: %s at exit %s: %s",
			      atomic_load(&t->count), at, kc_request_label(t->req_index),
			      exit_name(t->reason), frames);
		n = kc_snprintf(line, sizeof line,
				"{\"type\":\"summary\",\"site\":\"%s\",\"count\":%u,\"ioctl\":\"%s\",\"exit\":\"%s\",\"frames\":[%s]}\n",
				at, atomic_load(&t->count), kc_request_label(t->req_index),
				exit_name(t->reason), jframes);
		json(line, n);
	}
}
