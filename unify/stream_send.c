// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Sending a guest tree as a stream (format: include/vunify/stream.h).
 *
 * One walk writes the manifest and notes the private files and the
 * objects; then the objects (each id once, read from the store and checked
 * against its id on the way: a damaged object is never sent as good) and
 * the private files' contents follow.  Files are reopened below the top by
 * their path (resolve.h: no symlink, no mount) and must be the inode the
 * walk saw, unchanged.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "vunify/cleanup.h"
#include "vunify/key.h"
#include "vunify/meta.h"
#include "vunify/resolve.h"
#include "vunify/stream.h"
#include "vunify/walk.h"
#include "vunify/xattr.h"

struct sfile {                   /* a private regular file, sent after the manifest */
	uint64_t ino;
	char *path;
	struct statx stx;
};

struct sobj {                    /* an object, sent once */
	struct vu_id id;
	unsigned seq;
};

struct hl {                      /* the sender's inode -> stream ino, for hardlinks */
	uint64_t dev_ino, sino;
};

struct send {
	struct vu_swriter w;
	struct vu_store *store;
	const struct vu_stream_send_opts *o;
	struct vu_stream_stats *st;
	struct vu_sbuf b;
	uint64_t next_ino;
	struct sfile *files;
	size_t nfiles, capfiles;
	struct sobj *objs;
	size_t nobjs, capobjs;
	struct hl *hl;
	size_t nhl, caphl;
	uint8_t *data;               /* VU_STREAM_DATA_MAX */
	uint8_t *bdata;              /* incremental: the base file's, as much */
	struct vu_id *base_ids;      /* incremental: objects the base links to */
	size_t nbase_ids;
	struct vu_err *e;
	int topfd;
	bool failed;
};

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
	void *q;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 64;
	q = realloc(*p, c * size);
	if (!q)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

static size_t hl_slot(const struct hl *t, size_t cap, uint64_t key)
{
	size_t i = (size_t)(key * 0x9e3779b97f4a7c15ull) & (cap - 1);

	while (t[i].sino && t[i].dev_ino != key)
		i = (i + 1) & (cap - 1);
	return i;
}

static uint64_t hl_find(struct send *s, uint64_t ino)
{
	return s->caphl ? s->hl[hl_slot(s->hl, s->caphl, ino)].sino : 0;
}

static int hl_add(struct send *s, uint64_t ino, uint64_t sino)
{
	if ((s->nhl + 1) * 2 > s->caphl) {
		size_t cap = s->caphl ? s->caphl * 2 : 64;
		struct hl *n = calloc(cap, sizeof(*n));

		if (!n)
			return -1;
		for (size_t i = 0; i < s->caphl; i++)
			if (s->hl[i].sino)
				n[hl_slot(n, cap, s->hl[i].dev_ino)] = s->hl[i];
		free(s->hl);
		s->hl = n;
		s->caphl = cap;
	}
	s->hl[hl_slot(s->hl, s->caphl, ino)] = (struct hl){ .dev_ino = ino, .sino = sino };
	s->nhl++;
	return 0;
}

static void put_ts(struct vu_sbuf *b, const struct statx_timestamp *t)
{
	vu_sbuf_u64(b, (uint64_t)t->tv_sec);
	vu_sbuf_u32(b, t->tv_nsec);
}

static void put_xattrs(struct vu_sbuf *b, const struct vu_xattrs *x)
{
	size_t n = 0;

	for (size_t i = 0; i < x->n; i++)
		if (strcmp(x->v[i].name, VU_USAGE_XATTR))
			n++;
	vu_sbuf_u32(b, (uint32_t)n);
	for (size_t i = 0; i < x->n; i++) {
		/* vunifyfs's usage record describes the tree where it is;
		 * the receiver's vunifyfs counts its own. */
		if (!strcmp(x->v[i].name, VU_USAGE_XATTR))
			continue;
		vu_sbuf_str(b, x->v[i].name, strlen(x->v[i].name));
		vu_sbuf_str(b, x->v[i].value, x->v[i].len);
	}
}

