// SPDX-License-Identifier: GPL-2.0-or-later
/* Extended attribute sets: see include/vunify/xattr.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "vunify/xattr.h"

/* The two ways to reach an inode: a descriptor, or a directory entry that
 * must not be followed (a symlink or a special file).  For the latter we go
 * through our own directory descriptor in /proc, so that no host path is
 * ever built from guest strings; NAME is a single component. */
struct target {
	int fd;
	char path[64 + 256];
};

static int target_at(struct target *t, int dirfd, const char *name)
{
	t->fd = -1;
	if (strchr(name, '/') ||
	    snprintf(t->path, sizeof(t->path), "/proc/self/fd/%d/%s", dirfd, name) >= (int)sizeof(t->path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static ssize_t t_list(const struct target *t, char *buf, size_t size)
{
	return t->fd >= 0 ? flistxattr(t->fd, buf, size) : llistxattr(t->path, buf, size);
}

static ssize_t t_get(const struct target *t, const char *name, void *buf, size_t size)
{
	return t->fd >= 0 ? fgetxattr(t->fd, name, buf, size) : lgetxattr(t->path, name, buf, size);
}

static int t_set(const struct target *t, const char *name, const void *val, size_t size)
{
	return t->fd >= 0 ? fsetxattr(t->fd, name, val, size, 0) : lsetxattr(t->path, name, val, size, 0);
}

static int cmp_xattr(const void *a, const void *b)
{
	return strcmp(((const struct vu_xattr *)a)->name, ((const struct vu_xattr *)b)->name);
}

static bool unsupported(int err)
{
	return err == ENOTSUP || err == ENOSYS;
}

/* One attempt; returns 1 if the attributes changed while we read them. */
static int read_once(const struct target *t, struct vu_xattrs *x)
{
	ssize_t ln = t_list(t, NULL, 0);
	size_t total, names;
	char *list = NULL;
	int r = -1;

	if (ln < 0)
		return unsupported(errno) ? 0 : -1;
	if (ln == 0)
		return 0;
	list = malloc(ln);
	if (!list)
		return -1;
	ln = t_list(t, list, ln);
	if (ln < 0) {
		r = errno == ERANGE ? 1 : -1;
		goto out;
	}
	/* First pass: sizes. */
	names = 0;
	total = 0;
	for (char *p = list; p < list + ln; p += strlen(p) + 1) {
		ssize_t vl;

		if (strcmp(p, VU_MARK_XATTR) == 0) {
			x->marked = true;
			vl = t_get(t, p, x->mark, sizeof(x->mark));
			if (vl < 0 && errno == ERANGE)
				vl = t_get(t, p, NULL, 0);
			if (vl < 0) {
				r = errno == ENODATA ? 1 : -1;
				goto out;
			}
			x->mark_len = vl;
			continue;
		}
		vl = t_get(t, p, NULL, 0);
		if (vl < 0) {
			r = errno == ENODATA ? 1 : -1;
			goto out;
		}
		names++;
		total += strlen(p) + 1 + vl + 16;
	}
	x->v = calloc(names ? names : 1, sizeof(*x->v));
	x->mem = malloc(total ? total : 1);
	if (!x->v || !x->mem)
		goto out;
	/* Second pass: values. */
	char *m = x->mem;
	size_t left = total;
	for (char *p = list; p < list + ln; p += strlen(p) + 1) {
		size_t nl = strlen(p) + 1;
		ssize_t vl;

		if (strcmp(p, VU_MARK_XATTR) == 0)
			continue;
		if (x->n == names || nl > left) {
			r = 1;
			goto out;
		}
		memcpy(m, p, nl);
		x->v[x->n].name = m;
		m += nl;
		left -= nl;
		vl = t_get(t, p, m, left);
		if (vl < 0) {
			r = errno == ENODATA || errno == ERANGE ? 1 : -1;
			goto out;
		}
		x->v[x->n].value = m;
		x->v[x->n].len = vl;
		x->n++;
		m += vl;
		left -= vl;
	}
	qsort(x->v, x->n, sizeof(*x->v), cmp_xattr);
	r = 0;
out:
	free(list);
	return r;
}

static int read_target(const struct target *t, struct vu_xattrs *x, struct vu_err *e, const char *what)
{
	for (int tries = 0; tries < 10; tries++) {
		int r;

		memset(x, 0, sizeof(*x));
		r = read_once(t, x);
		if (r == 0)
			return 0;
		vu_xattrs_free(x);
		if (r < 0)
			return vu_err_set(e, errno, "%s: extended attributes", what);
	}
	return vu_err_set(e, EAGAIN, "%s: extended attributes keep changing", what);
}

int vu_xattrs_read_fd(int fd, struct vu_xattrs *x, struct vu_err *e, const char *what)
{
	struct target t = { .fd = fd };

	return read_target(&t, x, e, what);
}

int vu_xattrs_read_at(int dirfd, const char *name, struct vu_xattrs *x,
		      struct vu_err *e, const char *what)
{
	struct target t;

	memset(x, 0, sizeof(*x));
	if (target_at(&t, dirfd, name) < 0)
		return vu_err_set(e, errno, "%s", what);
	return read_target(&t, x, e, what);
}

void vu_xattrs_free(struct vu_xattrs *x)
{
	free(x->v);
	free(x->mem);
	x->v = NULL;
	x->mem = NULL;
	x->n = 0;
}

bool vu_xattrs_equal(const struct vu_xattrs *a, const struct vu_xattrs *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i].name, b->v[i].name) || a->v[i].len != b->v[i].len ||
		    memcmp(a->v[i].value, b->v[i].value, a->v[i].len))
			return false;
	return true;
}

static int apply_target(const struct target *t, const struct vu_xattrs *x,
			struct vu_err *e, const char *what)
{
	for (size_t i = 0; i < x->n; i++)
		if (t_set(t, x->v[i].name, x->v[i].value, x->v[i].len) < 0)
			return vu_err_set(e, errno, "%s: set %s", what, x->v[i].name);
	return 0;
}

int vu_xattrs_apply_fd(int fd, const struct vu_xattrs *x, struct vu_err *e, const char *what)
{
	struct target t = { .fd = fd };

	return apply_target(&t, x, e, what);
}

int vu_xattrs_apply_at(int dirfd, const char *name, const struct vu_xattrs *x,
		       struct vu_err *e, const char *what)
{
	struct target t;

	if (!x->n)
		return 0;
	if (target_at(&t, dirfd, name) < 0)
		return vu_err_set(e, errno, "%s", what);
	return apply_target(&t, x, e, what);
}
