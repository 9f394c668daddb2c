#!/bin/sh
# Build libkvmcompl and run the built-in demonstration on real KVM.
set -eu
cd "$(dirname "$0")/.."
sh contrib/setup-deps.sh
[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure -q
make -s -j"$(nproc)"
make -s demo
