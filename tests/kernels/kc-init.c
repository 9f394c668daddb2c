/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kc-init: the /init of the arm64 and riscv64 guests of make check-kernels,
 * built statically for the guest's architecture (no busybox of that
 * architecture needed). It speaks the @@KC protocol check-kernels.sh reads
 * from the console (the same lines as the x86 guests' shell /init):
 *   @@KC boot RELEASE, @@KC modfail M, @@KC dmesg LINE, @@KC probe RC,
 *   @@KC begin ID, @@KC| OUTPUT, @@KC end ID RC, @@KC done.
 * Files: /lib/modules/order (modules to insert, in order), /probe (one
 * command line), /cases (NAME<TAB>SHIM<TAB>EXPECT<TAB>COMMAND). A command is
 * split at spaces; leading NAME=VALUE words are added to the environment
 * (PATH=/bin LD_LIBRARY_PATH=/lib), the rest is the program and its
 * arguments. Powers the machine off at the end. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static void off(void)
{
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	_exit(0);
}

/* Run a command line; its output goes out prefixed with "@@KC| ". */
static int run(char *line)
{
	char *argv[32], *envp[40];
	int argc = 0, envc = 0, p[2], st;
	char *tok, *save = NULL, buf[4096];
	FILE *in;
	pid_t pid;

	envp[envc++] = "PATH=/bin";
	envp[envc++] = "LD_LIBRARY_PATH=/lib";
	for (tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		if (argc == 0 && strchr(tok, '=') && envc < 39)
			envp[envc++] = tok;
		else if (argc < 31)
			argv[argc++] = tok;
	}
	argv[argc] = NULL;
	envp[envc] = NULL;
	if (argc == 0 || pipe(p) < 0)
		return 126;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 126;
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		close(p[1]);
		execve(argv[0], argv, envp);
		printf("kc-init: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	in = fdopen(p[0], "r");
	while (in && fgets(buf, sizeof buf, in))
		printf("@@KC| %s%s", buf, strchr(buf, '\n') ? "" : "\n");
	if (in)
		fclose(in);
	if (waitpid(pid, &st, 0) < 0)
		return 126;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The kernel log's lines about KVM, for the report. */
static void kvm_dmesg(void)
{
	char rec[1024];
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	ssize_t n;

	if (fd < 0)
		return;
	while ((n = read(fd, rec, sizeof rec - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		char *msg;

		if (n <= 0)
			continue;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		if (!msg || !strcasestr(msg, "kvm"))
			continue;
		msg++;
		msg[strcspn(msg, "\n")] = '\0';
		printf("@@KC dmesg %s\n", msg);
	}
	close(fd);
}

int main(void)
{
	struct utsname u;
	char line[4096], path[4200];
	FILE *f;
	int id = 0, rc, fd;

	mount("dev", "/dev", "devtmpfs", 0, NULL);
	fd = open("/dev/console", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sys", "/sys", "sysfs", 0, NULL);
	mkdir("/tmp", 01777);
	uname(&u);
	printf("@@KC boot %s\n", u.release);

	f = fopen("/lib/modules/order", "r");
	while (f && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!*line)
			continue;
		snprintf(path, sizeof path, "/lib/modules/%s", line);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST)) {
			printf("@@KC modfail %s (%s)\n", line, strerror(errno));
			off();
		}
		close(fd);
	}
	if (f)
		fclose(f);
	kvm_dmesg();
	if (access("/dev/kvm", F_OK) != 0)
		mknod("/dev/kvm", S_IFCHR | 0600, makedev(10, 232));

	f = fopen("/probe", "r");
	rc = f && fgets(line, sizeof line, f) ? run(line) : 126;
	if (f)
		fclose(f);
	printf("@@KC probe %d\n", rc);
	if (rc != 0)
		off();

	f = fopen("/cases", "r");
	while (f && fgets(line, sizeof line, f)) {
		char *cmd = line;

		for (int tabs = 0; tabs < 3 && cmd; tabs++)
			cmd = strchr(cmd, '\t') ? strchr(cmd, '\t') + 1 : NULL;
		id++;
		printf("@@KC begin %d\n", id);
		rc = cmd ? run(cmd) : 126;
		printf("@@KC end %d %d\n", id, rc);
	}
	if (f)
		fclose(f);
	printf("@@KC done\n");
	off();
	return 0;
}
