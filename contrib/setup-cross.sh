#!/bin/sh
# Installs what `make check-cross` needs on Debian bookworm, as root: the
# cross compilers (each with its architecture's libc and kernel headers),
# qemu-user, and Check for each target through multiarch. Idempotent: does
# nothing when everything is there. Uses only the configured Debian suites.
#
# riscv64 is not a release architecture of bookworm (no binary-riscv64 in
# the archive), so there is no check:riscv64: check-cross builds the riscv64
# unit tests against a minimal Check-compatible runner of its own instead.
set -eu
cross="aarch64-linux-gnu:arm64 powerpc64le-linux-gnu:ppc64el riscv64-linux-gnu:riscv64 s390x-linux-gnu:s390x mips64el-linux-gnuabi64:mips64el"
multiarch="arm64 ppc64el s390x mips64el"   # architectures with Check in the archive

pkgs="qemu-user check pkg-config make"
for t in $cross; do pkgs="$pkgs gcc-${t%%:*}"; done
for a in $multiarch; do pkgs="$pkgs check:$a"; done

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }

missing=
for p in $pkgs; do installed "$p" || missing="$missing $p"; done
[ -z "$missing" ] && { echo "setup-cross: everything is installed"; exit 0; }
if [ "$(id -u)" -ne 0 ]; then
	echo "setup-cross: missing:$missing; run this script as root" >&2
	exit 1
fi

have_archs=$(dpkg --print-foreign-architectures)
added=
for a in $multiarch; do
	case " $(printf "%s " $have_archs)" in *" $a "*) ;; *) dpkg --add-architecture "$a"; added="$added $a" ;; esac
done
[ -n "$added" ] && echo "setup-cross: added architectures$added"
echo "setup-cross: installing$missing"
# A mirror in mid-sync can fail one index: retry, then go on with what
# was fetched (the install below says whether that was enough).
for try in 1 2 3; do
	apt-get update -q && break
	echo "setup-cross: apt-get update failed (try $try)" >&2
	[ "$try" -lt 3 ] && sleep 10
done
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
for p in $pkgs; do installed "$p" || { echo "setup-cross: $p did not install" >&2; exit 1; }; done
echo "setup-cross: done"
