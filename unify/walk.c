// SPDX-License-Identifier: GPL-2.0-or-later
/* Walking a guest tree: see include/vunify/walk.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vunify/cleanup.h"
#include "vunify/format.h"
#include "vunify/meta.h"
#include "vunify/walk.h"

struct dent {
	uint64_t ino;
	char *name;
};

struct frame {
	DIR *dir;
	int fd;
	struct dent *ents;
	size_t n, next;
	size_t pathlen;              /* length of this directory's path */
	struct statx stx;
	char *name;                  /* in the parent */
	enum vu_ex_decision decision;
	void *data;
};

struct walker {
	const struct vu_exclude *ex;
	const struct vu_walk_ops *ops;
	void *arg;
	const char *label;
	uint64_t top_dev, top_mnt;
	char *path;
	size_t cap;
	struct frame *stack;
	size_t depth, stack_cap;
};

static int cmp_dent(const void *a, const void *b)
{
	const struct dent *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static void report(struct walker *w, int err, const char *what)
{
	struct vu_err e;

	vu_err_set(&e, err, "%s%s", w->label, what);
	if (w->ops->error)
		w->ops->error(w->arg, &e);
}

static void frame_free(struct frame *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->ents[i].name);
	free(f->ents);
	free(f->name);
	if (f->dir)
		closedir(f->dir);       /* closes f->fd */
	else if (f->fd >= 0)
		close(f->fd);
	memset(f, 0, sizeof(*f));
	f->fd = -1;
}

/* Read all entries of the directory open as f->fd, sorted by inode. */
static int frame_read(struct frame *f)
{
	struct dirent *de;
	size_t cap = 0;

	f->dir = fdopendir(f->fd);
	if (!f->dir)
		return -1;
	while ((errno = 0, de = readdir(f->dir))) {
		if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		if (f->n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			void *p = realloc(f->ents, nc * sizeof(*f->ents));

			if (!p)
				return -1;
			f->ents = p;
			cap = nc;
		}
		f->ents[f->n].ino = de->d_ino;
		f->ents[f->n].name = strdup(de->d_name);
		if (!f->ents[f->n].name)
			return -1;
		f->n++;
	}
	if (errno)
		return -1;
	/* qsort(NULL, 0, ...) is undefined: an empty directory has no array. */
	if (f->n > 1)
		qsort(f->ents, f->n, sizeof(*f->ents), cmp_dent);
	return 0;
}

static int path_set(struct walker *w, size_t at, const char *name, size_t *len)
{
	size_t nl = strlen(name), need = at + 1 + nl + 1;

	if (need > w->cap) {
		size_t nc = need * 2;
		char *p = realloc(w->path, nc);

		if (!p)
			return -1;
		w->path = p;
		w->cap = nc;
	}
	w->path[at] = '/';
	memcpy(w->path + at + 1, name, nl + 1);
	*len = at + 1 + nl;
	return 0;
}

static int push(struct walker *w, int fd, const struct statx *stx, const char *name,
		size_t pathlen, enum vu_ex_decision d, void *data)
{
	struct frame *f;

	if (w->depth == w->stack_cap) {
		size_t nc = w->stack_cap ? w->stack_cap * 2 : 32;
		void *p = realloc(w->stack, nc * sizeof(*w->stack));

		if (!p)
			return -1;
		w->stack = p;
		w->stack_cap = nc;
	}
	f = &w->stack[w->depth];
	memset(f, 0, sizeof(*f));
	f->fd = fd;
	f->stx = *stx;
	f->pathlen = pathlen;
	f->decision = d;
	f->data = data;
	f->name = strdup(name);
	if (!f->name) {
		f->fd = -1;
		return -1;
	}
	w->depth++;
	if (frame_read(f) < 0) {
		int err = errno;

		w->depth--;
		frame_free(f);
		errno = err;
		return -1;
	}
	return 0;
}

/* Leave the innermost directory. */
static int pop(struct walker *w)
{
	struct frame *f = &w->stack[w->depth - 1];
	struct frame *parent = w->depth > 1 ? &w->stack[w->depth - 2] : NULL;
	struct vu_walk_entry ent = {
		.dirfd = parent ? parent->fd : -1,
		.name = f->name,
		.path = f->pathlen ? w->path : "/",
		.pathlen = f->pathlen ? f->pathlen : 1,
		.stx = &f->stx,
		.decision = f->decision,
		.parent = parent ? parent->data : NULL,
	};
	int r = VU_WALK_NEXT;

	w->path[f->pathlen] = 0;
	if (w->ops->leave)
		r = w->ops->leave(w->arg, f->fd, &ent, f->data);
	frame_free(f);
	w->depth--;
	if (w->depth)
		w->path[w->stack[w->depth - 1].pathlen] = 0;
	return r;
}

