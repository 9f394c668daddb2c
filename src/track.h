/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Keeping the fd table true: KVM fds are recorded when created or first
 * met, copied on dup and forgotten on close. */
#ifndef KC_TRACK_H
#define KC_TRACK_H

#include "fdtable.h"

/* Record fd as kind (a vCPU, with its id or -1, gets its object and
 * kvm_run mapping here). Returns the new entry, or 0 if it could not be
 * recorded (logged). */
uintptr_t kc_track(int fd, enum kc_fd_kind kind, int id);

/* Identify an fd met for the first time with a KVM request, through
 * /proc/self/fd (so inherited and passed fds work), and record it; an fd
 * that is not a KVM object is recorded as KC_FD_OTHER until closed.
 * Returns its entry, or 0 if it could not be identified (not recorded). */
uintptr_t kc_track_identify(int fd);

/* Classify a /proc/self/fd link target (exposed for unit tests). */
enum kc_fd_kind kc_kind_from_link(const char *target);

/* fd `to` now refers to what `from` refers to (dup, dup2, dup3, F_DUPFD). */
void kc_track_copy(int from, int to);

/* fd was replaced (dup2/dup3 onto it) or found not to be what the table
 * says (the kernel answered EBADF or ENOTTY). */
void kc_track_forget(int fd);

/* The kernel answered a KVM request on fd, recorded as entry e, with EBADF
 * or ENOTTY: fd was closed or reused behind the library's back. */
void kc_track_stale(int fd, uintptr_t e);

/* fd is about to be closed: its entry becomes KC_FD_CLOSING (so a racing
 * ioctl passes through instead of identifying it again) and its object is
 * released; kc_track_closed clears the marker after the real close. */
void kc_track_closing(int fd);
void kc_track_closed(int fd);

/* The same for every fd in [first, last] (close_range, closefrom). */
void kc_track_closing_range(unsigned int first, unsigned int last);
void kc_track_closed_range(unsigned int first, unsigned int last);

#endif