/* Is the marked file @stx an object of our store?  Its id and instance. */
static bool find_object(struct send *s, const struct vu_xattrs *x, const struct statx *stx,
			struct sobj *out)
{
	struct statx ostx;

	if (!x->marked || vu_id_parse(x->mark, x->mark_len, &out->id) < 0)
		return false;
	for (unsigned seq = 0; seq < 1024; seq++) {
		if (vu_store_stat(s->store, &out->id, seq, &ostx) < 0)
			return false;
		if (vu_meta_same_inode(&ostx, stx)) {
			out->seq = seq;
			return true;
		}
	}
	return false;
}

static int note_object(struct send *s, const struct sobj *ob)
{
	if (grow((void **)&s->objs, &s->capobjs, s->nobjs, sizeof(*s->objs)) < 0)
		return vu_err_set(s->e, ENOMEM, "object list");
	s->objs[s->nobjs++] = *ob;
	return 0;
}

static int obj_cmp(const void *a, const void *b)
{
	return vu_id_cmp(&((const struct sobj *)a)->id, &((const struct sobj *)b)->id);
}

/* Each id once (several names of one object, or instances of one id). */
static void unique_objects(struct send *s)
{
	size_t n = 0;

	qsort(s->objs, s->nobjs, sizeof(*s->objs), obj_cmp);
	for (size_t i = 0; i < s->nobjs; i++)
		if (!n || !vu_id_eq(&s->objs[n - 1].id, &s->objs[i].id))
			s->objs[n++] = s->objs[i];
	s->nobjs = n;
}

static int emit_inode(struct send *s, uint64_t parent, const char *name, const struct statx *x,
		      const struct vu_xattrs *xa, const char *target, size_t tlen,
		      const struct sobj *ob)
{
	struct vu_sbuf *b = &s->b;

	vu_sbuf_reset(b);
	vu_sbuf_u64(b, ++s->next_ino);
	vu_sbuf_u64(b, parent);
	vu_sbuf_str(b, name, strlen(name));
	vu_sbuf_u32(b, x->stx_mode);
	vu_sbuf_u32(b, x->stx_uid);
	vu_sbuf_u32(b, x->stx_gid);
	vu_sbuf_u32(b, ob ? VU_STREAM_F_OBJECT : 0);
	vu_sbuf_u64(b, S_ISREG(x->stx_mode) ? x->stx_size : 0);
	put_ts(b, &x->stx_atime);
	put_ts(b, &x->stx_mtime);
	vu_sbuf_u32(b, x->stx_rdev_major);
	vu_sbuf_u32(b, x->stx_rdev_minor);
	vu_sbuf_str(b, target, tlen);
	put_xattrs(b, xa);
	if (ob)
		vu_sbuf_raw(b, ob->id.b, sizeof(ob->id.b));
	if (b->oom)
		return vu_err_set(s->e, ENOMEM, "manifest");
	s->st->inodes++;
	return vu_swriter_put(&s->w, VU_SREC_INODE, b->p, b->len, s->e);
}

static int read_target(const struct vu_walk_entry *ent, char **out, size_t *len)
{
	size_t size = ent->stx->stx_size + 2;
	char *t = NULL;
	ssize_t n;

	for (;;) {
		char *p = realloc(t, size);

		if (!p) {
			free(t);
			errno = ENOMEM;
			return -1;
		}
		t = p;
		n = readlinkat(ent->dirfd, ent->name, t, size);
		if (n < 0 || (size_t)n < size)
			break;
		size *= 2;
	}
	if (n < 0) {
		free(t);
		return -1;
	}
	/* readlink(2) moves a symlink's atime (there is no O_NOATIME for
	 * it): put it back, sending changes nothing a guest sees. */
	{
		struct timespec ts[2] = { vu_meta_ts(&ent->stx->stx_atime), { .tv_nsec = UTIME_OMIT } };
		struct statx now;

		if (vu_meta_statx(ent->dirfd, ent->name, &now) == 0 && S_ISLNK(now.stx_mode) &&
		    !vu_meta_ts_eq(&now.stx_atime, &ent->stx->stx_atime))
			utimensat(ent->dirfd, ent->name, ts, AT_SYMLINK_NOFOLLOW);
	}
	*out = t;
	*len = (size_t)n;
	return 0;
}

