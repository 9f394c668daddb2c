#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build the Debian packages libkvmcompl and libkvmcompl-dev from this
# source tree and leave the .deb files (and .buildinfo, .changes) in OUTDIR.
#
#   sh contrib/build-deb.sh [--install-deps] OUTDIR [DPKG-BUILDPACKAGE-OPTION]...
#
# The tree is not touched: its files (git's list when it is a git checkout,
# so build products stay out) are copied to a temporary directory, a
# distribution tarball is made there (make dist) and unpacked as the
# upstream source, contrib/debian becomes debian/, and
# `dpkg-buildpackage -us -uc -b` builds it.  --install-deps first installs
# the build dependencies with apt-get build-dep (as root).
# DEB_BUILD_OPTIONS=nocheck skips the test suite in the package build.
set -eu
install_deps=0
if [ "${1:-}" = --install-deps ]; then install_deps=1; shift; fi
if [ $# -lt 1 ]; then
	echo "usage: $0 [--install-deps] OUTDIR [DPKG-BUILDPACKAGE-OPTION]..." >&2
	exit 2
fi
out=$1; shift
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/kvmcompl-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

if [ $install_deps -eq 1 ]; then
	# debhelper and the tools that build a package, then the Build-Depends of
	# contrib/debian/control (apt-get build-dep reads them from a directory).
	. "$top/contrib/apt.sh"
	kc_apt_install build-deb build-essential dpkg-dev debhelper fakeroot autoconf automake libtool ||
		{ echo "build-deb: cannot install the packaging tools (see above)" >&2; exit 1; }
	mkdir -p "$work/deps/debian"
	cp "$top/contrib/debian/control" "$top/contrib/debian/changelog" "$work/deps/debian/"
	# shellcheck disable=SC2086
	if ! DEBIAN_FRONTEND=noninteractive apt-get $kc_apt_opts build-dep -y -q "$work/deps" >"$work/deps.log" 2>&1; then
		kc_apt_updated=0; kc_apt_update build-deb
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive apt-get $kc_apt_opts build-dep -y -q "$work/deps" >"$work/deps.log" 2>&1 || {
			tail -n 20 "$work/deps.log" >&2
			echo "build-deb: apt-get build-dep failed: cannot install the Build-Depends of contrib/debian/control" >&2
			exit 1
		}
	fi
fi
# What dpkg-buildpackage needs, named before it fails without a word.
need=
for t in dpkg-buildpackage:dpkg-dev dh:debhelper fakeroot:fakeroot autoreconf:autoconf automake:automake libtoolize:libtool make:make cc:gcc; do
	command -v "${t%%:*}" >/dev/null 2>&1 || need="$need ${t#*:}"
done
if [ -n "$need" ]; then
	echo "build-deb: missing tools; install:$need (or run: sh $0 --install-deps $out, as root)" >&2
	exit 1
fi

echo "build-deb: copying $top"
mkdir "$work/tree"
if [ -d "$top/.git" ] && command -v git >/dev/null 2>&1; then
	(cd "$top" && git ls-files -z --cached --others --exclude-standard) |
		(cd "$top" && xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\n" "$f"; done' sh) |
		(cd "$top" && tar -cf - -T -) | (cd "$work/tree" && tar -xf -)
else
	(cd "$top" && tar -cf - --exclude=./build --exclude=./build-cross .) | (cd "$work/tree" && tar -xf -)
	[ ! -f "$work/tree/Makefile" ] || (cd "$work/tree" && make -s distclean >/dev/null 2>&1) || true
fi

echo "build-deb: make dist"
(
	cd "$work/tree" && autoreconf -fi && mkdir _dist && cd _dist && ../configure -q && make -s dist
) >"$work/dist.log" 2>&1 || {
	tail -n 20 "$work/dist.log" >&2
	echo "build-deb: autoreconf, configure or make dist failed (above: the end of its output)" >&2
	exit 1
}
tarball=$(ls "$work"/tree/_dist/libkvmcompl-*.tar.gz)
base=$(basename "$tarball" .tar.gz)        # libkvmcompl-VERSION
version=${base#libkvmcompl-}
cp "$tarball" "$work/libkvmcompl_$version.orig.tar.gz"
# unpacked under a name without "libkvmcompl": tests/passthrough.test
# looks for that string in /proc/self/maps to tell whether the library is
# loaded, and the build directory's name would match it
tar -C "$work" -xzf "$tarball"
src=$work/kc-$version
mv "$work/$base" "$src"
cp -R "$top/contrib/debian" "$src/debian"
chmod +x "$src/debian/rules"

echo "build-deb: dpkg-buildpackage -us -uc -b $* (in $src)"
if ! (cd "$src" && dpkg-buildpackage -us -uc -b "$@") >"$out/build.log" 2>&1; then
	# say what failed: the test suite's failures if it ran, then the log's end
	[ ! -f "$src/test-suite.log" ] || cp "$src/test-suite.log" "$out/"
	grep -E '^(FAIL|ERROR): |^dpkg-(buildpackage|checkbuilddeps|source): error|^dh[_a-z]*: error' "$out/build.log" >&2 || true
	tail -n 30 "$out/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed; the log is $out/build.log" >&2
	exit 1
fi
grep -E '^# (TOTAL|PASS|SKIP|XFAIL|FAIL|ERROR):' "$out/build.log" || true
cp "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes "$out/"
echo "build-deb: packages in $out:"
(cd "$out" && ls -1 ./*.deb)
