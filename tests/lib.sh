# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by the .test scripts: TAP output and running a program with or
# without the library preloaded. Sourced; KC_* come from the Makefile.

tap_n=0

# The preload list: the ASan runtime first in a sanitizer build.
kc_preload="${KC_PRELOAD_FIRST:+$KC_PRELOAD_FIRST }$KC_LIB"

# run_case NAME CMD...: one TAP line for CMD's exit status (0 ok, 77 skip),
# with its output as TAP comments.
run_case() {
	name=$1; shift
	out=$("$@" 2>&1); rc=$?
	tap_n=$((tap_n + 1))
	printf '%s\n' "$out" | sed 's/^/# /'
	case $rc in
	0) echo "ok $tap_n - $name" ;;
	77) echo "ok $tap_n - $name # SKIP $(printf '%s' "$out" | tail -n 1)" ;;
	*) echo "not ok $tap_n - $name (exit $rc)" ;;
	esac
}

# skip_case NAME REASON: one TAP line for a case left out, saying why.
skip_case() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1 # SKIP $2"; }

with_shim() { env LD_PRELOAD="$kc_preload" "$@"; }

tap_done() { echo "1..$tap_n"; }
