/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* legacy-vmm, thread scenarios' helpers:
 *   other_thread  `mmio_read`, saved by a thread other than the vCPU's (the
 *         cloud-hypervisor pattern: the vCPU thread has parked after the
 *         exit, the VMM thread saves the state).
 *   race  `in`, with two threads calling GET_REGS at once before the save:
 *         the harness checks that the library completed exactly once. */
#define _GNU_SOURCE
#include "legacy-vmm.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static void *save_restore_thread(void *vm)
{
	save_restore(vm);
	return NULL;
}

void save_restore_other_thread(struct vm *vm)
{
	pthread_t t;

	if (pthread_create(&t, NULL, save_restore_thread, vm)) die("pthread_create");
	pthread_join(t, NULL);
}

/* Two threads read the registers of the pending vCPU at the same moment. */
static pthread_barrier_t race_barrier;
static void *get_regs_thread(void *vm)
{
	struct kvm_regs r;

	pthread_barrier_wait(&race_barrier);
	vm_get_regs(vm, &r);
	return NULL;
}

void get_regs_race(struct vm *vm)
{
	pthread_t t[2];

	pthread_barrier_init(&race_barrier, NULL, 2);
	for (int i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, get_regs_thread, vm)) die("pthread_create");
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&race_barrier);
}
