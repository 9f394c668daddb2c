/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An empty library: preloading it shows the start-up cost that any
 * preloaded library pays, the floor for libkvmcompl's. Its zero-filled
 * data spans pages as libkvmcompl's does (the fd table's top level), so
 * the loader maps both the same way and a comparison of their system
 * calls counts only what the code itself does. */
char kvmcompl_bench_bss[8192];
