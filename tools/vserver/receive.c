// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vserver NAME receive [--from-file FILE | -] [--trust-config] [--send-have]
 * [-q]: make guest NAME of this base from a stream `send` wrote
 * (include/vunify/stream.h).  With --send-have (migrate's receiver, run
 * by ssh), the have-list of this base's store goes to stdout first, and
 * the stream may then leave those objects out.
 *
 * Built in BASE/guests/.receive-NAME-PID (mode 0000, the barrier, as
 * build makes it) and renamed to BASE/guests/NAME only when complete; its
 * unified files are linked into this base's store (each object's id
 * verified first).  On any error, or SIGINT/TERM/HUP, the directory is
 * removed and the store is as it was; what a killed receive left is
 * removed by the next receive of the same NAME.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vunify/cleanup.h"
#include "vunify/stream.h"
#include "build_int.h"
#include "send_int.h"
#include "vserver.h"

/* Remove BASE/guests/.receive-NAME-PID of receives no longer running. */
static void remove_remains(struct vs *vs, const char *guests)
{
	char prefix[128];
	struct dirent *de;
	DIR *d = opendir(guests);

	snprintf(prefix, sizeof(prefix), ".receive-%s-", vs->name);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[PATH_MAX + 300];
		struct vu_err e;
		long pid;
		char *end;

		if (strncmp(de->d_name, prefix, strlen(prefix)))
			continue;
		pid = strtol(de->d_name + strlen(prefix), &end, 10);
		if (*end || pid <= 0 || (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue;
		snprintf(path, sizeof(path), "%s/%s", guests, de->d_name);
		if (vs_rmtree(path, &e) == 0)
			fprintf(stderr, "vserver: %s: removed the remains of an interrupted receive\n",
				path);
	}
	closedir(d);
}

/*
 * The stream's guest.conf is untrusted like the rest of it, but its tree
 * stays behind the barrier and in the guest's context, while the
 * configuration decides what of the host the guest reaches.  It must
 * parse, and what widens the guest's reach into the host (bind mounts of
 * host paths, capabilities kept, no seccomp filter, the host's network) is
 * taken only when the operator says so (--trust-config).
 */
struct conf_check {
	struct vs *vs;
	bool trust;
};

static int check_conf(void *arg, const void *conf, size_t len, struct vu_err *e)
{
	struct vs *vs = ((struct conf_check *)arg)->vs;
	bool trust = ((struct conf_check *)arg)->trust;
	struct vu_gconf c;
	FILE *f = fmemopen((void *)conf, len ? len : 1, "r");
	const char *what = NULL;
	int r;

	if (!f)
		return vu_err_set(e, errno, "guest.conf");
	vu_gconf_defaults(&c, vs->name);
	r = len ? vu_gconf_parse(&c, f, "the stream's guest.conf", e) : 0;
	fclose(f);
	if (r < 0)
		return -1;
	if (c.n_mounts)
		what = "[mounts] of host paths";
	else if (c.cap_keep)
		what = "[security] cap_keep";
	else if (!c.seccomp)
		what = "[security] seccomp = no";
	else if (c.net_mode == VU_NET_HOST)
		what = "[network] mode = host";
	vu_gconf_free(&c);
	if (what && !trust)
		return vu_err_set(e, 0, "the stream's guest.conf asks for %s: receive it with "
				  "--trust-config if that is meant", what);
	return 0;
}

static int write_conf(int dirfd, const void *conf, size_t len, struct vu_err *e)
{
	_cleanup_close_ int fd = openat(dirfd, "guest.conf", O_WRONLY | O_CREAT | O_EXCL |
					O_NOFOLLOW | O_CLOEXEC, 0644);
	const char *p = conf;

	if (fd < 0)
		return vu_err_set(e, errno, "guest.conf");
	while (len) {
		ssize_t k = write(fd, p, len);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return vu_err_set(e, errno, "guest.conf");
		p += k;
		len -= (size_t)k;
	}
	if (fsync(fd) < 0)
		return vu_err_set(e, errno, "guest.conf");
	return 0;
}

int vs_receive(struct vs *vs)
{
	const char *file = NULL;
	bool quiet = false, trust = false, send_have = false;
	int basefd = -1;
	char guests[PATH_MAX + 16], tmp[PATH_MAX + 64];
	struct conf_check cc = { .vs = vs };
	struct vu_stream_recv_opts o = { .stop = &vs_build_signal, .need_conf = true,
					 .check_conf = check_conf, .arg = &cc };
	struct vu_stream_stats st;
	struct vu_session sess;
	bool have_sess = false, made = false;
	_cleanup_close_ int dfd = -1;
	int in = STDIN_FILENO, rc;
	struct vu_err e;
	struct stat sb;

	for (int i = 1; i < vs->argc; i++) {
		if (!strcmp(vs->argv[i], "-q") || !strcmp(vs->argv[i], "--quiet"))
			quiet = true;
		else if (!strcmp(vs->argv[i], "--trust-config"))
			trust = true;
		else if (!strcmp(vs->argv[i], "--send-have"))
			send_have = true;
		else if (!strcmp(vs->argv[i], "--incremental-from") && i + 1 < vs->argc)
			o.base_name = vs->argv[++i];
		else if (!strcmp(vs->argv[i], "--from-file") && i + 1 < vs->argc)
			file = vs->argv[++i];
		else if (!strcmp(vs->argv[i], "-"))
			file = NULL;
		else
			return vs_failf(vs, VS_USAGE, "receive: unexpected argument '%s' (receive "
					"[--from-file FILE | -] [--incremental-from SNAP] [--trust-config] [-q])",
					vs->argv[i]);
	}
	cc.trust = trust;
	if (lstat(vs->l.guest, &sb) == 0)
		return vs_failf(vs, VS_FAIL, "%s already exists", vs->l.guest);
	if (!file && isatty(STDIN_FILENO))
		return vs_failf(vs, VS_USAGE, "receive: not reading a stream from a terminal (use "
				"--from-file FILE or a pipe)");
	if (vu_key_init(&e) < 0)
		return vs_fail(vs, VS_USAGE, &e);
	if (o.base_name && (rc = vs_base_guest_open(vs, o.base_name, &basefd)) != VS_OK)
		return rc;
	o.basefd = basefd;
	if (file) {
		in = open(file, O_RDONLY | O_CLOEXEC);
		if (in < 0) {
			rc = vs_failf(vs, VS_FAIL, "%s: %s", file, strerror(errno));
			goto out;
		}
	}
	snprintf(guests, sizeof(guests), "%s/guests", vs->base);
	if ((mkdir(vs->base, 0755) < 0 && errno != EEXIST) ||
	    (mkdir(guests, 0755) < 0 && errno != EEXIST)) {
		rc = vs_failf(vs, VS_FAIL, "%s: %s", guests, strerror(errno));
		goto out;
	}
	remove_remains(vs, guests);
	vs_build_catch_signals();
	if (vu_session_open(&sess, vs->l.store, VU_SESSION_WRITE, NULL, &e) < 0) {
		rc = vs_fail(vs, VS_FAIL, &e);
		goto out;
	}
	have_sess = true;
	if (send_have) {
		/* Before the stream: the sender leaves out what is listed.
		 * stdout is closed after it, so the sender sees its end. */
		if (vu_have_write(&sess.store, STDOUT_FILENO, &e) < 0) {
			rc = vs_fail(vs, VS_FAIL, &e);
			goto out;
		}
		o.objects_from_store = true;
	}
	/* The barrier first (vserver(8), BARRIER): mode 0000, root passes. */
	snprintf(tmp, sizeof(tmp), "%s/.receive-%s-%ld", guests, vs->name, (long)getpid());
	if (mkdir(tmp, 0) < 0) {
		rc = vs_failf(vs, VS_FAIL, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	made = true;
	dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		vu_err_set(&e, errno, "%s", tmp);
		goto fail;
	}
	if (vu_stream_receive(in, dfd, "root", &sess, &o, &st, &e) < 0)
		goto fail;
	if (write_conf(dfd, o.conf, o.conflen, &e) < 0)
		goto fail;
	if (vs_build_signal)
		goto fail;
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, vs->l.guest, RENAME_NOREPLACE) < 0) {
		vu_err_set(&e, errno, "%s", vs->l.guest);
		goto fail;
	}
	made = false;
	if (!quiet)
		fprintf(stderr, "vserver: %s: received %llu inodes, %llu private files (%llu bytes), "
			"%llu unified names: %llu objects the store had, %llu new (%llu bytes "
			"received)%s: %llu bytes\n", vs->name, (unsigned long long)st.inodes,
			(unsigned long long)st.files, (unsigned long long)st.file_bytes,
			(unsigned long long)st.unified, (unsigned long long)st.objects_had,
			(unsigned long long)st.objects_new, (unsigned long long)st.object_bytes,
			st.base_files ? ", the other private files from the base" : "",
			(unsigned long long)st.bytes);
	rc = VS_OK;
	goto out;
fail:
	if (vs_build_signal)
		vu_err_set(&e, 0, "interrupted (%s)", strsignal(vs_build_signal));
	rc = vs_fail(vs, vs_build_signal ? 128 + vs_build_signal : VS_FAIL, &e);
out:
	if (made) {
		struct vu_err e2;

		if (vs_rmtree(tmp, &e2) < 0)
			vs_fail(vs, VS_FAIL, &e2);
	}
	free(o.conf);
	if (have_sess)
		vu_session_close(&sess);
	if (file && in >= 0)
		close(in);
	if (basefd >= 0)
		close(basefd);
	return rc;
}
