/* The environment settings, read once with secure_getenv (so a privileged
 * process ignores them) and never changed afterwards. */
#ifndef KC_SETTINGS_H
#define KC_SETTINGS_H

#include <stdbool.h>
#include "log.h"

enum kc_complete_mode {
	KC_COMPLETE_OFF,          /* flag and capability only */
	KC_COMPLETE_AUTO,         /* before every trigger ioctl */
	KC_COMPLETE_OTHER_THREAD, /* only from a thread other than the one
				     that received the exit */
};

/* Test-only (KVMCOMPL_TEST_BREAK): switch a protection off so the tests
 * can show that they fail without it. */
#define KC_BREAK_COMPLETION 1u
#define KC_BREAK_GUARD 2u
#define KC_BREAK_ANSWER 4u  /* no marker: every trigger completes (old rule) */
#define KC_BREAK_RESTORE 8u /* the marker is left for the guest */

#define KC_CAP_DEFAULT (-1)

enum kc_mode {
	KC_MODE_FIX,    /* complete silently */
	KC_MODE_REPORT, /* complete and report the VMM's call site */
	KC_MODE_STRICT, /* report, then stop the process */
	KC_MODE_VERIFY, /* check a kernel's own flag against the rules */
};

struct kc_settings {
	enum kc_complete_mode complete; /* KVMCOMPL_COMPLETE */
	enum kc_level log_level;/* KVMCOMPL_LOG=off|error|warn|info|debug */
	const char *log_file;   /* KVMCOMPL_LOG_FILE, NULL for stderr */
	long cap;               /* KVMCOMPL_CAP=N|off (0), KC_CAP_DEFAULT */
	bool stats;             /* KVMCOMPL_STATS=1: report counters */
	enum kc_mode mode;      /* KVMCOMPL_MODE */
	const char *report_file;/* KVMCOMPL_REPORT_FILE, JSON lines */
	const char *test_arch;  /* KVMCOMPL_TEST_ARCH, tests only */
	unsigned test_break;    /* KVMCOMPL_TEST_BREAK, tests only */
};

/* The process's settings; the first call reads the environment. */
const struct kc_settings *kc_settings(void);

/* Whether anything has read the settings yet (a KVM fd was met). */
bool kc_settings_loaded(void);

/* Fill s from getter (getenv-like). Returns a bit mask of the settings whose
 * value was not understood (bit 0 COMPLETE, bit 1 LOG); those get defaults. */
unsigned kc_settings_parse(struct kc_settings *s,
			   const char *(*get)(const char *name));

#define KC_BAD_COMPLETE 1u
#define KC_BAD_LOG 2u
#define KC_BAD_CAP 4u
#define KC_BAD_TEST 8u
#define KC_BAD_STATS 16u
#define KC_BAD_MODE 32u

/* The capability number the library answers at; 0: none. */
unsigned int kc_cap_number(void);

#endif
