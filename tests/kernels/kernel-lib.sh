# Shared by tests/kernels/check-kernels.sh and check-selftests.sh (sourced):
# resolving, downloading and extracting Debian kernels, and the start of the
# guest's /init. Needs $cache (the download cache).

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
note() { echo "# $*"; }

# A line is a package name, or "oldest SERIES" / "newest SERIES" (e.g.
# "newest 6.1"): the amd64 kernel of that series the archive offers now,
# so the list keeps meaning the same thing as Debian publishes updates.
resolve() { # oldest|newest SERIES
	series=$(printf '%s' "$2" | sed 's/\./\\./g')
	apt-cache search --names-only "^linux-image-$series(\.0-[0-9]+|\.[0-9]+\+deb[0-9]+)-amd64\$" 2>/dev/null |
		awk '{ print $1 }' | sort -V | if [ "$1" = oldest ]; then head -n 1; else tail -n 1; fi
}
# fetch PKG: the .deb in the cache (downloading the archive's candidate if
# the cache lacks it), then vmlinuz and the kvm_amd module closure extracted
# once into $cache/PKG/. Prints what it did; fails with a reason.
fetch() {
	pkg=$1 dir=$cache/$1
	ver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)
	deb=
	[ -n "$ver" ] && [ -f "$cache/${pkg}_$(echo "$ver" | sed 's/:/%3a/')_amd64.deb" ] &&
		deb=$cache/${pkg}_$(echo "$ver" | sed 's/:/%3a/')_amd64.deb
	if [ -z "$deb" ] && [ -z "$ver" ]; then
		# Not known to apt-cache: use a cached copy if there is one.
		deb=$(ls "$cache/${pkg}"_*_amd64.deb 2>/dev/null | tail -n 1)
		[ -n "$deb" ] || { echo "apt-cache does not know $pkg (run apt-get update, or remove it from the list)"; return 1; }
	fi
	if [ -z "$deb" ]; then
		t=$(now)
		(cd "$cache" && apt-get download "$pkg" 2>&1) | tail -n 3 | sed 's/^/  /'
		deb=$(ls "$cache/${pkg}"_*_amd64.deb 2>/dev/null | tail -n 1)
		[ -n "$deb" ] || { echo "apt-get download $pkg failed"; return 1; }
		echo "downloaded $(basename "$deb") ($(du -m "$deb" | cut -f1) MiB) in $(since "$t") s"
	fi
	if [ -f "$dir/stamp" ] && [ "$(cat "$dir/stamp")" = "$(basename "$deb")" ]; then
		echo "cached: $(basename "$deb")"
		return 0
	fi
	t=$(now)
	rm -rf "$dir" && mkdir -p "$dir/x" "$dir/modules" || return 1
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir/x" --wildcards './boot/vmlinuz-*' './lib/modules/*' ||
		{ echo "cannot extract $deb"; return 1; }
	cp "$dir"/x/boot/vmlinuz-* "$dir/vmlinuz" || { echo "no vmlinuz in $deb"; return 1; }
	ls "$dir/x/lib/modules" > "$dir/release"
	# name -> file of every module; then kvm_amd's dependencies, depth first,
	# so that each module follows those it needs.
	find "$dir/x/lib/modules" -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz' |
		awk '{ n = $0; sub(/.*\//, "", n); sub(/\.ko(\.(xz|zst|gz))?$/, "", n); gsub(/-/, "_", n); print n, $0 }' \
		> "$dir/index"
	: > "$dir/modules/order"
	add_module kvm_amd || return 1
	rm -rf "$dir/x" "$dir/index"
	basename "$deb" > "$dir/stamp"
	echo "extracted $(cat "$dir/release"): modules $(tr '\n' ' ' < "$dir/modules/order")in $(since "$t") s"
}

add_module() { # NAME: add NAME after its dependencies to $dir/modules
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

# init_head: the start of a guest's /init (busybox sh): mounts, the kernel's
# release ("@@KC boot"), kvm_amd and its dependencies from /lib/modules
# ("@@KC modfail" and power-off when one fails), /dev/kvm.
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
