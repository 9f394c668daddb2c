# SPDX-License-Identifier: LGPL-2.1-or-later
# The +libvirt case of make check-kernels (tests/kernels/check-kernels.sh),
# run by the guest's /init (busybox sh) inside a Debian kernel whose
# /dev/kvm works (nested SVM): tests/libvirt/check-libvirt.sh, the very
# script of `make check-libvirt`, with its type='kvm' leg required. The
# guest has no libvirt of its own: the host's root comes in read-only over
# virtio-9p (mount tag "hostroot", QEMU's -virtfs), a tmpfs overlay makes
# it writable, and the script runs chrooted there, so libvirtd, virsh, QEMU
# and the build tree are the host's own, as installed. /libvirt/env names
# the source and build trees and the library (absolute host paths).
# Exit: check-libvirt.sh's (0: every case ok, none skipped).
. /libvirt/env
t0=$(date +%s)
r=/newroot
mkdir -p /host /rw $r || exit 1
# The modules (9p, 9pnet_virtio, overlay) came with the kernel's initramfs.
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 hostroot /host ||
	{ echo "cannot mount the host's root (9p)"; exit 1; }
mount -t tmpfs -o mode=755 tmpfs /rw && mkdir -p /rw/upper /rw/work &&
	mount -t overlay overlay -o lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work $r ||
	{ echo "cannot mount the overlay"; exit 1; }
mount -t proc proc $r/proc && mount -t sysfs sys $r/sys && mount --bind /dev $r/dev || exit 1
mkdir -p $r/dev/pts $r/dev/shm
mount -t devpts devpts $r/dev/pts; mount -t tmpfs tmpfs $r/dev/shm
# A fresh /run (no stale sockets or pid files of the host's daemons) and
# capability cache (the host's was probed where /dev/kvm cannot run guests).
mount -t tmpfs -o mode=755 tmpfs $r/run && mkdir -p $r/run/lock || exit 1
[ -d $r/var/cache/libvirt ] && mount -t tmpfs -o mode=755 tmpfs $r/var/cache/libvirt
# libvirt's QEMU driver without what this guest lacks: no systemd, dbus,
# cgroups, virtlogd or security modules; QEMU as root without a mount
# namespace (qemu.conf).
cat > $r/etc/libvirt/qemu.conf <<CONF
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
namespaces = [ ]
cgroup_controllers = [ ]
stdio_handler = "file"
CONF
rm -f $r/etc/libvirt/qemu/networks/autostart/*.xml
# libvirtd probes every QEMU emulator it finds when it starts (qemu driver
# state init: virQEMUCapsInit, one QMP probe per binary and architecture);
# each read over 9p and run under nested TCG takes long, and the domains
# need x86_64 only: hide the others (whiteouts in the overlay).
for f in $r/usr/bin/qemu-system-*; do
	[ "$f" = $r/usr/bin/qemu-system-x86_64 ] || rm -f "$f"
done
echo "host root over 9p, overlay on tmpfs; $(chroot $r /usr/sbin/libvirtd --version)"
chroot $r /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/root TMPDIR=/tmp KC_SRCDIR="$KC_SRCDIR" KC_BUILDDIR="$KC_BUILDDIR" KC_LIB="$KC_LIB" \
	KC_LIBVIRT_NEED_KVM=1 sh "$KC_SRCDIR/tests/libvirt/check-libvirt.sh" > /tmp/libvirt.tap 2>&1
rc=$?
cat /tmp/libvirt.tap
echo "check-libvirt in the guest: exit $rc in $(($(date +%s) - t0)) s"
grep -q '^not ok' /tmp/libvirt.tap && rc=1
grep -q '# SKIP' /tmp/libvirt.tap && { echo "a case was skipped: the kvm leg must run in full here"; rc=1; }
exit $rc
