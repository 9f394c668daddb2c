/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The library's one initialisation: at the first KVM request (or the first
 * call of the API), read the settings and hand each module its part. */
#ifndef KC_INIT_H
#define KC_INIT_H

/* Once; later calls return at one load. Safe in a signal handler: a caller
 * that races the first goes on with the modules' defaults this once. */
void kc_init(void);

#endif
