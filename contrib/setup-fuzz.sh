#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs what make fuzz, make check-tsan and make check-valgrind need on
# Debian/Ubuntu, as root: clang with libFuzzer (-fsanitize=fuzzer: on
# bookworm its runtime is libclang-rt-14-dev, which clang only recommends),
# llvm (the symbolizer), valgrind, and gcc's ThreadSanitizer runtime
# (libtsan2 comes with gcc 12). Idempotent; checks afterwards that clang
# links a fuzzer and gcc a ThreadSanitizer program.
set -eu
. "$(dirname "$0")/apt.sh"
kc_apt_install setup-fuzz clang llvm valgrind util-linux
ver=$(clang --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -n 1)
rt=libclang-rt-$ver-dev
# older releases ship the fuzzer runtime with libclang-common-<ver>-dev
apt-cache show "$rt" >/dev/null 2>&1 || rt=libclang-common-$ver-dev
kc_apt_install setup-fuzz "$rt"
probe=$(mktemp -d "${TMPDIR:-/tmp}/kc-fuzz.XXXXXX")
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >"$probe/f.c"
clang -fsanitize=fuzzer,address "$probe/f.c" -o "$probe/f" 2>"$probe/log" ||
	{ cat "$probe/log" >&2; echo "setup-fuzz: clang $ver cannot link a libFuzzer program (missing: $rt)" >&2; exit 1; }
printf 'int main(void) { return 0; }\n' >"$probe/t.c"
gcc -fsanitize=thread "$probe/t.c" -o "$probe/t" 2>"$probe/log" ||
	{ cat "$probe/log" >&2; echo "setup-fuzz: gcc cannot link a ThreadSanitizer program (missing: libtsan2 / libgcc-12-dev)" >&2; exit 1; }
echo "setup-fuzz: clang $ver with libFuzzer, $(valgrind --version), gcc ThreadSanitizer ready"
