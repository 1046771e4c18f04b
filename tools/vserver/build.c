// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vserver NAME build [--template NAME|DIR]: create BASE/guests/NAME with a
 * guest.conf and a root: a vclone of the template (another guest's root, or
 * a directory), or empty.  Nothing is left behind if it fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vserver.h"

static int find_vclone(char out[PATH_MAX])
{
	char self[PATH_MAX], *path, *copy, *save = NULL;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = 0;
		snprintf(out, PATH_MAX, "%s/vclone", dirname(self));
		if (access(out, X_OK) == 0)
			return 0;
	}
	path = getenv("PATH");
	copy = strdup(path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
	for (char *d = copy ? strtok_r(copy, ":", &save) : NULL; d; d = strtok_r(NULL, ":", &save)) {
		snprintf(out, PATH_MAX, "%s/vclone", d);
		if (d[0] == '/' && access(out, X_OK) == 0) {
			free(copy);
			return 0;
		}
	}
	free(copy);
	return -1;
}

static int write_conf(struct vs *vs, const char *from, struct vu_err *e)
{
	int fd = open(vs->l.conf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	FILE *f;

	if (fd < 0)
		return vu_err_set(e, errno, "%s", vs->l.conf);
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return vu_err_set(e, errno, "%s", vs->l.conf);
	}
	fprintf(f,
		"# guest.conf of %s%s%s; every key is described in vserver(8).\n"
		"[guest]\n"
		"hostname = %s\n"
		"# init = /sbin/init\n"
		"# stop_signal = SIGINT\n"
		"# stop_timeout = 30\n"
		"\n"
		"[limits]\n"
		"# memory = 512M\n"
		"# pids = 1024\n"
		"# cpu_weight = 100\n"
		"# cpu_quota = 200%%\n"
		"# io_weight = 100\n"
		"# io_write_bps = /dev/sda 50M\n"
		"# disk = 10G\n"
		"# inodes = 200000\n"
		"\n"
		"[network]\n"
		"mode = none\n"
		"# mode = veth\n"
		"# address = 10.0.0.2/24\n"
		"# host_address = 10.0.0.1/24\n"
		"# gateway = 10.0.0.1\n"
		"\n"
		"[security]\n"
		"# cap_keep = net_admin\n"
		"# cap_drop = net_raw\n"
		"# seccomp = yes\n"
		"\n"
		"[mounts]\n"
		"# /srv/data = /srv/shared/data ro\n",
		vs->name, from ? ", built from " : "", from ? from : "", vs->name);
	if (fclose(f) != 0)
		return vu_err_set(e, errno, "%s", vs->l.conf);
	return 0;
}

static int run_vclone(struct vs *vs, const char *src, struct vu_err *e)
{
	char bin[PATH_MAX];
	int status;
	pid_t pid;

	if (find_vclone(bin) < 0)
		return vu_err_set(e, ENOENT, "vclone: not found next to vserver nor in $PATH");
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return vu_err_set(e, errno, "fork");
	if (pid == 0) {
		execl(bin, "vclone", "--quiet", "--store", vs->l.store, src, vs->l.root, (char *)NULL);
		fprintf(stderr, "vserver: %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return vu_err_set(e, errno, "waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return vu_err_set(e, 0, "vclone %s %s failed", src, vs->l.root);
	return 0;
}

int vs_build(struct vs *vs)
{
	const char *tmpl = NULL;
	char src[PATH_MAX], guests[PATH_MAX + 16];
	struct vu_err e;
	struct stat st;

	for (int i = 1; i < vs->argc; i++) {
		if ((!strcmp(vs->argv[i], "--template") || !strcmp(vs->argv[i], "-t")) &&
		    i + 1 < vs->argc)
			tmpl = vs->argv[++i];
		else if (!strncmp(vs->argv[i], "--template=", 11))
			tmpl = vs->argv[i] + 11;
		else
			return vs_failf(vs, VS_USAGE, "build: unknown argument '%s'", vs->argv[i]);
	}
	if (lstat(vs->l.guest, &st) == 0)
		return vs_failf(vs, VS_FAIL, "%s already exists", vs->l.guest);
	if (tmpl) {
		if (strchr(tmpl, '/')) {
			if (!realpath(tmpl, src))
				return vs_failf(vs, VS_FAIL, "template %s: %s", tmpl, strerror(errno));
		} else {
			struct vu_layout t;

			if (vu_layout_init(&t, vs->base, tmpl, &e) < 0)
				return vs_fail(vs, VS_USAGE, &e);
			if (!vu_layout_exists(&t))
				return vs_failf(vs, VS_NOGUEST, "template: no such guest '%s'", tmpl);
			snprintf(src, sizeof(src), "%s", t.root);
		}
		if (stat(src, &st) < 0 || !S_ISDIR(st.st_mode))
			return vs_failf(vs, VS_FAIL, "template %s: not a directory", src);
	}

	snprintf(guests, sizeof(guests), "%s/guests", vs->base);
	if ((mkdir(vs->base, 0755) < 0 && errno != EEXIST) ||
	    (mkdir(guests, 0755) < 0 && errno != EEXIST))
		return vs_failf(vs, VS_FAIL, "%s: %s", guests, strerror(errno));
	if (mkdir(vs->l.store, 0700) < 0 && errno != EEXIST)
		return vs_failf(vs, VS_FAIL, "%s: %s", vs->l.store, strerror(errno));
	/* Mode 0000: the barrier between host users and the guest tree
	 * (vserver(8), BARRIER).  Root passes it; guest.conf stays root's. */
	if (mkdir(vs->l.guest, 0) < 0)
		return vs_failf(vs, VS_FAIL, "%s: %s", vs->l.guest, strerror(errno));
	if (tmpl ? run_vclone(vs, src, &e) < 0 :
	    (mkdir(vs->l.root, 0755) < 0 ? vu_err_set(&e, errno, "%s", vs->l.root) : 0) < 0)
		goto fail;
	if (write_conf(vs, tmpl, &e) < 0)
		goto fail;
	return VS_OK;
fail:
	{
		struct vu_err e2;

		if (vs_rmtree(vs->l.guest, &e2) < 0)
			vs_fail(vs, VS_FAIL, &e2);
	}
	return vs_fail(vs, VS_FAIL, &e);
}
