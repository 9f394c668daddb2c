/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel double for the fuzzer: tests/kdouble/kdouble.c compiled as is
 * (same translation unit), plus what a long-running harness needs and a
 * preloaded VMM cannot: reading the counters silently after every step,
 * the pending state of a vCPU, and forgetting every object between inputs
 * (the double never frees one, and holds at most 512). */
#include "../kdouble/kdouble.c"

/* Completions run twice (plus ignored immediate_exits), all vCPUs. */
EXPORT unsigned kdouble_fuzz_doubles(void);
EXPORT unsigned kdouble_fuzz_doubles(void)
{
	return kd_p ? total_doubles() : 0;
}

/* For a vCPU fd: whether the kernel owes a completion (1), not (0); how
 * many exits it produced so far in *exits, its index in *id. -1 when fd
 * is no vCPU. */
EXPORT int kdouble_fuzz_vcpu(int fd, unsigned *exits, int *id);
EXPORT int kdouble_fuzz_vcpu(int fd, unsigned *exits, int *id)
{
	void *o = NULL;
	struct kd_vcpu *v;
	int r;

	if (lookup(fd, &o) != K_VCPU) return -1;
	v = o;
	pthread_mutex_lock(&v->lock);
	r = ops->pending(v);
	*exits = v->exits;
	*id = v->id;
	pthread_mutex_unlock(&v->lock);
	return r;
}

/* Forget every object; only when no fd of them is open any more. */
EXPORT void kdouble_fuzz_reset(void);
EXPORT void kdouble_fuzz_reset(void)
{
	pthread_mutex_lock(&objs_lock);
	for (int i = 0; i < nvcpus; i++) {
		munmap(vcpus[i]->run, vcpus[i]->run_size);
		pthread_mutex_destroy(&vcpus[i]->lock);
		free(vcpus[i]);
	}
	for (int i = 0; i < nobj; i++)
		if (objs[i].kind == K_VM) free(objs[i].p);
	nobj = nvcpus = 0;
	pthread_mutex_unlock(&objs_lock);
}
