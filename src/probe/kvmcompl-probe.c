/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * kvmcompl-probe: what `kvmcompl --probe` runs (installed to
 * $(pkglibexecdir)).  Two modes:
 *
 *   kvmcompl-probe info      what this kernel offers: release, KVM API,
 *                            KVM_CAP_IMMEDIATE_EXIT, the rules in force on
 *                            this architecture, the capability number in
 *                            use (KVMCOMPL_CAP or the default) and whether
 *                            the kernel answers it itself (native flag).
 *                            Run without the library, so the answers are
 *                            the kernel's.
 *   kvmcompl-probe selftest  a one-VM self-test: a real-mode guest does
 *                            `in al, 0xE0`; the probe answers the exit,
 *                            saves REGS/SREGS/RAM without re-entering
 *                            KVM_RUN, restores into a new VM and runs it to
 *                            HLT.  Prints the device reads, the value the
 *                            guest saw and a `result:` line (correct,
 *                            repeated, lost, inconsistent).  Run once
 *                            without and once with the library preloaded.
 *
 * Exit: 0 done, 77 skipped (no usable /dev/kvm, or no self-test for this
 * architecture), 99 internal error.  Like a VMM written before the
 * proposed flag, the self-test knows nothing of libkvmcompl; it only asks
 * dlsym whether the library is loaded, to say so.
 */
#define _GNU_SOURCE
#include "config.h"

#include "rules.h"
#include "settings.h"
#include "kernel.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/kvm.h>

#define SKIP 77
#define HARD 99

static const char *loaded_version(void)
{
	void *p = dlsym(RTLD_DEFAULT, "kvmcompl_version");
	const char *(*f)(void);

	if (!p) return NULL;
	memcpy(&f, &p, sizeof(f));
	return f();
}

static const char *env_get(const char *name)
{
	return getenv(name);
}

/* ------------------------------------------------------------------ info */

static void print_rule(const struct kc_exit_rule *r, unsigned int kver)
{
	printf("  %-14s %s", r->name, r->source);
	if (r->subtype == KC_SUB_MMIO_READ) printf(" (reads only)");
	if (r->subtype == KC_SUB_IOCSR_READ) printf(" (reads only)");
	if (r->subtype == KC_SUB_HYPERV_TYPE) printf(" (hypercalls only)");
	if (r->twice_from && kver >= r->twice_from && (!r->twice_until || kver < r->twice_until))
		printf(" [this kernel completes it twice after EINTR: guarded]");
	putchar('\n');
}