static int send_entry(void *arg, const struct vu_walk_entry *ent, void **data)
{
	struct send *s = arg;
	const struct statx *x = ent->stx;
	uint64_t parent = (uint64_t)(uintptr_t)ent->parent, first;
	struct vu_xattrs xa = { 0 };
	_cleanup_free_ char *target = NULL;
	size_t tlen = 0;
	struct sobj ob;
	bool object = false;
	char what[4096 + 256];
	int r = -1;

	if (ent->reserved || (ent->mount_point && !S_ISDIR(x->stx_mode)))
		return VU_WALK_NEXT;    /* never part of what a guest sees */
	if (s->o->stop && *s->o->stop) {
		vu_err_set(s->e, EINTR, "interrupted");
		goto out;
	}
	snprintf(what, sizeof(what), "%s%s", s->o->label, ent->path);
	/* A hardlink the guest made: another name for what was sent. */
	if (!S_ISDIR(x->stx_mode) && x->stx_nlink > 1 && (first = hl_find(s, x->stx_ino))) {
		struct vu_sbuf *b = &s->b;

		vu_sbuf_reset(b);
		vu_sbuf_u64(b, parent);
		vu_sbuf_str(b, ent->name, strlen(ent->name));
		vu_sbuf_u64(b, first);
		s->st->links++;
		if (b->oom)
			return vu_err_set(s->e, ENOMEM, "manifest"), VU_WALK_STOP;
		return vu_swriter_put(&s->w, VU_SREC_LINK, b->p, b->len, s->e) < 0 ? VU_WALK_STOP
										     : VU_WALK_NEXT;
	}
	if (vu_xattrs_read_at(ent->dirfd, ent->name, &xa, s->e, what) < 0)
		goto out;
	if (S_ISLNK(x->stx_mode) && read_target(ent, &target, &tlen) < 0) {
		vu_err_set(s->e, errno, "%s: readlink", what);
		goto out;
	}
	if (S_ISREG(x->stx_mode) && x->stx_nlink > 1)
		object = find_object(s, &xa, x, &ob);
	if (emit_inode(s, parent, ent->name, x, &xa, target, tlen, object ? &ob : NULL) < 0)
		goto out;
	if (object) {
		s->st->unified++;
		if (note_object(s, &ob) < 0)
			goto out;
	} else if (S_ISREG(x->stx_mode) && x->stx_size > 0) {
		if (grow((void **)&s->files, &s->capfiles, s->nfiles, sizeof(*s->files)) < 0) {
			vu_err_set(s->e, ENOMEM, "file list");
			goto out;
		}
		s->files[s->nfiles] = (struct sfile){ .ino = s->next_ino, .stx = *x,
						      .path = strdup(ent->path) };
		if (!s->files[s->nfiles++].path) {
			vu_err_set(s->e, ENOMEM, "file list");
			goto out;
		}
	}
	if (!object && !S_ISDIR(x->stx_mode) && x->stx_nlink > 1 &&
	    hl_add(s, x->stx_ino, s->next_ino) < 0) {
		vu_err_set(s->e, ENOMEM, "hardlink list");
		goto out;
	}
	r = 0;
out:
	vu_xattrs_free(&xa);
	if (r < 0)
		return VU_WALK_STOP;
	if (S_ISDIR(x->stx_mode) && !ent->mount_point) {
		*data = (void *)(uintptr_t)s->next_ino;
		return VU_WALK_DESCEND;
	}
	return VU_WALK_NEXT;
}

static void send_error(void *arg, const struct vu_err *e)
{
	struct send *s = arg;

	/* The walk goes on after errors; a stream must be all or nothing. */
	if (!s->failed)
		*s->e = *e;
	s->failed = true;
}

/* Send the content of @fd (@size bytes) as DATA records, holes left out;
 * with @k, feed it (zeros for holes) into the key as well. */
