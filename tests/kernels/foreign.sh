# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=sh disable=SC2154 # $out, $src, $work, $jobs, now, since: check-kernels.sh
# Sourced by tests/kernels/check-kernels.sh: the guests of the architectures
# other than x86 (tests/kernels/ARCH/arch.sh describes each). Their test VMM
# (guest code in the architecture's assembly), the library (configured with
# --host in $out/build-ARCH, rebuilt incrementally) and a static /init
# (kc-init.c) are cross-built; the VMM and the library are dynamic, with the
# cross C library and its loader packed into the initramfs.

arch_var() { eval "echo \"\${$1_$2:-}\""; } # ARCH NAME -> $ARCH_NAME

foreign_control() { # ARCH SCENARIO -> the control's expectation
	for c in $(eval "echo \"\${control_$(arch_var "$1" backend):-}\""); do
		[ "${c%%=*}" = "$2" ] && { echo "${c#*=}"; return; }
	done
	echo bug
}

# The cases of ARCH, in check-kernels' format (NAME SHIM EXPECT COMMAND),
# for kc-init: leading NAME=VALUE words are the environment.
foreign_cases() { # ARCH
	P=/lib/libkvmcompl.so V=/bin/kc-vmm
	for s in $(arch_var "$1" scenarios); do
		c=$(foreign_control "$1" "$s")
		ce=$(arch_var "$1" cap_env)
		if [ "$s" = cap ] && [ -n "$ce" ]; then
			printf '%s\twith %s\tfixed\t%s LD_PRELOAD=%s %s %s fixed\n' "$s" "$ce" "$ce" $P $V "$s"
		else
			printf '%s\twith\tfixed\tLD_PRELOAD=%s %s %s fixed\n' "$s" $P $V "$s"
		fi
		printf '%s\twithout\t%s\t%s %s %s\n' "$s" "$c" $V "$s" "$c"
	done
	printf '%s\twith KVMCOMPL_LOG=debug\tonce\tKVMCOMPL_LOG=debug LD_PRELOAD=%s %s %s fixed\n' \
		"snapshot_read-one-completion" $P $V snapshot_read
}

# Build ARCH's programs and its common initramfs $work/common-ARCH.cpio.gz.
# Prints what failed.
foreign_prepare() { # ARCH
	a=$1 tr=$(arch_var "$1" triplet)
	ad=$out/$a bd=$out/build-$a
	mkdir -p "$ad" "$bd" || return 1
	command -v "$tr-gcc" >/dev/null 2>&1 ||
		{ echo "$tr-gcc not found: run sh contrib/setup-cross.sh"; return 1; }
	q=$(arch_var "$a" qemu)
	command -v "${q%% *}" >/dev/null 2>&1 ||
		{ echo "${q%% *} not found: install $(arch_var "$a" qemu_pkg) (sh contrib/setup-kernels.sh)"; return 1; }
	# The library, configured for ARCH once (then make rebuilds what changed).
	if [ ! -f "$bd/Makefile" ] || [ -n "$(find "$src/configure" -newer "$bd/config.status" 2>/dev/null)" ]; then
		t=$(now)
		(cd "$bd" && "$src/configure" -q --host="$tr" --enable-werror) > "$bd/configure.log" 2>&1 ||
			{ tail -n 5 "$bd/configure.log"; echo "configure --host=$tr failed (see $bd/config.log)"; return 1; }
		echo "configured the library for $a in $(since "$t") s"
	fi
	(unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES; cd "$bd" && make -s -j"$jobs" src/libkvmcompl.la) \
		> "$bd/build.log" 2>&1 || { grep -i error "$bd/build.log" | head -n 5; echo "building the library for $a failed"; return 1; }
	vsrc=
	for f in $(arch_var "$a" vmm); do vsrc="$vsrc $src/tests/kernels/$f"; done
	# shellcheck disable=SC2086
	"$tr-gcc" -std=gnu11 -O2 -Wall -Wextra -Werror -o "$ad/kc-vmm" $vsrc > "$ad/build.log" 2>&1 &&
		"$tr-gcc" -std=gnu11 -O2 -Wall -Wextra -Werror -static -o "$ad/kc-init" \
			"$src/tests/kernels/kc-init.c" >> "$ad/build.log" 2>&1 ||
		{ head -n 10 "$ad/build.log"; echo "building the $a test programs failed"; return 1; }
	r=$work/root-$a
	mkdir -p "$r/bin" "$r/lib/modules" "$r/dev" "$r/proc" "$r/sys" "$r/tmp" || return 1
	cp "$ad/kc-init" "$r/init" && cp "$ad/kc-vmm" "$r/bin/kc-vmm" &&
		cp "$bd/src/.libs/libkvmcompl.so" "$r/lib/" || return 1
	# The loader the VMM names, and the libraries both need, from the
	# cross C library (found in /lib through LD_LIBRARY_PATH=/lib).
	interp=$("$tr-readelf" -l "$ad/kc-vmm" | sed -n 's/.*interpreter: \(.*\)\]/\1/p')
	sys=/usr/$tr/lib
	mkdir -p "$r$(dirname "$interp")" && cp -L "$sys/$(basename "$interp")" "$r$interp" ||
		{ echo "no loader $interp in $sys"; return 1; }
	for l in $("$tr-readelf" -d "$ad/kc-vmm" "$bd/src/.libs/libkvmcompl.so" |
		sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort -u); do
		cp -L "$sys/$l" "$r/lib/" || { echo "no $l in $sys"; return 1; }
	done
	echo "/bin/kc-vmm probe" > "$r/probe"
	foreign_cases "$a" > "$r/cases"
	(cd "$r" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1) > "$work/common-$a.cpio.gz" ||
		{ echo "cannot build the $a initramfs"; return 1; }
	echo "$a initramfs: $(du -k "$work/common-$a.cpio.gz" | cut -f1) KiB"
}