static int info(void)
{
	const struct kc_arch_rules *rules = kc_native_rules;
	struct kc_settings s;
	struct utsname u;
	unsigned int kver = 0, cap;
	unsigned bad;
	int kvm, api;

	if (uname(&u) == 0) {
		kver = kc_parse_release(u.release);
		printf("kernel:            %s %s\n", u.release, u.machine);
	} else {
		printf("kernel:            unknown (uname: %s)\n", strerror(errno));
	}

	bad = kc_settings_parse(&s, env_get);
	cap = s.cap == KC_CAP_DEFAULT ? rules->default_cap : s.cap == KC_CAP_OFF ? 0 : (unsigned int)s.cap;
	if (bad & kc_setting_bit("KVMCOMPL_CAP"))
		printf("capability number: %u (KVMCOMPL_CAP=%s not understood: the default)\n",
		       cap, getenv("KVMCOMPL_CAP"));
	else if (s.cap != KC_CAP_DEFAULT && cap)
		printf("capability number: %u (KVMCOMPL_CAP=%s)\n", cap, getenv("KVMCOMPL_CAP"));
	else if (s.cap != KC_CAP_DEFAULT)
		printf("capability number: none (KVMCOMPL_CAP=%s)\n", getenv("KVMCOMPL_CAP"));
	else if (cap)
		printf("capability number: %u (the default on %s)\n", cap, rules->arch);
	else
		printf("capability number: none (no default on %s: set KVMCOMPL_CAP=N to answer at N)\n",
		       rules->arch);

	printf("rules (%s):", rules->arch);
	if (!rules->n_exits) {
		printf(" no exit owes a completion: the library passes every call through\n");
	} else {
		printf(" %zu exits owe a completion\n", rules->n_exits);
		for (size_t i = 0; i < rules->n_exits; i++)
			print_rule(&rules->exits[i], kver);
	}

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf("/dev/kvm:          cannot open: %s\n", strerror(errno));
		return SKIP;
	}
	/* Only a device that answers KVM_GET_API_VERSION with 12 is KVM
	 * (virt/kvm/kvm_main.c, kvm_dev_ioctl): anything else says nothing
	 * about immediate_exit or the flag, so stop before concluding. */
	api = ioctl(kvm, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		int e = errno;

		if (api < 0)
			printf("/dev/kvm:          not KVM: KVM_GET_API_VERSION failed (%s), KVM answers %d\n",
			       strerror(e), KVM_API_VERSION);
		else
			printf("/dev/kvm:          not KVM: KVM_GET_API_VERSION answered %d, KVM answers %d\n",
			       api, KVM_API_VERSION);
		close(kvm);
		return SKIP;
	}
	printf("KVM API version:   %d\n", api);
	printf("immediate_exit:    %s\n", ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) > 0 ?
	       "yes (KVM_CAP_IMMEDIATE_EXIT): completions re-enter KVM_RUN with immediate_exit set" :
	       "no (before 4.11): completions use a pending signal and KVM_SET_SIGNAL_MASK");
	if (!cap)
		printf("native flag:       not checked (no capability number in use)\n");
	else if (ioctl(kvm, KVM_CHECK_EXTENSION, (unsigned long)cap) > 0)
		printf("native flag:       yes: the kernel answers capability %u and sets KVM_RUN_NEEDS_COMPLETION itself; the library keeps completing\n", cap);
	else
		printf("native flag:       no: the kernel does not answer capability %u; the library provides the flag\n", cap);
	close(kvm);
	return 0;
}

/* -------------------------------------------------------------- selftest */

#if defined(__x86_64__) || defined(__i386__)

#define MEM_SIZE  0x10000
#define CODE_ADDR 0x1000
#define PORT      0xE0

/* 16-bit real mode at CS base 0:
 *   mov eax, 0x99999999 ; in al, 0xE0 ; 1: hlt ; jmp 1b */
static const uint8_t guest[] = {
	0x66, 0xb8, 0x99, 0x99, 0x99, 0x99,
	0xe4, PORT,
	0xf4,
	0xeb, 0xfd,
};

struct vm {
	int fd, vcpu;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *mem;
};

static int kvm_fd = -1;
static unsigned reads;     /* the device: its n-th read returns 0x40 + n */

static void die(const char *what) __attribute__((noreturn));
static void die(const char *what)
{
	printf("self-test: internal error: %s: %s\n", what, strerror(errno));
	exit(HARD);
}

static void vm_new(struct vm *vm)
{
	struct kvm_userspace_memory_region reg;
	int sz;

	vm->fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0) die("KVM_CREATE_VM");
	vm->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm->mem == MAP_FAILED) die("mmap of guest RAM");
	memset(&reg, 0, sizeof(reg));
	reg.memory_size = MEM_SIZE;
	reg.userspace_addr = (uintptr_t)vm->mem;
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &reg) < 0) die("KVM_SET_USER_MEMORY_REGION");
	(void)ioctl(vm->fd, KVM_SET_TSS_ADDR, 0xfffbd000ul); /* VMX real mode */
	vm->vcpu = ioctl(vm->fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu < 0) die("KVM_CREATE_VCPU");
	sz = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz < (int)sizeof(struct kvm_run)) die("KVM_GET_VCPU_MMAP_SIZE");
	vm->run_size = (size_t)sz;
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu, 0);
	if (vm->run == MAP_FAILED) die("mmap of kvm_run");
}

static void vm_free(struct vm *vm)
{
	munmap(vm->run, vm->run_size);
	munmap(vm->mem, MEM_SIZE);
	close(vm->vcpu);
	close(vm->fd);
}

