#!/bin/sh
# Install what make fuzz, make check-tsan and make check-valgrind need on
# Debian/Ubuntu: clang with libFuzzer (-fsanitize=fuzzer: on bookworm the
# runtime is in libclang-rt-14-dev; older releases ship it with clang),
# llvm (symbolizer), valgrind, gcc's libtsan. Idempotent; run as root.
set -e
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }
need=
for p in clang llvm valgrind util-linux; do have "$p" || need="$need $p"; done
ver=$(clang --version 2>/dev/null | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -n 1)
[ -n "$ver" ] || ver=14
[ -n "$need" ] && { apt-get update; DEBIAN_FRONTEND=noninteractive apt-get install -y $need; }
ver=$(clang --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -n 1)
probe=$(mktemp -d)
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >"$probe/f.c"
if ! clang -fsanitize=fuzzer,address "$probe/f.c" -o "$probe/f" 2>/dev/null; then
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y "libclang-rt-$ver-dev" ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y "libclang-common-$ver-dev"
	clang -fsanitize=fuzzer,address "$probe/f.c" -o "$probe/f"
fi
rm -rf "$probe"
echo "setup-fuzz: clang $ver with libFuzzer, valgrind $(valgrind --version 2>/dev/null) ready"
