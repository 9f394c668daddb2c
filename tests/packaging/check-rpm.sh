#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The RPM spec (contrib/rpm/libkvmcompl.spec) built the way a packager
# would, `rpmbuild -ta` on the `make dist` tarball, here on Debian (rpm
# installed with apt-get; --nodeps: Debian's packages do not provide
# Fedora's BuildRequires).  Not part of make check.  Lists the packages and
# checks the SONAME and KVMCOMPL_0 provides and where each file went.
#   sh tests/packaging/check-rpm.sh TARBALL [RPMBUILD-OPTION]...   (e.g. --nocheck)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -ge 1 ] && [ -f "$1" ] || { echo "usage: $0 libkvmcompl-VERSION.tar.gz [RPMBUILD-OPTION]..."; exit 2; }
tarball=$(cd "$(dirname "$1")" && pwd)/$(basename "$1"); shift
. "$top/contrib/apt.sh"
kc_apt_install check-rpm rpm || { echo "check-rpm: FAIL: cannot install rpm"; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/kvmcompl-rpm.XXXXXX")
trap 'rm -rf "$work"' EXIT
status=0
fail() { echo "check-rpm: FAIL: $*"; status=1; }
if ! rpmbuild -ta --nodeps --define "_topdir $work" "$@" "$tarball" >"$work/log" 2>&1; then
	tail -n 40 "$work/log"
	echo "check-rpm: FAIL: rpmbuild -ta"
	exit 1
fi
grep -E '^Wrote:|^# (TOTAL|PASS|SKIP|FAIL|ERROR):' "$work/log"
rpms=$work/RPMS/$(rpm --eval '%{_arch}')
main=$(ls "$rpms"/libkvmcompl-[0-9]*.rpm) || exit 1
rpm -qp --provides "$main" | tee "$work/provides"
grep -q '^libkvmcompl\.so\.0()' "$work/provides" && grep -q '^libkvmcompl\.so\.0(KVMCOMPL_0)' "$work/provides" ||
	fail "libkvmcompl does not provide libkvmcompl.so.0 and libkvmcompl.so.0(KVMCOMPL_0)"
for f in main:/libkvmcompl.so.0.0.0 main:/bin/kvmcompl main:/README.md devel:/libkvmcompl.so devel:/kvmcompl.h static:/libkvmcompl.a; do
	case ${f%%:*} in main) p=$main ;; *) p=$(ls "$rpms"/libkvmcompl-"${f%%:*}"-[0-9]*.rpm) ;; esac
	rpm -qlp "$p" | grep -q "${f#*:}\$" || fail "$(basename "$p") lacks ${f#*:}"
done
[ $status -eq 0 ] && echo "check-rpm: PASS"
exit $status
