#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The Debian packaging end to end, as root on Debian or Ubuntu (CI; not
# part of make check): build libkvmcompl0, kvmcompl and libkvmcompl-dev with
# contrib/build-deb.sh (build dependencies installed with apt-get), run
# lintian on them (any error fails; so does a warning contrib/README does
# not explain), install them with dpkg -i, check the ldconfig trigger, the
# symbols file and the documentation, run `kvmcompl --probe` and
# `kvmcompl --stats -- true`, render the installed man pages, build a
# program against the -dev package with pkg-config and check that
# dpkg-shlibdeps gives it a dependency on libkvmcompl0, then purge the
# packages.  Prints its run time.
#   sh tests/packaging/check-deb.sh [OUTDIR]   (.debs kept in OUTDIR if given)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
start=$(date +%s)
keep=${1:-}
out=${keep:-$(mktemp -d "${TMPDIR:-/tmp}/kvmcompl-debs.XXXXXX")}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kvmcompl-check.XXXXXX")
status=0
installed=0
pkgs="libkvmcompl-dev kvmcompl libkvmcompl0"
cleanup() {
	[ $installed -eq 1 ] && dpkg --purge $pkgs >/dev/null 2>&1
	rm -rf "$tmp"
	[ -n "$keep" ] || rm -rf "$out"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() { echo "check-deb: FAIL: $*"; status=1; }
step() { echo "=== check-deb: $*"; }

[ "$(id -u)" -eq 0 ] || { echo "check-deb: must run as root (dpkg -i)"; exit 1; }
# man-db: the installed pages are rendered; gcc and pkg-config build against
# -dev; lintian checks the packages; dpkg-dev has dpkg-shlibdeps
. "$top/contrib/apt.sh"
kc_apt_install check-deb man-db gcc pkg-config lintian dpkg-dev ||
	{ echo "check-deb: FAIL: cannot install man-db, gcc, pkg-config, lintian, dpkg-dev"; exit 1; }

step "build (contrib/build-deb.sh --install-deps)"
sh "$top/contrib/build-deb.sh" --install-deps "$out" || { echo "check-deb: FAIL: the package build failed"; exit 1; }

step "lintian"
# Each warning contrib/README explains ("lintian"): initial-upload-closes-no-bugs
# (no ITP bug: the packaging lives upstream, not in Debian).
explained="initial-upload-closes-no-bugs"
lintian --version
lintian --tag-display-limit 0 "$out"/libkvmcompl_*.changes >"$tmp/lintian" 2>&1; lrc=$?
cat "$tmp/lintian"
if grep -q '^E: ' "$tmp/lintian"; then
	fail "lintian reports errors"
elif [ $lrc -ne 0 ] && [ $lrc -ne 2 ]; then
	fail "lintian could not check the packages (exit $lrc)"
fi
for tag in $(sed -n 's/^W: [^ ]*: \([a-z0-9-]*\).*/\1/p' "$tmp/lintian" | sort -u); do
	case " $explained " in
	*" $tag "*) echo "lintian warning $tag: explained in contrib/README" ;;
	*) fail "lintian warning $tag is not explained in contrib/README (fix it, or explain it there and here)" ;;
	esac
done

step "install"
dpkg --purge $pkgs libkvmcompl >/dev/null 2>&1   # libkvmcompl: the package before the split
installed=1
dpkg -i "$out"/libkvmcompl0_*.deb "$out"/kvmcompl_*.deb "$out"/libkvmcompl-dev_*.deb ||
	{ echo "check-deb: FAIL: dpkg -i"; exit 1; }
dpkg -L $pkgs | grep -E 'bin/|\.so[.0-9]*$|libexec/.*probe$|\.h$|\.pc$|man[137]/|doc/kvmcompl/'
for f in README.md.gz NEWS.gz doc/interface.md.gz doc/kernel-rules.md.gz doc/real-kvm.md.gz \
	doc/testing.md.gz doc/performance.md.gz \
	examples/libvirt/qemu-kvmcompl examples/libvirt/domain-env.xml \
	examples/systemd/kvmcompl.conf; do
	[ -f "/usr/share/doc/kvmcompl/$f" ] || fail "kvmcompl does not ship /usr/share/doc/kvmcompl/$f"
done

step "libkvmcompl0: SONAME, ldconfig trigger, symbols"
so=$(dpkg -L libkvmcompl0 | grep '/libkvmcompl\.so\.0$')
[ -n "$so" ] && readelf -d "$so" | grep 'SONAME.*\[libkvmcompl\.so\.0\]' || fail "no libkvmcompl.so.0 with SONAME libkvmcompl.so.0"
dpkg-deb -e "$out"/libkvmcompl0_*.deb "$tmp/control"
cat "$tmp/control/triggers" "$tmp/control/shlibs"
grep -qx 'activate-noawait ldconfig' "$tmp/control/triggers" || fail "libkvmcompl0 has no ldconfig trigger"
grep -q '^ kvmcompl_complete@KVMCOMPL_0 ' "$tmp/control/symbols" &&
	grep -q '^ ioctl@Base ' "$tmp/control/symbols" || fail "libkvmcompl0's symbols file lacks the API or ioctl"
