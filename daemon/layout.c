// SPDX-License-Identifier: GPL-2.0-or-later
/* Guest paths and the running lock: see include/vsupervisor/layout.h. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vunify/cleanup.h"
#include "vsupervisor/guestconf.h"
#include "vsupervisor/layout.h"

int vu_layout_base(char out[PATH_MAX], const char *opt, struct vu_err *e)
{
	const char *b = opt;
	char cwd[PATH_MAX - 256];

	if (!b || !*b)
		b = getenv("VUNIFY_BASE");
	if (!b || !*b)
		b = VU_BASE_DEFAULT;
	if (b[0] == '/') {
		if (strlen(b) >= PATH_MAX - 128)
			return vu_err_set(e, ENAMETOOLONG, "%s", b);
		snprintf(out, PATH_MAX, "%s", b);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return vu_err_set(e, errno, "getcwd");
		size_t cl = strlen(cwd), bl = strlen(b);

		if (cl + 1 + bl >= PATH_MAX - 128)
			return vu_err_set(e, ENAMETOOLONG, "%s", b);
		memcpy(out, cwd, cl);
		out[cl] = '/';
		memcpy(out + cl + 1, b, bl + 1);
	}
	/* Drop trailing slashes, so that messages look right. */
	for (size_t n = strlen(out); n > 1 && out[n - 1] == '/'; n--)
		out[n - 1] = 0;
	return 0;
}

const char *vu_layout_rundir(void)
{
	const char *r = getenv("VUNIFY_RUNDIR");

	return r && r[0] == '/' ? r : VU_RUNDIR_DEFAULT;
}

const char *vu_layout_logdir(void)
{
	const char *r = getenv("VUNIFY_LOGDIR");

	return r && r[0] == '/' ? r : VU_LOGDIR_DEFAULT;
}

