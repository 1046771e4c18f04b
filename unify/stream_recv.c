// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Receiving a guest stream (format and rules: include/vunify/stream.h).
 *
 * Phases: the manifest makes the tree's directories, symlinks, special
 * files and empty private files (and their hardlinks); OBJECT records are
 * staged as files below PARENT/VU_STREAM_STAGE, each one's id checked as
 * its last byte arrives; FILE records fill the private files.  Only after
 * END: objects go into the store (an instance the store already has with
 * the same content is used instead), unified names are linked to them, and
 * every inode gets its metadata, deepest first (an entry made in a
 * directory moves its mtime).
 *
 * Every entry is reached from the top by the names this receiver made,
 * each component opened with O_NOFOLLOW|O_DIRECTORY: the tree is ours
 * alone (behind the caller's private PARENT), and no name of the stream
 * can reach anything else (names are single components, checked).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "vunify/cleanup.h"
#include "vunify/copy.h"
#include "vunify/key.h"
#include "vunify/meta.h"
#include "vunify/rmtree.h"
#include "vunify/stream.h"
#include "vunify/xattr.h"
#include "stream-int.h"

/* Errors about the stream name the offset of the record at fault. */
int vu_srecv_bad(struct recv *r, int err, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return vu_err_set(r->e, err, "stream offset %llu: %s", (unsigned long long)r->r.rec_off, msg);
}

static bool name_ok(const char *p, size_t n)
{
	if (n == 0 || n > VU_STREAM_NAME_MAX || memchr(p, '/', n) || memchr(p, 0, n))
		return false;
	if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
		return false;
	return n < VU_TMP_PREFIX_LEN || memcmp(p, VU_TMP_PREFIX, VU_TMP_PREFIX_LEN) != 0;
}

static char *dupn(const void *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s) {
		memcpy(s, p, n);
		s[n] = 0;
	}
	return s;
}

static void get_ts(struct vu_scur *c, struct statx_timestamp *t)
{
	t->tv_sec = (int64_t)vu_scur_u64(c);
	t->tv_nsec = vu_scur_u32(c);
	if (t->tv_nsec >= 1000000000)
		c->bad = true;
}

/* An xattr set from the stream: sorted, unique, never the mark or any
 * other trusted.vunify* name (a private file must never look shared). */
static int get_xattrs(struct recv *r, struct vu_scur *c, struct vu_xattrs *x)
{
	uint32_t n = vu_scur_u32(c);
	size_t total = 0, start;

	if (c->bad || n > VU_STREAM_XATTR_N)
		return BAD(r, "bad extended attributes");
	/* First pass: bounds and size, on a copy of the cursor. */
	start = c->pos;
	for (uint32_t i = 0; i < n; i++) {
		size_t nl, vl;
		const char *nm = vu_scur_str(c, VU_STREAM_NAME_MAX, &nl);

		vu_scur_str(c, VU_STREAM_XATTR_VAL, &vl);
		if (c->bad || nl == 0 || memchr(nm, 0, nl))
			return BAD(r, "bad extended attribute");
		if (nl >= 14 && !memcmp(nm, "trusted.vunify", 14))
			return BAD(r, "extended attribute %.*s is vunify's own", (int)nl, nm);
		total += nl + 1 + vl;
	}
	c->pos = start;
	x->v = calloc(n ? n : 1, sizeof(*x->v));
	x->mem = malloc(total ? total : 1);
	if (!x->v || !x->mem)
		return vu_err_set(r->e, ENOMEM, "extended attributes");
	x->n = n;
	total = 0;
	for (uint32_t i = 0; i < n; i++) {
		size_t nl, vl;
		const char *nm = vu_scur_str(c, VU_STREAM_NAME_MAX, &nl);
		const void *v = vu_scur_str(c, VU_STREAM_XATTR_VAL, &vl);

		memcpy(x->mem + total, nm, nl);
		x->mem[total + nl] = 0;
		x->v[i].name = x->mem + total;
		memcpy(x->mem + total + nl + 1, v, vl);
		x->v[i].value = x->mem + total + nl + 1;
		x->v[i].len = vl;
		total += nl + 1 + vl;
		if (i && strcmp(x->v[i - 1].name, x->v[i].name) >= 0)
			return BAD(r, "extended attributes not sorted or repeated");
	}
	return 0;
}