static int send_data(struct send *s, int fd, uint64_t size, struct vu_key *k, const char *what)
{
	static const uint8_t zeros[64 * 1024];
	uint64_t off = 0;

	while (off < size) {
		uint64_t data, hole;

		if (vu_stream_next_data(fd, off, size, &data, &hole) < 0)
			return vu_err_set(s->e, errno, "%s: seek", what);
		for (; k && off < data; ) {
			size_t n = data - off < sizeof(zeros) ? (size_t)(data - off) : sizeof(zeros);

			vu_key_update(k, zeros, n);
			off += n;
		}
		off = data;
		while (off < hole) {
			size_t want = hole - off < VU_STREAM_DATA_MAX ? (size_t)(hole - off)
								      : VU_STREAM_DATA_MAX;
			ssize_t n = pread(fd, s->data + 8, want, (off_t)off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return vu_err_set(s->e, errno, "%s: read", what);
			if (n == 0)
				return vu_err_set(s->e, ESTALE, "%s: changed while it was sent", what);
			for (int i = 0; i < 8; i++)
				s->data[i] = (uint8_t)(off >> (8 * i));
			if (k)
				vu_key_update(k, s->data + 8, (size_t)n);
			if (vu_swriter_put(&s->w, VU_SREC_DATA, s->data, 8 + (size_t)n, s->e) < 0)
				return -1;
			off += (uint64_t)n;
		}
		if (s->o->stop && *s->o->stop)
			return vu_err_set(s->e, EINTR, "interrupted");
	}
	return 0;
}

/* Has the base guest's file at @path the content of @fd (@size bytes)?
 * 1 yes (*@hash: XXH64 of it, as stream_incr.c computes it), 0 no, -1 on
 * an error reading @fd. */
static int base_same(struct send *s, const char *path, int fd, uint64_t size, uint64_t *hash,
		     const char *what)
{
	_cleanup_close_ int bfd = vu_stream_base_open(s->o->basefd, path);
	XXH64_state_t *h;
	struct stat bst;
	int rc = 0;

	if (bfd < 0 || fstat(bfd, &bst) < 0 || (uint64_t)bst.st_size != size)
		return 0;               /* new, or not a file there: sent */
	h = XXH64_createState();
	if (!h)
		return vu_err_set(s->e, ENOMEM, "%s", what);
	XXH64_reset(h, 0);
	for (uint64_t off = 0; off < size;) {
		size_t want = size - off < VU_STREAM_DATA_MAX ? (size_t)(size - off)
							      : VU_STREAM_DATA_MAX;
		ssize_t a = pread(fd, s->data, want, (off_t)off), b;

		if (a < 0 && errno == EINTR)
			continue;
		if (a <= 0) {
			rc = a < 0 ? vu_err_set(s->e, errno, "%s: read", what)
				   : vu_err_set(s->e, ESTALE, "%s: changed while it was sent", what);
			goto out;
		}
		b = pread(bfd, s->bdata, (size_t)a, (off_t)off);
		if (b != a || memcmp(s->data, s->bdata, (size_t)a))
			goto out;       /* changed (or unreadable there): sent */
		XXH64_update(h, s->data, (size_t)a);
		off += (uint64_t)a;
	}
	*hash = XXH64_digest(h);
	rc = 1;
out:
	XXH64_freeState(h);
	return rc;
}

static int send_file(struct send *s, const struct sfile *f)
{
	char dir[4096], what[4096 + 256];
	const char *base = vu_resolve_split(f->path, dir, sizeof(dir));
	_cleanup_close_ int dfd = -1, fd = -1;
	struct statx now;
	uint8_t rec[16];

	snprintf(what, sizeof(what), "%s%s", s->o->label, f->path);
	if (!base)
		return vu_err_set(s->e, ENAMETOOLONG, "%s", what);
	dfd = vu_resolve_dir(s->topfd, dir, 0);
	if (dfd >= 0)
		fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOATIME | O_CLOEXEC);
	if (fd < 0 && errno == EPERM && dfd >= 0)
		fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return vu_err_set(s->e, errno, "%s", what);
	if (vu_meta_statx(fd, "", &now) < 0 || !vu_meta_unchanged(&now, &f->stx))
		return vu_err_set(s->e, ESTALE, "%s: changed while it was sent", what);
	for (int i = 0; i < 8; i++)
		rec[i] = (uint8_t)(f->ino >> (8 * i));
	if (s->o->base_name) {
		uint64_t hash = 0;
		int same = base_same(s, f->path, fd, now.stx_size, &hash, what);

		if (same < 0)
			return -1;
		if (same) {
			/* Unchanged since the base: its hash stands for it. */
			for (int i = 0; i < 8; i++)
				rec[8 + i] = (uint8_t)(hash >> (8 * i));
			if (vu_swriter_put(&s->w, VU_SREC_BASE_FILE, rec, sizeof(rec), s->e) < 0)
				return -1;
			if (vu_meta_statx(fd, "", &now) < 0 || !vu_meta_unchanged(&now, &f->stx))
				return vu_err_set(s->e, ESTALE, "%s: changed while it was sent",
						  what);
			s->st->base_files++;
			s->st->base_file_bytes += now.stx_size;
			return 0;
		}
	}
	if (vu_swriter_put(&s->w, VU_SREC_FILE, rec, 8, s->e) < 0 ||
	    send_data(s, fd, now.stx_size, NULL, what) < 0)
		return -1;
	if (vu_meta_statx(fd, "", &now) < 0 || !vu_meta_unchanged(&now, &f->stx))
		return vu_err_set(s->e, ESTALE, "%s: changed while it was sent", what);
	s->st->files++;
	s->st->file_bytes += now.stx_size;
	return 0;
}