unsigned long long vu_layout_base_hash(const char *base)
{
	unsigned long long h = 14695981039346656037ull;
	char real[PATH_MAX];

	if (realpath(base, real))
		base = real;
	for (const char *p = base; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return h;
}

void vu_layout_key(const char *base, char out[VU_LAYOUT_KEYSZ])
{
	const char *last = strrchr(base, '/');
	char word[17];
	size_t n = 0;

	/* The readable half only tells bases apart for a human; the hash
	 * does it for the machine. */
	for (const char *p = last ? last + 1 : base; *p && n < sizeof(word) - 1; p++)
		word[n++] = isalnum((unsigned char)*p) || strchr("._-", *p) ? *p : '_';
	word[n] = 0;
	if (!n || word[0] == '.')
		snprintf(word, sizeof(word), "base");
	snprintf(out, VU_LAYOUT_KEYSZ, "%s-%08llx", word, vu_layout_base_hash(base) >> 32);
}

int vu_layout_init(struct vu_layout *l, const char *base, const char *name, struct vu_err *e)
{
	const char *run = vu_layout_rundir(), *log = vu_layout_logdir();
	char k[VU_LAYOUT_KEYSZ];

	memset(l, 0, sizeof(*l));
	if (!vu_guest_name_valid(name))
		return vu_err_set(e, EINVAL, "'%s' is not a valid guest name "
				  "(letters, digits, '.', '_', '-'; at most 63)", name);
	if (strlen(base) > PATH_MAX - 128 || strlen(run) > PATH_MAX - 128 ||
	    strlen(log) > PATH_MAX - 128)
		return vu_err_set(e, ENAMETOOLONG, "%s", base);
	vu_layout_key(base, k);
	/* Every path from base, run, key and name, never from another field. */
	snprintf(l->name, sizeof(l->name), "%s", name);
	snprintf(l->key, sizeof(l->key), "%s", k);
	snprintf(l->base, sizeof(l->base), "%s", base);
	snprintf(l->store, sizeof(l->store), "%s/store", base);
	snprintf(l->guest, sizeof(l->guest), "%s/guests/%s", base, name);
	snprintf(l->root, sizeof(l->root), "%s/guests/%s/root", base, name);
	snprintf(l->conf, sizeof(l->conf), "%s/guests/%s/guest.conf", base, name);
	snprintf(l->run, sizeof(l->run), "%s/%s/%s", run, k, name);
	snprintf(l->lock, sizeof(l->lock), "%s/%s/%s/lock", run, k, name);
	snprintf(l->sock, sizeof(l->sock), "%s/%s/%s/sock", run, k, name);
	snprintf(l->state, sizeof(l->state), "%s/%s/%s/state", run, k, name);
	snprintf(l->logdir, sizeof(l->logdir), "%s/%s/%s", log, k, name);
	snprintf(l->console, sizeof(l->console), "%s/%s/%s/console.log", log, k, name);
	snprintf(l->log, sizeof(l->log), "%s/%s/%s/supervisor.log", log, k, name);
	snprintf(l->mnt, sizeof(l->mnt), "%s/%s/%s/root", run, k, name);
	return 0;
}

bool vu_layout_exists(const struct vu_layout *l)
{
	struct stat st;

	return lstat(l->guest, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Does directory @st stop every user but root?  Its group and others may
 * not search it, and it must be root's (an owner could chmod it).  With an
 * ACL the group bits are the mask, which bounds every named entry too. */
static bool is_barrier(const struct stat *st)
{
	return S_ISDIR(st->st_mode) && st->st_uid == 0 && !(st->st_mode & (S_IXGRP | S_IXOTH));
}

int vu_layout_check_barrier(const struct vu_layout *l, struct vu_err *e)
{
	char real[PATH_MAX];
	struct stat st;

	/* The directories that count are the host's, down to the guest's
	 * own: the root and below are the guest's to chmod. */
	if (!realpath(l->guest, real))
		return vu_err_set(e, errno, "%s", l->guest);
	for (char *p = real;; p++) {
		char c = *p;

		if (c != '/' && c != 0)
			continue;
		*p = 0;
		if (stat(p == real ? "/" : real, &st) < 0)
			return vu_err_set(e, errno, "%s", p == real ? "/" : real);
		*p = c;
		if (is_barrier(&st))
			return 0;
		if (!c)
			break;
	}
	vu_err_set(e, 0, "%s lets other users reach the guest tree; chmod 000 it "
		   "(see vserver(8), BARRIER)", l->guest);
	e->code = EACCES;
	return -1;
}

/*
 * A runtime directory of ours, private to root: running guests' trees are
 * mounted below it, with the setuid binaries their roots made, so a host
 * user who could reach it could become root.  One that was there before
 * (made by hand, by mkdir -p, by an older version) is made private too;
 * one that is a symlink or not root's is refused.
 */
static int mkrun_private(const char *dir, struct vu_err *e)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return vu_err_set(e, errno, "%s", dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return vu_err_set(e, errno, "%s", dir);
	if (st.st_uid != 0)
		return vu_err_set(e, EPERM, "%s: not owned by root", dir);
	if ((st.st_mode & 077) && fchmod(fd, st.st_mode & 07700) < 0)
		return vu_err_set(e, errno, "%s: making it private", dir);
	return 0;
}

int vu_layout_mkrun(const struct vu_layout *l, struct vu_err *e)
{
	char runkey[PATH_MAX], logkey[PATH_MAX];

	snprintf(runkey, sizeof(runkey), "%s/%s", vu_layout_rundir(), l->key);
	snprintf(logkey, sizeof(logkey), "%s/%s", vu_layout_logdir(), l->key);
	if (mkrun_private(vu_layout_rundir(), e) < 0 || mkrun_private(runkey, e) < 0 ||
	    mkrun_private(l->run, e) < 0)
		return -1;
	/* Private too: a console log holds what the guest printed. */
	if (mkrun_private(vu_layout_logdir(), e) < 0 || mkrun_private(logkey, e) < 0)
		return -1;
	return mkrun_private(l->logdir, e);
}

int vu_layout_lock(const struct vu_layout *l, struct vu_err *e)
{
	_cleanup_close_ int fd = -1;

	fd = open(l->lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return vu_err_set(e, errno, "%s", l->lock);
	/* vu_layout_running() takes the lock shared for a moment: a few
	 * quick retries tell that apart from a supervisor holding it. */
	for (int i = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; i++) {
		struct timespec ts = { 0, 5000000L };

		if (errno != EWOULDBLOCK || i == 10)
			return vu_err_set(e, errno, "%s", l->lock);
		nanosleep(&ts, NULL);
	}
	return vu_steal_fd(&fd);
}

bool vu_layout_running(const struct vu_layout *l)
{
	_cleanup_close_ int fd = open(l->lock, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return false;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0)
		return errno == EWOULDBLOCK;
	return false;
}
