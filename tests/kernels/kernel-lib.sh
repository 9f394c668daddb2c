# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=sh disable=SC2154 # $cache, $src: the scripts that source it
# Shared by tests/kernels/check-kernels.sh and check-selftests.sh (sourced):
# resolving, downloading and extracting Debian kernels of any architecture
# and suite, and the start of an x86 guest's /init. Needs $cache (the
# download cache) and $src (the source tree). Non-amd64 kernels also need
# arch_var and the ARCH/arch.sh variables (foreign.sh, check-kernels.sh).

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
note() { echo "# $*"; }

host_suite=$(. /etc/os-release 2>/dev/null; echo "${VERSION_CODENAME:-bookworm}")
# shellcheck source=tests/kernels/papt.sh
. "$src/tests/kernels/papt.sh"

# kapt ARCH SUITE: sets $apt_opts for apt-get/apt-cache (empty: the host's
# apt, for amd64 of the host's suites, SUITE "-"); anything else gets an apt
# of the test's own (papt.sh; the host's codename for SUITE "-").
kapt() {
	apt_opts=
	[ "$1" = amd64 ] && [ "$2" = - ] && return 0
	s=$2; [ "$s" = - ] && s=$host_suite
	mkdir -p "$cache/apt" || return 1
	papt_setup "$1" "$s" > "$cache/apt/msg.$$" 2>&1; r=$?
	sed 's/^/# /' "$cache/apt/msg.$$" >&2; rm -f "$cache/apt/msg.$$"
	[ $r -eq 0 ] || return 1
	apt_opts=$papt
}

# resolve ARCH SUITE oldest|newest [SERIES]: ARCH's kernel package of that
# series (of any, without SERIES) that the archive offers now, so a list
# keeps meaning the same thing as Debian publishes updates. Prints nothing
# when none matches.
resolve() {
	kapt "$1" "$2" || return 0
	if [ -n "${4:-}" ]; then series=$(printf '%s' "$4" | sed 's/\./\\./g'); else series='[0-9]+\.[0-9]+'; fi
	# shellcheck disable=SC2086
	apt-cache $apt_opts search --names-only \
		"^linux-image-$series(\.0-[0-9]+|\.[0-9]+\+deb[0-9]+(\.[0-9]+)?)-$1\$" 2>/dev/null |
		awk '{ print $1 }' | sort -V | if [ "$3" = oldest ]; then head -n 1; else tail -n 1; fi
}

# fetch ARCH SUITE PKG [MODULE...]: the .deb in the cache (downloading the
# archive's candidate if the cache lacks it), then vmlinuz and the closure
# of the modules the architecture needs (amd64: kvm_amd; others: ARCH's
# "modules") plus the MODULEs given, extracted into $cache/PKG/: vmlinuz,
# release, modules/*.ko and modules/order (load order). The stamp names the
# packages and the module set: another set extracts again. Debian 7.x
# kernels split the image package: vmlinuz is in linux-binary-*, the
# modules in linux-modules-* (its Depends), fetched too. Prints what it
# did; fails with a reason.
fetch() {
	arch=$1 suite=$2 pkg=$3 dir=$cache/$3
	shift 3
	case $pkg in unresolved-*)
		echo "no $arch kernel in $([ "$suite" = - ] && echo "the host's suites" || echo "$suite") matches the list line '${pkg#unresolved-}' (or its package lists could not be fetched)"
		return 1 ;;
	esac
	if [ "$arch" = amd64 ]; then mods=kvm_amd; else mods=$(arch_var "$arch" modules); fi
	mods=$(echo $mods "$@" | tr - _)
	kapt "$arch" "$suite" 2>&1 || { echo "no package lists for $arch ($suite)"; return 1; }
	deb=$(get_deb "$pkg") || return 1
	debs=$deb
	for p in $(dpkg-deb -f "$deb" Depends | tr ',|' '\n\n' | sed -n 's/^ *\(linux-\(binary\|modules\)-[^ ]*\).*/\1/p'); do
		d=$(get_deb "$p") || return 1
		debs="$debs $d"
	done
	stamp="$(for d in $debs; do basename "$d"; done | tr '\n' ' ')modules: ${mods:-none}"
	if [ -f "$dir/stamp" ] && [ "$(cat "$dir/stamp")" = "$stamp" ]; then
		echo "cached: $stamp"
		return 0
	fi
	t=$(now)
	rm -rf "$dir" && mkdir -p "$dir/x" "$dir/modules" || return 1
	# The kernel: /boot/vmlinuz-REL (riscv64: vmlinux-REL), or since 7.x
	# /usr/lib/modules/REL/vmlinuz; modules in /lib or /usr/lib.
	for d in $debs; do
		dpkg-deb --fsys-tarfile "$d" | tar -x -C "$dir/x" --wildcards './boot/vmlinu[xz]-*' \
			'./usr/lib/modules/*/vmlinu[xz]' ${mods:+'./lib/modules/*' './usr/lib/modules/*'} 2>/dev/null
	done
	k=$(ls "$dir"/x/boot/vmlinu[xz]-* "$dir"/x/usr/lib/modules/*/vmlinu[xz] 2>/dev/null | head -n 1)
	[ -n "$k" ] && cp "$k" "$dir/vmlinuz" || { echo "no vmlinuz in $stamp"; return 1; }
	case $k in */boot/*) echo "${k##*/vmlinu?-}" ;; *) basename "$(dirname "$k")" ;; esac > "$dir/release"
	# name -> file of every module; then the needed modules' dependencies,
	# depth first, so that each module follows those it needs.
	find "$dir/x" -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz' |
		awk '{ n = $0; sub(/.*\//, "", n); sub(/\.ko(\.(xz|zst|gz))?$/, "", n); gsub(/-/, "_", n); print n, $0 }' \
		> "$dir/index"
	: > "$dir/modules/order"
	for m in $mods; do add_module "$m" || return 1; done
	rm -rf "$dir/x" "$dir/index"
	echo "$stamp" > "$dir/stamp"
	echo "extracted $(cat "$dir/release"): modules $(if [ -n "$mods" ]; then tr '\n' ' ' < "$dir/modules/order"; else echo "none (KVM built in) "; fi)in $(since "$t") s"
}