/* One object: its record, then its content.  Its id is checked first
 * (with the key flags it was made with: plain, or mtime ignored), so that
 * a damaged object is never sent as good and the receiver learns the
 * flags it needs to check the id itself. */
static int send_object(struct send *s, const struct sobj *ob)
{
	_cleanup_close_ int fd = -1;
	struct vu_xattrs xa = { 0 };
	struct statx stx;
	char hex[VU_ID_HEXLEN + 1], what[4096 + 64];
	struct vu_sbuf *b = &s->b;
	int flags = -1, rc = -1, k;

	vu_id_hex(&ob->id, hex);
	snprintf(what, sizeof(what), "%s/%s/%s", s->store->path, VU_STORE_OBJECTS, hex);
	fd = vu_store_open_object(s->store, &ob->id, ob->seq, s->e);
	if (fd < 0)
		goto out;
	if (vu_meta_statx(fd, "", &stx) < 0) {
		vu_err_set(s->e, errno, "%s", what);
		goto out;
	}
	if (vu_xattrs_read_fd(fd, &xa, s->e, what) < 0)
		goto out;
	k = vu_stream_object_id_ok(fd, &stx, &ob->id, s->data, &flags, s->e, what);
	if (k < 0)
		goto out;
	if (k == 0) {
		vu_err_set(s->e, 0, "%s: its content does not match its id (a damaged object; "
			   "vhashify verify tells more)", what);
		goto out;
	}
	vu_sbuf_reset(b);
	vu_sbuf_raw(b, ob->id.b, sizeof(ob->id.b));
	vu_sbuf_u32(b, (uint32_t)flags);
	vu_sbuf_u64(b, stx.stx_size);
	vu_sbuf_u32(b, stx.stx_mode);
	vu_sbuf_u32(b, stx.stx_uid);
	vu_sbuf_u32(b, stx.stx_gid);
	put_ts(b, &stx.stx_atime);
	put_ts(b, &stx.stx_mtime);
	put_xattrs(b, &xa);
	if (b->oom) {
		vu_err_set(s->e, ENOMEM, "%s", what);
		goto out;
	}
	if (vu_swriter_put(&s->w, VU_SREC_OBJECT, b->p, b->len, s->e) < 0 ||
	    send_data(s, fd, stx.stx_size, NULL, what) < 0)
		goto out;
	s->st->objects++;
	s->st->object_bytes += stx.stx_size;
	rc = 0;
out:
	vu_xattrs_free(&xa);
	return rc;
}

