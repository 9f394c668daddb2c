# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the scripts of make check-tsan, fuzz, check-musl and
# check-cross: a build directory of their own, configured with this source
# tree's configure (no hand-written compiler lines, no list of sources:
# Makefile.am is the only one).
#   kc_subbuild DIR [CONFIGURE-ARGS...]  configure DIR (created) once, again
#       when the arguments change or configure is newer; its output in
#       DIR/configure.log. Arguments may be VAR=VALUE (CC=..., CFLAGS=...).
#   kc_submake DIR TARGETS...  make TARGETS in DIR, its output appended to
#       DIR/build.log.
#   kc_subbuild_possible  whether the source tree can host sub-builds.
# All return non-zero after printing a line saying why.
# Needs $KC_SRCDIR; a source tree configured in place cannot host another
# build (configure refuses it): build outside it, the documented way.

kc_subbuild_possible() {
	[ ! -f "$KC_SRCDIR/config.status" ] && return 0
	echo "$KC_SRCDIR is configured in place: this target configures build directories of its own from it," \
		"which needs a build outside the source tree (make distclean there, then" \
		"mkdir build && cd build && ../configure)"
	return 1
}

kc_subbuild() {
	_d=$1; shift
	kc_subbuild_possible || return 1
	mkdir -p "$_d" || return 1
	# the arguments, one a line, as the stamp of this configuration
	_stamp=$(for _a in "$@"; do printf '%s\n' "$_a"; done)
	if [ -f "$_d/Makefile" ] && [ -f "$_d/.kc-subbuild" ] && [ "$(cat "$_d/.kc-subbuild")" = "$_stamp" ] &&
		[ -z "$(find "$KC_SRCDIR/configure" -newer "$_d/config.status" 2>/dev/null)" ]; then
		return 0
	fi
	# other arguments (CC, CFLAGS...): make would keep the old objects
	if [ -f "$_d/Makefile" ] && [ -f "$_d/.kc-subbuild" ] && [ "$(cat "$_d/.kc-subbuild")" != "$_stamp" ]; then
		(unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES; cd "$_d" && make -s distclean) >/dev/null 2>&1
	fi
	rm -f "$_d/.kc-subbuild"
	if ! (cd "$_d" && "$KC_SRCDIR/configure" -q "$@") >"$_d/configure.log" 2>&1; then
		tail -n 20 "$_d/configure.log"
		echo "configure $* failed in $_d (see $_d/config.log)"
		return 1
	fi
	printf '%s\n' "$_stamp" >"$_d/.kc-subbuild"
}

kc_submake() {
	_d=$1; shift
	# an independent make: nothing of the calling make's command line
	# (jobserver, variable overrides) reaches it
	if ! (unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES; cd "$_d" &&
		make -s -j"${KC_JOBS:-$(nproc 2>/dev/null || echo 2)}" "$@") >>"$_d/build.log" 2>&1; then
		grep -E 'error|Error' "$_d/build.log" | head -n 20
		echo "make $* failed in $_d (see $_d/build.log)"
		return 1
	fi
}
