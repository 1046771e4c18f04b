// SPDX-License-Identifier: GPL-2.0-or-later
/* A walk of any depth in bounded descriptors: see include/vunify/deepwalk.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vunify/deepwalk.h"
#include "vunify/meta.h"

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/* Open directory @name of @dirfd for reading without moving its atime
 * (O_NOATIME needs the owner or CAP_FOWNER: else without). */
static int open_dir(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, DIR_FLAGS | O_NOATIME);

	if (fd < 0 && errno == EPERM)
		fd = openat(dirfd, name, DIR_FLAGS);
	return fd;
}

/* A subdirectory still to be entered. */
struct pend {
	ino_t ino;
	char *name;
};

/* One directory on the way down from the top. */
struct frame {
	ino_t ino;
	struct pend *subs;
	size_t n, next, cap;        /* subs[next - 1] is the one entered */
};

struct walk {
	const char *top;
	dev_t dev;
	uint64_t mnt;               /* the top's mount id, 0 if unknown */
	struct frame *st;
	size_t depth, cap;
	const struct vu_dwalk_ops *ops;
	void *arg;
};

/* Is @name (a directory, stat'ed as @st) a mount point in the tree? */
static bool mount_point(const struct walk *w, int dirfd, const char *name, const struct stat *st)
{
	uint64_t id;

	if (st->st_dev != w->dev)
		return true;
	id = w->mnt ? vu_meta_mount_id(dirfd, name) : 0;
	return id && id != w->mnt;
}

static void frame_free(struct frame *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->subs[i].name);
	free(f->subs);
	memset(f, 0, sizeof(*f));
}

static int push(struct walk *w, ino_t ino)
{
	if (w->depth == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		struct frame *st = realloc(w->st, cap * sizeof(*st));

		if (!st)
			return -ENOMEM;
		w->st = st;
		w->cap = cap;
	}
	memset(&w->st[w->depth], 0, sizeof(w->st[0]));
	w->st[w->depth++].ino = ino;
	return 0;
}

static int pend_add(struct frame *f, ino_t ino, const char *name)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 8;
		struct pend *subs = realloc(f->subs, cap * sizeof(*subs));

		if (!subs)
			return -ENOMEM;
		f->subs = subs;
		f->cap = cap;
	}
	f->subs[f->n].name = strdup(name);
	if (!f->subs[f->n].name)
		return -ENOMEM;
	f->subs[f->n++].ino = ino;
	return 0;
}

/* The path of the directory the walk is in, for messages: the top, then
 * as many of the deepest components as fit, "..." for the rest. */
static void where(const struct walk *w, char *buf, size_t len)
{
	size_t budget = len / 4, used = 0, from = w->depth;

	while (from > 1) {
		const struct frame *f = &w->st[from - 2];
		size_t l = strlen(f->subs[f->next - 1].name) + 1;

		if (used + l > budget)
			break;
		used += l;
		from--;
	}
	snprintf(buf, len, "%s%s", w->top, from > 1 ? "/..." : "");
	for (size_t i = from; i < w->depth; i++) {
		const struct frame *f = &w->st[i - 1];
		size_t at = strlen(buf);

		snprintf(buf + at, len - at, "/%s", f->subs[f->next - 1].name);
	}
}

static int fail(const struct walk *w, int err, const char *name, struct vu_err *e)
{
	char dir[600];

	where(w, dir, sizeof(dir));
	if (err == EXDEV) {
		vu_err_set(e, 0, "%s/%s: a mount point", dir, name);
		e->code = EXDEV;
		return -1;
	}
	return vu_err_set(e, err, "%s%s%s (depth %zu)", dir, name ? "/" : "", name ? name : "",
			  w->depth - 1);
}

/* Read directory @fd (the deepest frame) whole: every entry to @entry,
 * those to enter into the frame. */
