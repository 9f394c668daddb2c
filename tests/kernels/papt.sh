# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=sh disable=SC2154 # $cache, now, since: check-kernels.sh
# Sourced by tests/kernels/check-kernels.sh: an apt of the test's own, to
# resolve and download kernel packages of any Debian suite and architecture
# without touching the host's sources, dpkg architectures or apt state.
#
#   papt_setup ARCH SUITE   sets $papt (options for apt-get / apt-cache);
#                           fetches the suite's package lists into
#                           $cache/apt/SUITE-ARCH/ unless they are younger
#                           than KVMCOMPL_APT_MAX_AGE minutes (default 1440)
#
# Sources: SUITE, SUITE-updates (main) from $KVMCOMPL_DEBIAN_MIRROR (default
# http://deb.debian.org/debian) and SUITE-security from
# $KVMCOMPL_DEBIAN_SECURITY (http://deb.debian.org/debian-security), signed
# by debian-archive-keyring. A suite ending in -backports, or sid, is used
# alone.

papt_setup() { # ARCH SUITE
	pd=$cache/apt/$2-$1
	mkdir -p "$pd/lists/partial" "$pd/archives/partial" "$pd/parts" || return 1
	kr=/usr/share/keyrings/debian-archive-keyring.gpg
	[ -f "$kr" ] || { echo "$kr missing: install debian-archive-keyring"; return 1; }
	m=${KVMCOMPL_DEBIAN_MIRROR:-http://deb.debian.org/debian}
	sec=${KVMCOMPL_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}
	case $2 in
	*-backports|sid|unstable|experimental) printf 'deb [signed-by=%s] %s %s main\n' "$kr" "$m" "$2" ;;
	*) printf 'deb [signed-by=%s] %s %s main\n' "$kr" "$m" "$2" "$kr" "$m" "$2-updates" "$kr" "$sec" "$2-security" ;;
	esac > "$pd/sources.list.new"
	: >> "$pd/status"
	papt="-o APT::Architecture=$1 -o APT::Architectures::=$1 -o Dir::Etc::sourcelist=$pd/sources.list
		-o Dir::Etc::sourceparts=$pd/parts -o Dir::Etc::preferencesparts=$pd/parts
		-o Dir::State=$pd -o Dir::State::lists=$pd/lists -o Dir::State::status=$pd/status
		-o Dir::Cache=$pd -o Dir::Cache::archives=$pd/archives -o Acquire::Retries=3
		-o APT::Sandbox::User=$(id -un) -o Debug::NoLocking=1"
	if cmp -s "$pd/sources.list.new" "$pd/sources.list" &&
		[ -n "$(find "$pd/stamp" -mmin -"${KVMCOMPL_APT_MAX_AGE:-1440}" 2>/dev/null)" ]; then
		rm -f "$pd/sources.list.new"
		return 0
	fi
	mv "$pd/sources.list.new" "$pd/sources.list"
	t=$(now)
	# shellcheck disable=SC2086
	if ! apt-get $papt -q update > "$pd/update.log" 2>&1 ||
		grep -q '^[EW]: ' "$pd/update.log"; then
		grep '^[EW]: ' "$pd/update.log" | head -n 5
		# A suite whose lists did come is still usable.
		ls "$pd/lists" | grep -q '_Packages' || { echo "apt-get update for $2/$1 failed"; return 1; }
	fi
	touch "$pd/stamp"
	echo "package lists of $2 ($1) fetched in $(since "$t") s"
}
