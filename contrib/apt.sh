# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by the contrib/setup-*.sh scripts (sourced, POSIX sh): install
# Debian packages by name, on a machine nobody has touched.
#
#   . contrib/apt.sh
#   kc_apt_install TAG PKG...   install the missing ones; 0 when all are there
#   kc_installed PKG            0 when dpkg says PKG is installed
#   kc_can_link TAG CC HINT     0 when CC links a C program; else says HINT
#
# Every apt-get waits for the dpkg lock (another apt on the machine is
# installing) instead of failing at once; `apt-get update` runs once per
# script, retried while a mirror is in mid-sync; nothing is left to
# Recommends: each script names every package it needs.

kc_apt_lock_wait=${KC_APT_LOCK_TIMEOUT:-900}
kc_apt_opts="-o DPkg::Lock::Timeout=$kc_apt_lock_wait -o Acquire::Retries=3"
kc_apt_updated=0

kc_installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'
}

kc_apt_update() { # TAG
	[ $kc_apt_updated -eq 1 ] && return 0
	for try in 1 2 3; do
		# shellcheck disable=SC2086
		apt-get $kc_apt_opts update -q >/dev/null && { kc_apt_updated=1; return 0; }
		echo "$1: apt-get update failed (try $try of 3)" >&2
		[ "$try" -lt 3 ] && sleep 10
	done
	# go on with the lists that were fetched: the install says if that was enough
	return 0
}

kc_apt_install() { # TAG PKG...
	tag=$1; shift
	missing=
	for p in "$@"; do kc_installed "$p" || missing="$missing $p"; done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "$tag: missing:$missing; install them as root: apt-get install -y$missing" >&2
		return 1
	fi
	kc_apt_update "$tag"
	echo "$tag: installing$missing"
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get $kc_apt_opts install -y -q --no-install-recommends $missing ||
		{ kc_apt_updated=0; kc_apt_update "$tag"
		  DEBIAN_FRONTEND=noninteractive apt-get $kc_apt_opts install -y -q --no-install-recommends $missing; }
	bad=
	for p in $missing; do kc_installed "$p" || bad="$bad $p"; done
	[ -z "$bad" ] && return 0
	echo "$tag: these packages did not install:$bad" >&2
	return 1
}

kc_can_link() { # TAG CC HINT: CC must compile and link a program that includes <linux/kvm.h>
	d=$(mktemp -d "${TMPDIR:-/tmp}/kc-link.XXXXXX") || return 1
	printf '#include <stdio.h>\n#include <linux/kvm.h>\nint main(void) { printf("%%d\\n", KVM_API_VERSION); return 0; }\n' >"$d/t.c"
	if "$2" -o "$d/t" "$d/t.c" >"$d/log" 2>&1; then
		rm -rf "$d"; return 0
	fi
	echo "$1: $2 cannot build a program with <linux/kvm.h>; missing: $3" >&2
	sed 's/^/  /' "$d/log" | head -n 5 >&2
	rm -rf "$d"
	return 1
}