# get_deb PKG: the path of PKG's .deb in the cache, downloaded if missing
# (with $apt_opts, for $arch); the download's own lines go to stderr.
get_deb() {
	# shellcheck disable=SC2086
	ver=$(apt-cache $apt_opts show --no-all-versions "$1" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)
	f=$cache/${1}_$(echo "$ver" | sed 's/:/%3a/')_$arch.deb
	[ -n "$ver" ] && [ -f "$f" ] && { echo "$f"; return 0; }
	if [ -z "$ver" ]; then
		# Not known to apt-cache: use a cached copy if there is one.
		f=$(ls "$cache/${1}"_*_$arch.deb 2>/dev/null | tail -n 1)
		[ -n "$f" ] && { echo "$f"; return 0; }
		echo "apt-cache does not know $1 (run apt-get update, or remove it from the list)" >&2
		return 1
	fi
	t=$(now)
	# shellcheck disable=SC2086
	(cd "$cache" && apt-get $apt_opts download "$1" 2>&1) | tail -n 3 | sed 's/^/  /' >&2
	[ -f "$f" ] || { echo "apt-get download $1 failed" >&2; return 1; }
	echo "downloaded $(basename "$f") ($(du -m "$f" | cut -f1) MiB) in $(since "$t") s" >&2
	echo "$f"
}

add_module() { # NAME: add NAME after its dependencies to $dir/modules
	set -- "$(echo "$1" | tr - _)"   # modinfo names rng-core, the index rng_core
	grep -qx "$1.ko" "$dir/modules/order" && return 0
	f=$(awk -v n="$1" '$1 == n { print $2; exit }' "$dir/index")
	[ -n "$f" ] || { echo "module $1 not in the package"; return 1; }
	case $f in
	*.xz) xz -dc "$f" ;; *.zst) zstd -qdc "$f" ;; *.gz) gzip -dc "$f" ;; *) cat "$f" ;;
	esac > "$dir/modules/$1.ko" || { echo "cannot decompress $f"; return 1; }
	for d in $(modinfo -F depends "$dir/modules/$1.ko" | tr ',' ' '); do
		add_module "$d" || return 1
	done
	echo "$1.ko" >> "$dir/modules/order"
}

# init_head: the start of an x86 guest's /init (busybox sh): mounts, the
# kernel's release ("@@KC boot"), the modules of /lib/modules/order in
# order ("@@KC modfail" and power-off when one fails), /dev/kvm.
init_head() {
	cat <<'EOF'
#!/bin/busybox sh
/bin/busybox mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
/bin/busybox --install -s /bin
export PATH=/bin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
dmesg -n 1
echo "@@KC boot $(uname -r)"
for m in $(cat /lib/modules/order); do
	if ! insmod /lib/modules/$m; then
		echo "@@KC modfail $m"
		dmesg | tail -n 30
		poweroff -f
	fi
done
dmesg | grep -i -e kvm -e svm -e nested | sed 's/^/@@KC dmesg /'
[ -c /dev/kvm ] || mknod /dev/kvm c 10 232
EOF
}