int vu_stream_send(int topfd, struct vu_store *store, int out,
		   const struct vu_stream_send_opts *o, struct vu_stream_stats *st,
		   struct vu_err *e)
{
	static const struct vu_walk_ops ops = { .entry = send_entry, .error = send_error };
	struct send s = { .store = store, .o = o, .st = st, .e = e, .topfd = topfd };
	struct vu_xattrs xa = { 0 };
	struct statx top;
	struct vu_sbuf *b = &s.b;
	int rc = -1;

	memset(st, 0, sizeof(*st));
	s.data = malloc(VU_STREAM_DATA_MAX + 8);
	if (!s.data) {
		vu_err_set(e, ENOMEM, "stream buffer");
		goto out;
	}
	if (o->base_name) {
		s.bdata = malloc(VU_STREAM_DATA_MAX);
		if (!s.bdata) {
			vu_err_set(e, ENOMEM, "stream buffer");
			goto out;
		}
		if (vu_stream_base_ids(o->basefd, o->base_name, &s.base_ids, &s.nbase_ids, e) < 0)
			goto out;
	}
	if (vu_swriter_start_flags(&s.w, out, (o->have ? VU_STREAM_H_OMITS : 0) |
				   (o->base_name ? VU_STREAM_H_INCREMENTAL : 0), e) < 0)
		goto out;
	s.w.progress = o->progress;
	s.w.progress_arg = o->progress_arg;
	if (o->conf && vu_swriter_put(&s.w, VU_SREC_CONFIG, o->conf, o->conflen, e) < 0)
		goto out;
	if (o->base_name) {
		vu_sbuf_reset(b);
		vu_sbuf_str(b, o->base_name, strlen(o->base_name));
		if (b->oom) {
			vu_err_set(e, ENOMEM, "stream");
			goto out;
		}
		if (vu_swriter_put(&s.w, VU_SREC_BASE, b->p, b->len, e) < 0)
			goto out;
	}
	if (vu_meta_statx(topfd, "", &top) < 0) {
		vu_err_set(e, errno, "%s", o->label);
		goto out;
	}
	if (vu_xattrs_read_fd(topfd, &xa, e, o->label) < 0 ||
	    emit_inode(&s, 0, "", &top, &xa, NULL, 0, NULL) < 0)
		goto out;
	if (vu_walk(topfd, o->label, NULL, &ops, &s, (void *)(uintptr_t)1, e) < 0 || s.failed)
		goto out;
	vu_sbuf_reset(b);
	vu_sbuf_u64(b, st->inodes);
	vu_sbuf_u64(b, st->links);
	if (vu_swriter_put(&s.w, VU_SREC_MANIFEST_END, b->p, b->len, e) < 0)
		goto out;
	unique_objects(&s);
	for (size_t i = 0; i < s.nobjs; i++) {
		/* The receiver has it: the manifest's id is all it needs. */
		if (vu_have_has(o->have, o->nhave, &s.objs[i].id) ||
		    vu_have_has(s.base_ids, s.nbase_ids, &s.objs[i].id)) {
			st->objects_left_out++;
			continue;
		}
		if (send_object(&s, &s.objs[i]) < 0)
			goto out;
	}
	for (size_t i = 0; i < s.nfiles; i++)
		if (send_file(&s, &s.files[i]) < 0)
			goto out;
	vu_sbuf_reset(b);
	vu_sbuf_u64(b, s.w.records);
	vu_sbuf_u64(b, st->objects);
	vu_sbuf_u64(b, st->files + st->base_files);
	if (vu_swriter_put(&s.w, VU_SREC_END, b->p, b->len, e) < 0)
		goto out;
	rc = 0;
out:
	st->bytes = s.w.off;
	vu_xattrs_free(&xa);
	vu_swriter_free(&s.w);
	vu_sbuf_free(&s.b);
	for (size_t i = 0; i < s.nfiles; i++)
		free(s.files[i].path);
	free(s.files);
	free(s.objs);
	free(s.hl);
	free(s.data);
	free(s.bdata);
	free(s.base_ids);
	return rc;
}
