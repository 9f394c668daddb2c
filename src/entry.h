/* Names of the library's entry points. The shared library defines ioctl,
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

#endif
