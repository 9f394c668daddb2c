/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The environment settings, read once with secure_getenv (so a privileged
 * process ignores them) and never changed afterwards. This module parses
 * them into a value and knows nothing else: src/init.c hands that value to
 * the log, the report and the statistics. */
#ifndef KC_SETTINGS_H
#define KC_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

/* The words of a setting that takes a word are numbered in the order its
 * row in settings.c lists them ("auto|other-thread|off": auto is 0). */
enum kc_complete_mode {
	KC_COMPLETE_AUTO,         /* before every trigger ioctl */
	KC_COMPLETE_OTHER_THREAD, /* only from a thread other than the one
				     that received the exit */
	KC_COMPLETE_OFF,          /* flag and capability only */
};

enum kc_mode {
	KC_MODE_FIX,    /* complete silently */
	KC_MODE_REPORT, /* complete and report the VMM's call site */
	KC_MODE_STRICT, /* report, then stop the process */
	KC_MODE_VERIFY, /* check a kernel's own flag against the rules */
};

/* Test-only (KVMCOMPL_TEST_BREAK): switch a protection off so the tests
 * can show that they fail without it; bit N is the row's word N. */
#define KC_BREAK_COMPLETION 1u
#define KC_BREAK_GUARD 2u
#define KC_BREAK_ANSWER 4u  /* no marker: every trigger completes (old rule) */
#define KC_BREAK_RESTORE 8u /* the marker is left for the guest */

/* KVMCOMPL_CAP: unset is the rules' own number (0, the zero value). */
#define KC_CAP_DEFAULT 0
#define KC_CAP_OFF (-1)

/* One field per row of the table in settings.c; a field a row leaves unset
 * keeps its zero value. */
struct kc_settings {
	enum kc_complete_mode complete; /* KVMCOMPL_COMPLETE */
	unsigned log_level;     /* KVMCOMPL_LOG: enum kc_level of log.h */
	const char *log_file;   /* KVMCOMPL_LOG_FILE, NULL for stderr */
	long cap;               /* KVMCOMPL_CAP=N, KC_CAP_OFF or KC_CAP_DEFAULT */
	unsigned stats;         /* KVMCOMPL_STATS=1: report counters */
	enum kc_mode mode;      /* KVMCOMPL_MODE */
	const char *report_file;/* KVMCOMPL_REPORT_FILE, JSON lines */
	const char *test_arch;  /* KVMCOMPL_TEST_ARCH, tests only */
	unsigned test_break;    /* KVMCOMPL_TEST_BREAK, tests only */
};

/* A row of the settings table: everything the library knows of one
 * setting. tests/settings.test holds README.md, libkvmcompl(7) and the
 * kvmcompl(1) wrapper's --help against it. */
struct kc_setting {
	const char *name;    /* the environment variable */
	const char *values;  /* '|'-separated words, or what a value is */
	/* Stores v (never NULL) into s; false if it is not understood. */
	bool (*parse)(const struct kc_setting *row, struct kc_settings *s, const char *v);
	size_t field;        /* offsetof(struct kc_settings, ...) */
	const char *def;     /* the value when unset, as a user writes it;
			        NULL: the field's zero value */
	const char *shown;   /* the default as documented, if not def */
	const char *if_bad;  /* what a value not understood leads to */
	bool test_only;      /* for the library's own tests */
};

extern const struct kc_setting kc_setting_rows[];
extern const size_t kc_setting_count;

/* The bit of kc_settings_parse's mask for the row of that name; 0 if none. */
unsigned kc_setting_bit(const char *name);

/* The process's settings; the first call reads the environment. */
const struct kc_settings *kc_settings(void);

/* Whether anything has read the settings yet (a KVM fd was met). */
bool kc_settings_loaded(void);

/* Fill s from getter (getenv-like). Returns a mask of the rows (bit i is
 * kc_setting_rows[i]) whose value was not understood; those get their
 * default. */
unsigned kc_settings_parse(struct kc_settings *s,
			   const char *(*get)(const char *name));

/* The mask kc_settings_parse returned for the process's settings. */
unsigned kc_settings_bad(void);

/* The environment's value of a setting (for a warning), or NULL. */
const char *kc_settings_env(const char *name);

#endif
