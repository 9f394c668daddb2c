/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qemu-helper: what tests/qemu.test needs besides QEMU and a shell.
 *   qemu-helper image FILE          write the guest's 64 KiB -bios image
 *   qemu-helper vmport FILE         write the VMware-backdoor -bios image
 *                                   (tests/qemu/vmport.S)
 *   qemu-helper qmp SOCKET CMD...   connect to a QMP unix socket, negotiate,
 *                                   send each CMD (a JSON object), print each
 *                                   reply; exit 1 on an error reply
 * Events are skipped. Only a unix socket is used.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

extern const unsigned char qemu_guest_start[], qemu_guest_end[];
extern const unsigned char qemu_vmport_start[], qemu_vmport_end[];

static char buf[65536];
static size_t have;

/* One line from the socket (QMP sends one JSON object per line). */
static char *read_line(int fd)
{
	static char line[65536];
	for (;;) {
		char *nl = memchr(buf, '\n', have);
		if (nl) {
			size_t n = (size_t)(nl - buf);
			if (n >= sizeof(line)) n = sizeof(line) - 1;
			memcpy(line, buf, n);
			line[n] = 0;
			have -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, have);
			return line;
		}
		if (have == sizeof(buf)) have = 0;
		ssize_t r = read(fd, buf + have, sizeof(buf) - have);
		if (r < 0 && errno == EINTR) continue;
		if (r <= 0) return NULL;
		have += (size_t)r;
	}
}

/* The reply to the command just sent: the next line that is not an event. */
static char *reply(int fd)
{
	char *l;
	while ((l = read_line(fd)) && strstr(l, "\"event\"") && !strstr(l, "\"return\""))
		;
	return l;
}

static int send_all(int fd, const char *s)
{
	size_t n = strlen(s);
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR) continue;
		if (w <= 0) return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static int qmp(const char *path, int ncmd, char **cmd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), status = 0;
	char *l;

	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "qemu-helper: bad socket %s\n", path);
		return 2;
	}
	strcpy(sa.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "qemu-helper: connect %s: %s\n", path, strerror(errno));
		return 2;
	}
	if (!(l = read_line(fd)) || !strstr(l, "\"QMP\"")) {
		fprintf(stderr, "qemu-helper: no QMP greeting\n");
		return 2;
	}
	if (send_all(fd, "{\"execute\":\"qmp_capabilities\"}\n") || !(l = reply(fd)) ||
	    !strstr(l, "\"return\"")) {
		fprintf(stderr, "qemu-helper: qmp_capabilities failed: %s\n", l ? l : "(closed)");
		return 2;
	}
	for (int i = 0; i < ncmd; i++) {
		if (send_all(fd, cmd[i]) || send_all(fd, "\n") || !(l = reply(fd))) {
			fprintf(stderr, "qemu-helper: no reply to %s\n", cmd[i]);
			return 2;
		}
		printf("%s\n", l);
		if (!strstr(l, "\"return\"")) status = 1;
	}
	close(fd);
	return status;
}

int main(int argc, char **argv)
{
	if (argc == 3 && (!strcmp(argv[1], "image") || !strcmp(argv[1], "vmport"))) {
		int vmport = !strcmp(argv[1], "vmport");
		const unsigned char *start = vmport ? qemu_vmport_start : qemu_guest_start;
		size_t n = (size_t)((vmport ? qemu_vmport_end : qemu_guest_end) - start);
		FILE *f = fopen(argv[2], "wb");
		if (!f || fwrite(start, 1, n, f) != n || fclose(f)) {
			perror(argv[2]);
			return 2;
		}
		return 0;
	}
	if (argc >= 4 && !strcmp(argv[1], "qmp"))
		return qmp(argv[2], argc - 3, argv + 3);
	fprintf(stderr, "usage: qemu-helper image|vmport FILE | qemu-helper qmp SOCKET JSON...\n");
	return 2;
}