static bool mode_ok(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: case S_IFDIR: case S_IFLNK: case S_IFCHR: case S_IFBLK:
	case S_IFIFO: case S_IFSOCK:
		return (mode & ~(uint32_t)(S_IFMT | 07777)) == 0;
	}
	return false;
}

/* --- the tree ------------------------------------------------------------- */

/* A new descriptor of directory @ino (ours to close), reached from the top
 * one component at a time, never following a symlink. */
int vu_srecv_dir_open(struct recv *r, uint64_t ino)
{
	uint64_t chain[VU_STREAM_DEPTH_MAX + 1];
	size_t n = 0;
	int fd;

	if (ino == r->cache_ino && r->cache_fd >= 0)
		return fcntl(r->cache_fd, F_DUPFD_CLOEXEC, 3);
	for (uint64_t i = ino; i != 1; i = r->in[i - 1].parent)
		chain[n++] = i;
	fd = fcntl(r->topfd, F_DUPFD_CLOEXEC, 3);
	while (fd >= 0 && n--) {
		const struct rinode *d = &r->in[chain[n] - 1];
		int next = openat(fd, d->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		close(fd);
		fd = next;
	}
	if (fd < 0)
		return -1;
	if (r->cache_fd >= 0)
		close(r->cache_fd);
	r->cache_ino = ino;
	r->cache_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	return fd;
}

static int make_entry(struct recv *r, struct rinode *n, int pfd)
{
	const struct statx *x = &n->stx;
	dev_t rdev = makedev(x->stx_rdev_major, x->stx_rdev_minor);
	struct statx made;
	int fd;

	switch (x->stx_mode & S_IFMT) {
	case S_IFDIR:
		return mkdirat(pfd, n->name, 0700);
	case S_IFLNK:
		return symlinkat(n->target, pfd, n->name);
	case S_IFREG:
		if (n->flags & VU_STREAM_F_OBJECT)
			return 0;       /* linked to its object at the end */
		fd = openat(pfd, n->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return -1;
		if (vu_meta_statx(fd, "", &made) < 0) {
			close(fd);
			return -1;
		}
		n->made_ino = made.stx_ino;
		return close(fd);
	default:
		/* Devices only as the source had them: behind the barrier, for
		 * the guest whose root made them. */
		return mknodat(pfd, n->name, (x->stx_mode & S_IFMT) | 0600, rdev);
	}
}

static int rec_inode(struct recv *r, struct vu_scur *c)
{
	uint64_t ino = vu_scur_u64(c), parent = vu_scur_u64(c);
	size_t nl, tl;
	const char *name = vu_scur_str(c, VU_STREAM_NAME_MAX, &nl);
	struct rinode *n;
	const char *target;
	int pfd = -1, rc;

	if (c->bad || ino != r->nin + 1 || ino > VU_STREAM_INODES_MAX)
		return BAD(r, "inode number %llu out of order", (unsigned long long)ino);
	if (r->nin == r->capin) {
		uint64_t cap = r->capin ? r->capin * 2 : 1024;
		void *q = realloc(r->in, cap * sizeof(*r->in));

		if (!q)
			return vu_err_set(r->e, ENOMEM, "manifest");
		r->in = q;
		r->capin = cap;
	}
	n = &r->in[r->nin++];
	memset(n, 0, sizeof(*n));
	n->parent = parent;
	n->stx.stx_mode = vu_scur_u32(c);
	n->stx.stx_uid = vu_scur_u32(c);
	n->stx.stx_gid = vu_scur_u32(c);
	n->flags = vu_scur_u32(c);
	n->stx.stx_size = vu_scur_u64(c);
	get_ts(c, &n->stx.stx_atime);
	get_ts(c, &n->stx.stx_mtime);
	n->stx.stx_rdev_major = vu_scur_u32(c);
	n->stx.stx_rdev_minor = vu_scur_u32(c);
	target = vu_scur_str(c, VU_STREAM_TARGET_MAX, &tl);
	if (c->bad || !mode_ok(n->stx.stx_mode) || (n->flags & ~VU_STREAM_F_OBJECT) ||
	    n->stx.stx_size > INT64_MAX)
		return BAD(r, "bad inode %llu", (unsigned long long)ino);
	if (get_xattrs(r, c, &n->x) < 0)
		return -1;
	if (n->flags & VU_STREAM_F_OBJECT) {
		const void *id = vu_scur_raw(c, sizeof(n->id.b));

		if (!id || !S_ISREG(n->stx.stx_mode))
			return BAD(r, "bad object inode %llu", (unsigned long long)ino);
		memcpy(n->id.b, id, sizeof(n->id.b));
	}
	if (!vu_scur_done(c))
		return BAD(r, "bad inode record %llu", (unsigned long long)ino);
	if (S_ISLNK(n->stx.stx_mode) != (tl > 0) || (tl && memchr(target, 0, tl)))
		return BAD(r, "bad symlink target of inode %llu", (unsigned long long)ino);
	r->manifest_bytes += sizeof(*n) + nl + tl + n->x.n * sizeof(*n->x.v);
	for (size_t i = 0; i < n->x.n; i++)
		r->manifest_bytes += strlen(n->x.v[i].name) + 1 + n->x.v[i].len;
	if (r->manifest_bytes > VU_STREAM_MANIFEST_MAX)
		return BAD(r, "the manifest is larger than %llu bytes", VU_STREAM_MANIFEST_MAX);
	n->target = tl ? dupn(target, tl) : NULL;
	if (tl && !n->target)
		return vu_err_set(r->e, ENOMEM, "manifest");
	if (ino == 1) {
		if (parent || nl || !S_ISDIR(n->stx.stx_mode))
			return BAD(r, "the top is not a directory without a name");
		if (mkdirat(r->parentfd, r->topname, 0700) < 0)
			return vu_err_set(r->e, errno, "%s", r->topname);
		r->top_made = true;
		r->topfd = openat(r->parentfd, r->topname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
				  O_CLOEXEC);
		if (r->topfd < 0)
			return vu_err_set(r->e, errno, "%s", r->topname);
		r->st->inodes++;
		return 0;
	}
	if (!parent || parent >= ino || !S_ISDIR(r->in[parent - 1].stx.stx_mode))
		return BAD(r, "inode %llu: parent %llu is not a directory before it",
			   (unsigned long long)ino, (unsigned long long)parent);
	if (!name_ok(name, nl))
		return BAD(r, "inode %llu: name \"%.*s\" refused (a name is one path component)",
			   (unsigned long long)ino, (int)(nl > 64 ? 64 : nl), name ? name : "");
	n->depth = r->in[parent - 1].depth + 1;
	if (n->depth > VU_STREAM_DEPTH_MAX)
		return BAD(r, "inode %llu: too deep", (unsigned long long)ino);
	n->name = dupn(name, nl);
	if (!n->name)
		return vu_err_set(r->e, ENOMEM, "manifest");
	pfd = vu_srecv_dir_open(r, parent);
	if (pfd < 0)
		return vu_srecv_bad(r, errno, "inode %llu: its directory", (unsigned long long)ino);
	rc = make_entry(r, n, pfd);
	if (rc < 0)
		rc = vu_srecv_bad(r, errno, "inode %llu: make %s", (unsigned long long)ino, n->name);
	close(pfd);
	r->st->inodes++;
	return rc;
}

static int rec_link(struct recv *r, struct vu_scur *c)
{
	uint64_t parent = vu_scur_u64(c), ino;
	size_t nl;
	const char *name = vu_scur_str(c, VU_STREAM_NAME_MAX, &nl);
	_cleanup_free_ char *nm = NULL;
	const struct rinode *t;
	int pfd, tfd, rc;

	ino = vu_scur_u64(c);
	if (!vu_scur_done(c) || !name_ok(name, nl))
		return BAD(r, "bad link record");
	if (!parent || parent > r->nin || !S_ISDIR(r->in[parent - 1].stx.stx_mode))
		return BAD(r, "link: %llu is not a directory", (unsigned long long)parent);
	if (!ino || ino > r->nin || ino == 1)
		return BAD(r, "link to unknown inode %llu", (unsigned long long)ino);
	t = &r->in[ino - 1];
	if (S_ISDIR(t->stx.stx_mode) || (t->flags & VU_STREAM_F_OBJECT))
		return BAD(r, "link to inode %llu, a directory or unified file",
			   (unsigned long long)ino);
	nm = dupn(name, nl);
	if (!nm)
		return vu_err_set(r->e, ENOMEM, "manifest");
	tfd = vu_srecv_dir_open(r, t->parent);
	pfd = tfd < 0 ? -1 : vu_srecv_dir_open(r, parent);
	rc = pfd < 0 ? -1 : linkat(tfd, t->name, pfd, nm, 0);
	if (rc < 0)
		rc = vu_srecv_bad(r, errno, "link %s to inode %llu", nm, (unsigned long long)ino);
	if (tfd >= 0)
		close(tfd);
	if (pfd >= 0)
		close(pfd);
	r->st->links++;
	return rc;
}

static int obj_cmp(const void *a, const void *b)
{
	return vu_id_cmp(&((const struct robj *)a)->id, &((const struct robj *)b)->id);
}

/* The manifest is complete: the objects it names, each once. */
static int rec_manifest_end(struct recv *r, struct vu_scur *c)
{
	uint64_t ninodes = vu_scur_u64(c), nlinks = vu_scur_u64(c);
	size_t n = 0;

	if (!vu_scur_done(c) || ninodes != r->nin || nlinks != r->st->links || r->nin == 0)
		return BAD(r, "manifest end: counts do not match (%llu inodes, %llu links read)",
			   (unsigned long long)r->nin, (unsigned long long)r->st->links);
	for (uint64_t i = 0; i < r->nin; i++)
		n += (r->in[i].flags & VU_STREAM_F_OBJECT) != 0;
	r->obj = calloc(n ? n : 1, sizeof(*r->obj));
	if (!r->obj)
		return vu_err_set(r->e, ENOMEM, "object list");
	for (uint64_t i = 0; i < r->nin; i++)
		if (r->in[i].flags & VU_STREAM_F_OBJECT)
			r->obj[r->nobj++] = (struct robj){ .id = r->in[i].id, .want = r->in[i].stx };
	qsort(r->obj, r->nobj, sizeof(*r->obj), obj_cmp);
	n = 0;
	for (size_t i = 0; i < r->nobj; i++) {
		if (n && vu_id_eq(&r->obj[n - 1].id, &r->obj[i].id)) {
			/* One inode at the sender: one stat. */
			if (!vu_srecv_same_stat(&r->obj[n - 1].want, &r->obj[i].want))
				return BAD(r, "names of one object disagree on its stat");
			continue;
		}
		r->obj[n++] = r->obj[i];
	}
	r->nobj = n;
	r->st->unified = 0;
	for (uint64_t i = 0; i < r->nin; i++)
		r->st->unified += (r->in[i].flags & VU_STREAM_F_OBJECT) != 0;
	return 0;
}

static struct robj *obj_find(struct recv *r, const struct vu_id *id)
{
	struct robj key = { .id = *id };

	return bsearch(&key, r->obj, r->nobj, sizeof(*r->obj), obj_cmp);
}

/* --- contents ------------------------------------------------------------ */

static void key_zeros(struct vu_key *k, uint64_t n)
{
	static const uint8_t zeros[64 * 1024];

	while (n) {
		size_t m = n < sizeof(zeros) ? (size_t)n : sizeof(zeros);

		vu_key_update(k, zeros, m);
		n -= m;
	}
}

/* The DATA records that follow go to r->sinkfd, opened by the caller:
 * SIZE bytes of a file or object whose record began here. */
static int sink_begin(struct recv *r, enum sink_kind kind, uint64_t size)
{
	r->sink = kind;
	r->sink_pos = 0;
	r->sink_size = size;
	r->sink_off = r->r.rec_off;
	return 0;
}

static int rec_object(struct recv *r, struct vu_scur *c)
{
	const void *idb = vu_scur_raw(c, 16);
	struct vu_id id;
	struct robj *ob;
	struct vu_key_meta m;
	char hex[VU_ID_HEXLEN + 1];

	if (!idb)
		return BAD(r, "bad object record");
	memcpy(id.b, idb, sizeof(id.b));
	vu_id_hex(&id, hex);
	ob = obj_find(r, &id);
	if (!ob)
		return BAD(r, "object %s is not in the manifest", hex);
	if (ob->staged || ob->x.v)
		return BAD(r, "object %s sent twice", hex);
	ob->kflags = vu_scur_u32(c);
	ob->stx.stx_size = vu_scur_u64(c);
	ob->stx.stx_mode = vu_scur_u32(c);
	ob->stx.stx_uid = vu_scur_u32(c);
	ob->stx.stx_gid = vu_scur_u32(c);
	get_ts(c, &ob->stx.stx_atime);
	get_ts(c, &ob->stx.stx_mtime);
	if (c->bad || (ob->kflags & ~VU_KEY_IGNORE_MTIME) || !S_ISREG(ob->stx.stx_mode) ||
	    !mode_ok(ob->stx.stx_mode) || ob->stx.stx_size > INT64_MAX)
		return BAD(r, "bad object record %s", hex);
	if (get_xattrs(r, c, &ob->x) < 0)
		return -1;
	if (!vu_scur_done(c))
		return BAD(r, "bad object record %s", hex);
	if (!vu_srecv_same_stat(&ob->stx, &ob->want))
		return BAD(r, "object %s: not the stat its names have", hex);
	r->sinkfd = openat(r->stagefd, hex, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (r->sinkfd < 0)
		return vu_srecv_bad(r, errno, "object %s: stage", hex);
	vu_key_meta_from_statx(&m, &ob->stx);
	vu_key_begin(r->key, &m, &ob->x, ob->kflags);
	r->sink_obj = ob;
	return sink_begin(r, SINK_OBJECT, ob->stx.stx_size);
}

static int rec_file(struct recv *r, struct vu_scur *c)
{
	uint64_t ino = vu_scur_u64(c);
	struct rinode *n;
	struct statx now;
	int pfd;

	if (!vu_scur_done(c) || !ino || ino > r->nin)
		return BAD(r, "file record for unknown inode %llu", (unsigned long long)ino);
	n = &r->in[ino - 1];
	if (!S_ISREG(n->stx.stx_mode) || (n->flags & VU_STREAM_F_OBJECT) || n->filled)
		return BAD(r, "file record for inode %llu: not a private file, or twice",
			   (unsigned long long)ino);
	pfd = vu_srecv_dir_open(r, n->parent);
	if (pfd < 0)
		return vu_srecv_bad(r, errno, "inode %llu: its directory", (unsigned long long)ino);
	r->sinkfd = openat(pfd, n->name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	close(pfd);
	if (r->sinkfd < 0)
		return vu_srecv_bad(r, errno, "inode %llu: open %s", (unsigned long long)ino, n->name);
	if (vu_meta_statx(r->sinkfd, "", &now) < 0 || now.stx_ino != n->made_ino)
		return BAD(r, "inode %llu: %s is not the file made for it", (unsigned long long)ino,
			   n->name);
	n->filled = true;
	return sink_begin(r, SINK_FILE, n->stx.stx_size);
}

static int rec_data(struct recv *r, struct vu_scur *c)
{
	uint64_t off = vu_scur_u64(c);
	size_t len = c->len - c->pos;
	const uint8_t *p = vu_scur_raw(c, len);

	if (r->sink == SINK_NONE)
		return BAD(r, "data outside a file or object");
	if (c->bad || len == 0 || len > VU_STREAM_DATA_MAX || off < r->sink_pos ||
	    off > r->sink_size || len > r->sink_size - off)
		return BAD(r, "data at %llu+%zu out of order or beyond the size %llu",
			   (unsigned long long)off, len, (unsigned long long)r->sink_size);
	if (r->sink == SINK_OBJECT) {
		key_zeros(r->key, off - r->sink_pos);
		vu_key_update(r->key, p, len);
	}
	for (size_t done = 0; done < len;) {
		ssize_t k = pwrite(r->sinkfd, p + done, len - done, (off_t)(off + done));

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return vu_srecv_bad(r, errno, "write");
		done += (size_t)k;
	}
	r->sink_pos = off + len;
	return 0;
}

/* The end of a FILE's or OBJECT's data: its size, and an object's id. */
static int sink_close(struct recv *r)
{
	int rc = 0;

	if (r->sink == SINK_NONE)
		return 0;
	if (ftruncate(r->sinkfd, (off_t)r->sink_size) < 0)
		rc = vu_srecv_bad(r, errno, "truncate");
	if (rc == 0 && r->sink == SINK_OBJECT) {
		struct robj *ob = r->sink_obj;
		struct vu_id got;
		char hex[VU_ID_HEXLEN + 1];

		key_zeros(r->key, r->sink_size - r->sink_pos);
		vu_key_final(r->key, &got);
		vu_id_hex(&ob->id, hex);
		if (!vu_id_eq(&got, &ob->id))
			rc = vu_err_set(r->e, 0, "stream offset %llu: object %s: what arrived does "
					"not have that id (refused)", (unsigned long long)r->sink_off,
					hex);
		ob->staged = rc == 0;
		r->st->objects++;
		r->st->object_bytes += r->sink_size;
	} else if (rc == 0) {
		r->st->files++;
		r->st->file_bytes += r->sink_size;
	}
	if (close(r->sinkfd) < 0 && rc == 0)
		rc = vu_srecv_bad(r, errno, "close");
	r->sinkfd = -1;
	r->sink = SINK_NONE;
	return rc;
}

/* --- the stream ------------------------------------------------------------ */

enum phase { PH_START, PH_MANIFEST, PH_CONTENT };

/* BASE: str, the name of the base guest an incremental stream is made
 * from; it must be the one the operator named. */
static int rec_base(struct recv *r, struct vu_scur *c)
{
	size_t n;
	const char *name = vu_scur_str(c, VU_STREAM_NAME_MAX, &n);

	if (!vu_scur_done(c) || !(r->r.flags & VU_STREAM_H_INCREMENTAL) || r->base_seen)
		return BAD(r, "base record out of place");
	if (strlen(r->o->base_name) != n || memcmp(name, r->o->base_name, n))
		return BAD(r, "the stream is incremental from guest %.*s, not from %s",
			   (int)n, name, r->o->base_name);
	r->base_seen = true;
	/* The objects the base links to: those the stream may leave out. */
	return vu_stream_base_ids(r->o->basefd, r->o->base_name, &r->base_ids, &r->nbase_ids,
				  r->e);
}

static int rec_end(struct recv *r, struct vu_scur *c)
{
	uint64_t records = vu_scur_u64(c), objects = vu_scur_u64(c), files = vu_scur_u64(c);

	if (!vu_scur_done(c) || records != r->r.records - 1 || objects != r->st->objects ||
	    files != r->st->files + r->st->base_files)
		return BAD(r, "end: counts do not match (records, objects or files missing)");
	return 0;
}

static int read_stream(struct recv *r)
{
	enum phase ph = PH_START;
	struct vu_scur c;
	uint32_t type;

	for (;;) {
		int k = vu_sreader_next(&r->r, &type, &c, r->e), rc;

		if (k < 0)
			return -1;
		if (k == 0)
			return vu_err_set(r->e, 0, "stream offset %llu: truncated (the stream ends "
					  "before its END record)", (unsigned long long)r->r.off);
		if (type != VU_SREC_DATA && sink_close(r) < 0)
			return -1;
		switch (type) {
		case VU_SREC_CONFIG:
			if (ph != PH_START || r->o->conf)
				return BAD(r, "configuration record out of place");
			r->o->conf = malloc(c.len ? c.len : 1);
			if (!r->o->conf)
				return vu_err_set(r->e, ENOMEM, "configuration");
			memcpy(r->o->conf, c.p, c.len);
			r->o->conflen = c.len;
			rc = 0;
			if (r->o->check_conf && r->o->check_conf(r->o->arg, c.p, c.len, r->e) < 0)
				rc = vu_err_prefix(r->e, "stream offset %llu",
						   (unsigned long long)r->r.rec_off);
			break;
		case VU_SREC_BASE:
			rc = ph != PH_START ? BAD(r, "base record out of place") : rec_base(r, &c);
			break;
		case VU_SREC_BASE_FILE:
			rc = ph != PH_CONTENT || !r->base_seen ? BAD(r, "base file out of place")
							       : vu_srecv_base_file(r, &c);
			break;
		case VU_SREC_INODE:
			if (ph == PH_START && r->o->need_conf && !r->o->conf)
				return BAD(r, "the stream carries no configuration (guest.conf)");
			if (ph == PH_START && (r->r.flags & VU_STREAM_H_INCREMENTAL) && !r->base_seen)
				return BAD(r, "an incremental stream without its base record");
			rc = ph > PH_MANIFEST ? BAD(r, "inode after the manifest") : rec_inode(r, &c);
			ph = PH_MANIFEST;
			break;
		case VU_SREC_LINK:
			rc = ph != PH_MANIFEST ? BAD(r, "link outside the manifest") : rec_link(r, &c);
			break;
		case VU_SREC_MANIFEST_END:
			rc = ph != PH_MANIFEST ? BAD(r, "manifest end out of place")
					       : rec_manifest_end(r, &c);
			ph = PH_CONTENT;
			break;
		case VU_SREC_OBJECT:
			rc = ph != PH_CONTENT ? BAD(r, "object before the manifest's end")
					      : rec_object(r, &c);
			break;
		case VU_SREC_FILE:
			rc = ph != PH_CONTENT ? BAD(r, "file before the manifest's end")
					      : rec_file(r, &c);
			break;
		case VU_SREC_DATA:
			rc = rec_data(r, &c);
			break;
		case VU_SREC_END:
			rc = ph != PH_CONTENT ? BAD(r, "end out of place") : rec_end(r, &c);
			if (rc == 0)
				return vu_sreader_end(&r->r, r->e);
			break;
		default:
			rc = BAD(r, "unknown record type %u", type);
		}
		if (rc < 0)
			return -1;
	}
}

int vu_stream_receive(int in, int parentfd, const char *name, struct vu_session *s,
		      struct vu_stream_recv_opts *o, struct vu_stream_stats *st,
		      struct vu_err *e)
{
	struct recv r = { .s = s, .o = o, .st = st, .e = e, .parentfd = parentfd, .topname = name,
			  .topfd = -1, .stagefd = -1, .cache_fd = -1, .sinkfd = -1 };
	int rc = -1;

	memset(st, 0, sizeof(*st));
	o->conf = NULL;
	o->conflen = 0;
	r.key = vu_key_new();
	if (!r.key) {
		vu_err_set(e, ENOMEM, "stream");
		goto out;
	}
	if (mkdirat(parentfd, VU_STREAM_STAGE, 0700) < 0) {
		vu_err_set(e, errno, "%s", VU_STREAM_STAGE);
		goto out;
	}
	r.stagefd = openat(parentfd, VU_STREAM_STAGE, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (r.stagefd < 0) {
		vu_err_set(e, errno, "%s", VU_STREAM_STAGE);
		goto out;
	}
	if (vu_sreader_start(&r.r, in, o->stop, e) < 0)
		goto out;
	if ((r.r.flags & VU_STREAM_H_OMITS) && !o->objects_from_store) {
		/* Only a receiver that listed its objects takes any from its
		 * store (stream.h, VU_STREAM_H_OMITS). */
		vu_err_set(e, 0, "stream offset 12: the stream leaves out objects the receiver "
			   "listed as held (it was made for `vserver migrate`'s receiver); refused");
		goto out;
	}
	if ((r.r.flags & VU_STREAM_H_INCREMENTAL) && !o->base_name) {
		vu_err_set(e, 0, "stream offset 12: the stream is incremental (only what changed "
			   "since a base guest): receive it with --incremental-from BASE");
		goto out;
	}
	if (!(r.r.flags & VU_STREAM_H_INCREMENTAL) && o->base_name) {
		vu_err_set(e, 0, "stream offset 12: not an incremental stream (receive it "
			   "without --incremental-from)");
		goto out;
	}
	if (read_stream(&r) < 0)
		goto out;
	/* The whole stream was read and found good: only now the store. */
	if (vu_srecv_finish(&r) < 0)
		goto out;
	rc = 0;
out:
	st->bytes = r.r.off;
	if (r.sinkfd >= 0)
		close(r.sinkfd);
	if (r.cache_fd >= 0)
		close(r.cache_fd);
	if (r.topfd >= 0)
		close(r.topfd);
	if (r.stagefd >= 0) {
		close(r.stagefd);
		vu_rmtree_at(parentfd, VU_STREAM_STAGE);
	}
	if (rc < 0) {
		if (r.top_made)
			vu_rmtree_at(parentfd, name);
		vu_srecv_unmake(&r);
		free(o->conf);
		o->conf = NULL;
	}
	for (uint64_t i = 0; i < r.nin; i++) {
		free(r.in[i].name);
		free(r.in[i].target);
		vu_xattrs_free(&r.in[i].x);
	}
	free(r.in);
	for (size_t i = 0; i < r.nobj; i++)
		vu_xattrs_free(&r.obj[i].x);
	free(r.obj);
	free(r.made);
	free(r.buf);
	free(r.base_ids);
	vu_key_free(r.key);
	vu_sreader_free(&r.r);
	return rc;
}