[ "$(command -v kvmcompl)" = /usr/bin/kvmcompl ] || fail "kvmcompl is not /usr/bin/kvmcompl"
kvmcompl --version || fail "kvmcompl --version"

step "kvmcompl --probe"
kvmcompl --probe; rc=$?
case $rc in
0) ;;
77) echo "check-deb: probe skipped (no usable /dev/kvm): the package works, KVM untested" ;;
*) fail "kvmcompl --probe exited $rc" ;;
esac

step "kvmcompl --stats -- true"
kvmcompl --stats -- true || fail "kvmcompl --stats -- true"
LD_PRELOAD='' kvmcompl -- env | grep -x "LD_PRELOAD=/usr/lib/.*/libkvmcompl.so.0" ||
	fail "kvmcompl does not preload the installed library"
if [ $rc -eq 0 ]; then
	# counters from a real vCPU: the probe's self-test, preloaded by kvmcompl
	kvmcompl --stats -- /usr/libexec/libkvmcompl/kvmcompl-probe selftest >"$tmp/stats" 2>&1 ||
		fail "kvmcompl --stats -- kvmcompl-probe selftest"
	cat "$tmp/stats"
	grep -q 'stats: vCPU .*1 flagged; 1 completions (KVM_GET_REGS 1)' "$tmp/stats" ||
		fail "no completion counted by --stats"
fi

step "man pages"
for page in 1:kvmcompl 7:libkvmcompl 3:kvmcompl_complete 3:kvmcompl_stats 3:kvmcompl_version; do
	MANWIDTH=80 man --warnings "${page%%:*}" "${page#*:}" >"$tmp/man" 2>"$tmp/man.err" ||
		fail "man ${page%%:*} ${page#*:} failed"
	if [ -s "$tmp/man.err" ]; then cat "$tmp/man.err"; fail "man ${page%%:*} ${page#*:}: warnings"; fi
	echo "man ${page%%:*} ${page#*:}: $(wc -l <"$tmp/man") lines, no warnings"
done

step "libkvmcompl-dev: pkg-config and the header"
cat >"$tmp/api.c" <<'C'
#include <stdio.h>
#include <kvmcompl.h>
int main(void)
{
	struct kvmcompl_stats s;
	printf("flag %#x, capability %d, stats %zu bytes\n",
	       KVM_RUN_NEEDS_COMPLETION, KVM_CAP_NEEDS_COMPLETION, sizeof s);
	return 0;
}
C
# shellcheck disable=SC2046
cc $(pkg-config --cflags libkvmcompl) -o "$tmp/api" "$tmp/api.c" && "$tmp/api" ||
	fail "a program built with pkg-config --cflags libkvmcompl"

step "a VMM linked with -lkvmcompl gets a dependency on libkvmcompl0 (dpkg-shlibdeps)"
cat >"$tmp/linked.c" <<'C'
#include <stdio.h>
#include <kvmcompl.h>
int main(void) { printf("linked against libkvmcompl %s\n", kvmcompl_version()); return 0; }
C
mkdir -p "$tmp/vmmpkg/debian"
printf 'Source: vmm\n\nPackage: vmm\nArchitecture: any\n' >"$tmp/vmmpkg/debian/control"
# shellcheck disable=SC2046
if cc $(pkg-config --cflags libkvmcompl) -o "$tmp/vmmpkg/vmm" "$tmp/linked.c" $(pkg-config --libs libkvmcompl) &&
	"$tmp/vmmpkg/vmm"; then
	readelf -d "$tmp/vmmpkg/vmm" | grep NEEDED
	readelf --dyn-syms -W "$tmp/vmmpkg/vmm" | grep 'kvmcompl_version@KVMCOMPL_0' ||
		fail "the program's reference is not versioned kvmcompl_version@KVMCOMPL_0"
	(cd "$tmp/vmmpkg" && dpkg-shlibdeps -O vmm) >"$tmp/shlibdeps" 2>&1
	cat "$tmp/shlibdeps"
	grep -q 'shlibs:Depends=.*libkvmcompl0 (>= 0\.1\.0)' "$tmp/shlibdeps" ||
		fail "dpkg-shlibdeps gives no dependency on libkvmcompl0"
else
	fail "a program linked with pkg-config --libs libkvmcompl"
fi

step "purge"
dpkg --purge $pkgs || fail "dpkg --purge"
installed=0
[ ! -e /usr/bin/kvmcompl ] && [ ! -e /usr/libexec/libkvmcompl ] && [ ! -e "$so" ] || fail "files left after purge"

end=$(date +%s)
if [ $status -eq 0 ]; then
	echo "check-deb: PASS in $((end - start)) s"
else
	echo "check-deb: FAILED in $((end - start)) s"
fi
exit $status
