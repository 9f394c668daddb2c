/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests/robust: shared by its parts (robust.c: the harness, guests and
 * main; robust-fds.c, robust-threads.c, robust-signals.c, robust-hostile.c:
 * the scenarios by concern). */
#ifndef KC_ROBUST_H
#define KC_ROBUST_H

#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "../common/tap.h"
#include "../common/vm.h"

#define FLAG15 (1u << 15)
#define CAP_NC 239
#define PORT_IN 0x10
#define PORT_OUT 0x11
#define MEM 0x10000

/* Real-mode guests, loaded at 0x1000 (robust.c). */
extern const unsigned char code_echo[6], code_hlt[3], code_in_spin[4];

extern int have_lib;   /* libkvmcompl is loaded: its promises are checked */
extern int kvm;
extern size_t run_size;

/* ---- guests (robust.c, on tests/common/vm.h) ---- */
void open_kvm(int cloexec);
struct kvm_run *map_run(int fd);
void vm_new(struct kt_vm *g, const unsigned char *code, size_t len);
int vcpu_new(struct kt_vm *g, int id, struct kvm_run **run);
void guest_new(struct kt_vm *g, const unsigned char *code, size_t len);
void guest_free(struct kt_vm *g);
int probe_guest(void);
unsigned char *io_data(struct kvm_run *run);
int is_io(struct kvm_run *run, int dir, int port);
int run_to_in(int fd, struct kvm_run *run, unsigned char val, char *why, size_t n);
int getregs_as_expected(const struct kvm_regs *regs, unsigned char val);
int finish_round(int fd, struct kvm_run *run, unsigned char val, int getregs, char *why, size_t n);
int echo_rounds(int fd, struct kvm_run *run, int rounds, unsigned char base, const char *what);
int count_fds(void);
int count_vcpu_maps(void);
void fd_set_now(unsigned char *set);
void no_cloexec(int fd);

/* ---- the scenarios ---- */
int sc_exec(char **argv);
int sc_exec_child(char **argv);
int sc_scm_thread(void);
int sc_scm_second_fd(void);
int sc_scm_process(void);
int sc_rawclose(const char *mode);
int sc_closerange(const char *mode);
int sc_loop(int n);
int sc_threads(void);
int sc_close_race(void);
int sc_kick(void);
int sc_sigrestart(void);
int sc_seccomp(void);
int sc_unknown_exit(void);
int sc_bit15(void);
int sc_munmap_run(void);
int sc_highfd(void);
int sc_secure(const char *lib);

#endif