static int read_dir(struct walk *w, int fd, struct vu_err *e)
{
	struct frame *f = &w->st[w->depth - 1];
	int rfd = fcntl(fd, F_DUPFD_CLOEXEC, 3), r = 0;
	struct dirent *de;
	DIR *d;

	if (rfd < 0)
		return fail(w, errno, NULL, e);
	d = fdopendir(rfd);
	if (!d) {
		close(rfd);
		return fail(w, errno, NULL, e);
	}
	while (r == 0 && (errno = 0, de = readdir(d))) {
		struct stat st;
		bool mp;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT)        /* gone meanwhile: nothing to do */
				r = fail(w, errno, de->d_name, e);
			continue;
		}
		mp = S_ISDIR(st.st_mode) && mount_point(w, fd, de->d_name, &st);
		r = w->ops->entry(fd, de->d_name, &st, mp, w->arg);
		if (r > 0 && S_ISDIR(st.st_mode))
			r = mp ? -EXDEV : pend_add(f, st.st_ino, de->d_name);
		else if (r > 0)
			r = 0;
		if (r < 0)
			r = fail(w, -r, de->d_name, e);
	}
	if (r == 0 && errno)
		r = fail(w, errno, NULL, e);
	closedir(d);
	return r;
}

/* From directory *@fd into its next subdirectory to visit. */
static int down(struct walk *w, int *fd, struct vu_err *e)
{
	struct frame *f = &w->st[w->depth - 1];
	const struct pend *p = &f->subs[f->next++];
	struct stat st;
	int sub = open_dir(*fd, p->name);

	if (sub < 0)
		return fail(w, errno, p->name, e);
	errno = 0;
	if (fstat(sub, &st) < 0 || st.st_dev != w->dev || st.st_ino != p->ino ||
	    (w->mnt && vu_meta_mount_id(sub, "") != w->mnt)) {
		/* Swapped since it was read: not the directory we saw. */
		int err = errno ? errno : ESTALE;

		close(sub);
		return fail(w, err, p->name, e);
	}
	close(*fd);
	*fd = sub;
	if (push(w, st.st_ino) < 0)
		return fail(w, ENOMEM, NULL, e);
	return read_dir(w, sub, e);
}

/* Back from directory *@fd, done with, to its parent; then @leave. */
static int up(struct walk *w, int *fd, struct vu_err *e)
{
	const struct frame *parent = &w->st[w->depth - 2];
	const char *name = parent->subs[parent->next - 1].name;
	struct stat st;
	int par, r;

	errno = 0;
	par = openat(*fd, "..", DIR_FLAGS);
	if (par < 0 || fstat(par, &st) < 0 || st.st_dev != w->dev || st.st_ino != parent->ino) {
		/* Moved away while we were inside: not a way to follow. */
		r = errno ? errno : ESTALE;
		if (par >= 0)
			close(par);
		return fail(w, r, NULL, e);
	}
	close(*fd);
	*fd = par;
	frame_free(&w->st[--w->depth]);
	if (w->ops->leave && (r = w->ops->leave(par, name, w->arg)) < 0)
		return fail(w, -r, name, e);
	return 0;
}

int vu_dwalk_fd(int topfd, const char *label, const struct vu_dwalk_ops *ops, void *arg,
		struct vu_err *e)
{
	struct walk w = { .top = label, .ops = ops, .arg = arg };
	struct stat st;
	int fd, r;

	/* Our own descriptor: the walk closes it as it moves. */
	fd = open_dir(topfd, ".");
	if (fd < 0)
		return vu_err_set(e, errno, "%s", label);
	if (fstat(fd, &st) < 0) {
		r = vu_err_set(e, errno, "%s", label);
		goto out;
	}
	w.dev = st.st_dev;
	w.mnt = vu_meta_mount_id(fd, "");
	if (push(&w, st.st_ino) < 0) {
		r = vu_err_set(e, ENOMEM, "%s", label);
		goto out;
	}
	r = read_dir(&w, fd, e);
	while (r == 0) {
		struct frame *f = &w.st[w.depth - 1];

		if (f->next < f->n)
			r = down(&w, &fd, e);
		else if (w.depth > 1)
			r = up(&w, &fd, e);
		else
			break;
	}
out:
	while (w.depth)
		frame_free(&w.st[--w.depth]);
	free(w.st);
	close(fd);
	return r;
}

int vu_dwalk(const char *top, const struct vu_dwalk_ops *ops, void *arg, struct vu_err *e)
{
	int fd = open(top, DIR_FLAGS | O_PATH), r;

	if (fd < 0)
		return vu_err_set(e, errno, "%s", top);
	r = vu_dwalk_fd(fd, top, ops, arg, e);
	close(fd);
	return r;
}
