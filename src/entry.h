/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Names of the library's entry points (the rows of interposed.h). The shared library defines ioctl,
 * close, ... themselves (LD_PRELOAD); libkvmcompl.a, for static VMMs linked
 * with -Wl,--wrap=ioctl,--wrap=close,..., defines __wrap_ioctl, ... and
 * reaches libc through __real_ioctl, ... (next.c). */
#ifndef KC_ENTRY_H
#define KC_ENTRY_H

#ifdef KC_WRAP
#define KC_ENTRY(name) __wrap_##name
#else
#define KC_ENTRY(name) name
#endif

#define KC_EXPORT __attribute__((visibility("default")))

/* Every interposed function whose configure check holds, declared from its
 * row (interposed.h): its definition (ioctl.c, fdcalls.c) must match. */
#include "interposed.h"
#define KC_ENTRY_DECLARE(name, slot, type, check, wrap) KC_IF(check)(KC_EXPORT type KC_ENTRY(name);)
KC_INTERPOSED(KC_ENTRY_DECLARE)
#undef KC_ENTRY_DECLARE

#endif