/* Run until an exit the device does not answer; answers port reads. */
static unsigned run(struct vm *vm, int stop_at_in)
{
	for (int i = 0; i < 100; i++) {
		if (ioctl(vm->vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR) continue;
			die("KVM_RUN");
		}
		if (vm->run->exit_reason != KVM_EXIT_IO) return vm->run->exit_reason;
		if (vm->run->io.direction != KVM_EXIT_IO_IN || vm->run->io.port != PORT ||
		    vm->run->io.size != 1 || vm->run->io.count != 1) {
			errno = 0;
			die("unexpected I/O exit");
		}
		reads++;
		((uint8_t *)vm->run)[vm->run->io.data_offset] = (uint8_t)(0x40 + reads);
		if (stop_at_in) return KVM_EXIT_IO;
	}
	errno = 0;
	die("the guest did not reach HLT");
}

static int selftest(void)
{
	const char *lib = loaded_version();
	struct kvm_sregs sr;
	struct kvm_regs r;
	struct vm vm;
	uint8_t *saved;
	unsigned seen;
	int api;

	alarm(10); /* a wedged kernel must not hang the probe */
	printf("self-test %s: ", lib ? "with the library" : "without the library");
	fflush(stdout);
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0) {
		printf("SKIP: cannot open /dev/kvm: %s\n", strerror(errno));
		return SKIP;
	}
	api = ioctl(kvm_fd, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		printf("SKIP: KVM_GET_API_VERSION answered %d, not %d\n", api, KVM_API_VERSION);
		return SKIP;
	}

	vm_new(&vm);
	memcpy(vm.mem + CODE_ADDR, guest, sizeof(guest));
	if (ioctl(vm.vcpu, KVM_GET_SREGS, &sr) < 0) die("KVM_GET_SREGS");
	sr.cs.base = 0;
	sr.cs.selector = 0;
	if (ioctl(vm.vcpu, KVM_SET_SREGS, &sr) < 0) die("KVM_SET_SREGS");
	memset(&r, 0, sizeof(r));
	r.rip = CODE_ADDR;
	r.rflags = 2;
	if (ioctl(vm.vcpu, KVM_SET_REGS, &r) < 0) die("KVM_SET_REGS");
	if (run(&vm, 1) != KVM_EXIT_IO) {
		printf("SKIP: the guest's IN did not reach user space (exit %u)\n", vm.run->exit_reason);
		return SKIP;
	}

	/* The VMM has answered the IN; now it saves without re-entering
	 * KVM_RUN, and restores into a new VM. */
	if (ioctl(vm.vcpu, KVM_GET_REGS, &r) < 0) die("KVM_GET_REGS");
	if (ioctl(vm.vcpu, KVM_GET_SREGS, &sr) < 0) die("KVM_GET_SREGS");
	saved = malloc(MEM_SIZE);
	if (!saved) die("malloc");
	memcpy(saved, vm.mem, MEM_SIZE);
	vm_free(&vm);

	vm_new(&vm);
	memcpy(vm.mem, saved, MEM_SIZE);
	free(saved);
	if (ioctl(vm.vcpu, KVM_SET_SREGS, &sr) < 0) die("KVM_SET_SREGS");
	if (ioctl(vm.vcpu, KVM_SET_REGS, &r) < 0) die("KVM_SET_REGS");
	if (run(&vm, 0) != KVM_EXIT_HLT) {
		printf("the restored guest stopped with exit %u instead of HLT\nresult: inconsistent\n",
		       vm.run->exit_reason);
		return 0;
	}
	if (ioctl(vm.vcpu, KVM_GET_REGS, &r) < 0) die("KVM_GET_REGS");
	vm_free(&vm);
	close(kvm_fd);

	seen = (unsigned)(r.rax & 0xff);
	printf("device reads %u, guest saw 0x%02x", reads, seen);
	if (lib) printf(" (libkvmcompl %s)", lib);
	printf("\nresult: %s\n",
	       reads == 1 && seen == 0x41 ? "correct (one read, its value)" :
	       reads == 2 && seen == 0x42 ? "repeated (the IN ran again in the new VM)" :
	       reads == 1 ? "lost (the value never reached the guest)" :
	       "inconsistent");
	return 0;
}

#else

static int selftest(void)
{
	printf("self-test: SKIP: only written for x86 guests so far\n");
	return SKIP;
}

#endif

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "info")) return info();
	if (argc == 2 && !strcmp(argv[1], "selftest")) return selftest();
	fprintf(stderr, "usage: kvmcompl-probe info|selftest\n"
			"(run by `kvmcompl --probe`)\n");
	return 2;
}
