/* The environment settings, read once with secure_getenv (so a privileged
 * process ignores them) and never changed afterwards. */
#ifndef KC_SETTINGS_H
#define KC_SETTINGS_H

#include <stdbool.h>
#include "log.h"

struct kc_settings {
	bool complete;          /* KVMCOMPL_COMPLETE=auto|off */
	enum kc_level log_level;/* KVMCOMPL_LOG=off|error|warn|info|debug */
	const char *log_file;   /* KVMCOMPL_LOG_FILE, NULL for stderr */
};

/* The process's settings; the first call reads the environment. */
const struct kc_settings *kc_settings(void);

/* Fill s from getter (getenv-like). Returns a bit mask of the settings whose
 * value was not understood (bit 0 COMPLETE, bit 1 LOG); those get defaults. */
unsigned kc_settings_parse(struct kc_settings *s,
			   const char *(*get)(const char *name));

#define KC_BAD_COMPLETE 1u
#define KC_BAD_LOG 2u

#endif
