#!/bin/sh
# The Debian packaging end to end, as root on Debian or Ubuntu (CI; not
# part of make check): build libkvmcompl and libkvmcompl-dev with
# contrib/build-deb.sh (build dependencies installed with apt-get), install
# them with dpkg -i, run `kvmcompl --probe` and `kvmcompl --stats -- true`,
# render the installed man pages, build a program against the -dev package
# with pkg-config, then purge both packages.  Prints its run time.
#   sh tests/packaging/check-deb.sh [OUTDIR]   (.debs kept in OUTDIR if given)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
start=$(date +%s)
keep=${1:-}
out=${keep:-$(mktemp -d "${TMPDIR:-/tmp}/kvmcompl-debs.XXXXXX")}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kvmcompl-check.XXXXXX")
status=0
installed=0
cleanup() {
	[ $installed -eq 1 ] && dpkg --purge libkvmcompl-dev libkvmcompl >/dev/null 2>&1
	rm -rf "$tmp"
	[ -n "$keep" ] || rm -rf "$out"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() { echo "check-deb: FAIL: $*"; status=1; }
step() { echo "=== check-deb: $*"; }

[ "$(id -u)" -eq 0 ] || { echo "check-deb: must run as root (dpkg -i)"; exit 1; }
# man-db: the installed pages are rendered; gcc and pkg-config build against -dev
. "$top/contrib/apt.sh"
kc_apt_install check-deb man-db gcc pkg-config || { echo "check-deb: FAIL: cannot install man-db, gcc, pkg-config"; exit 1; }

step "build (contrib/build-deb.sh --install-deps)"
sh "$top/contrib/build-deb.sh" --install-deps "$out" || { echo "check-deb: FAIL: the package build failed"; exit 1; }

step "install"
dpkg --purge libkvmcompl-dev libkvmcompl >/dev/null 2>&1
installed=1
dpkg -i "$out"/libkvmcompl_*.deb "$out"/libkvmcompl-dev_*.deb || { echo "check-deb: FAIL: dpkg -i"; exit 1; }
dpkg -L libkvmcompl libkvmcompl-dev | grep -E 'bin/|\.so$|libexec/.*probe$|\.h$|\.pc$|man[137]/'
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
LD_PRELOAD='' kvmcompl -- env | grep -x "LD_PRELOAD=/usr/lib/.*/libkvmcompl.so" ||
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

step "purge"
dpkg --purge libkvmcompl-dev libkvmcompl || fail "dpkg --purge"
installed=0
[ ! -e /usr/bin/kvmcompl ] && [ ! -e /usr/libexec/libkvmcompl ] || fail "files left after purge"

end=$(date +%s)
if [ $status -eq 0 ]; then
	echo "check-deb: PASS in $((end - start)) s"
else
	echo "check-deb: FAILED in $((end - start)) s"
fi
exit $status