/* Look at the next entry of the innermost directory. */
static int step(struct walker *w, struct vu_err *e)
{
	struct frame *f = &w->stack[w->depth - 1];
	const char *name = f->ents[f->next].name;
	struct vu_walk_entry ent = { 0 };
	struct statx stx;
	void *data = NULL;
	size_t len;
	int r, fd;

	f->next++;
	if (path_set(w, f->pathlen, name, &len) < 0)
		return vu_err_set(e, errno, "%s", w->label);
	if (vu_meta_statx(f->fd, name, &stx) < 0) {
		/* Vanished since the directory was read: not an error. */
		if (errno != ENOENT)
			report(w, errno, w->path);
		return 0;
	}
	ent.dirfd = f->fd;
	ent.name = name;
	ent.path = w->path;
	ent.pathlen = len;
	ent.stx = &stx;
	ent.parent = f->data;
	ent.decision = w->ex ? vu_exclude_match(w->ex, w->path, f->decision) : VU_EX_NONE;
	if (ent.decision == VU_EX_SKIP)
		return 0;
	ent.reserved = vu_name_reserved(name);
	ent.mount_point = vu_meta_dev(&stx) != w->top_dev ||
			  ((stx.stx_mask & STATX_MNT_ID) && stx.stx_mnt_id != w->top_mnt);
	r = w->ops->entry(w->arg, &ent, &data);
	if (r == VU_WALK_STOP)
		return -1;
	if (r != VU_WALK_DESCEND || !S_ISDIR(stx.stx_mode) || ent.mount_point || ent.reserved)
		return 0;
	fd = openat(f->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC);
	if (fd < 0 && errno == EPERM)
		fd = openat(f->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		struct statx now;

		/* Still the directory we stat'ed (not swapped in between)? */
		if (vu_meta_statx(fd, "", &now) < 0 || !vu_meta_same_inode(&now, &stx)) {
			close(fd);
			fd = -1;
			errno = ESTALE;
		}
	}
	if (fd < 0) {
		report(w, errno, w->path);
		if (w->ops->leave) {
			/* Let the callback finish what it started for it. */
			w->ops->leave(w->arg, -1, &ent, data);
		}
		return 0;
	}
	if (push(w, fd, &stx, name, len, ent.decision, data) < 0) {
		report(w, errno, w->path);
		if (w->ops->leave)
			w->ops->leave(w->arg, -1, &ent, data);
		return 0;
	}
	return 0;
}

int vu_walk(int topfd, const char *label, const struct vu_exclude *ex,
	    const struct vu_walk_ops *ops, void *arg, void *top_data, struct vu_err *e)
{
	struct walker w = { .ex = ex, .ops = ops, .arg = arg, .label = label };
	struct statx stx;
	int fd, r = 0;

	fd = openat(topfd, ".", O_RDONLY | O_DIRECTORY | O_NOATIME | O_CLOEXEC);
	if (fd < 0)
		return vu_err_set(e, errno, "%s", label);
	if (vu_meta_statx(fd, "", &stx) < 0) {
		close(fd);
		return vu_err_set(e, errno, "%s", label);
	}
	w.top_dev = vu_meta_dev(&stx);
	w.top_mnt = stx.stx_mnt_id;
	w.cap = 4096;
	w.path = malloc(w.cap);
	if (!w.path) {
		close(fd);
		return vu_err_set(e, ENOMEM, "%s", label);
	}
	w.path[0] = 0;
	if (push(&w, fd, &stx, "", 0, VU_EX_NONE, top_data) < 0) {
		free(w.path);
		free(w.stack);
		return vu_err_set(e, errno, "%s", label);
	}
	while (w.depth) {
		struct frame *f = &w.stack[w.depth - 1];

		if (r < 0 || f->next == f->n) {
			if (pop(&w) == VU_WALK_STOP && r == 0)
				r = -1;
			continue;
		}
		if (step(&w, e) < 0)
			r = -1;
	}
	free(w.path);
	free(w.stack);
	return r;
}
