// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The last phase of receiving a guest stream (stream.h), entered only once
 * END was read and checked: the staged objects (each one's id already
 * verified) go into the store -- or an instance the store has with the
 * same content is used --, each unified name is linked to its object, and
 * every inode gets its owner, mode, xattrs and times, deepest first.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vunify/cleanup.h"
#include "vunify/copy.h"
#include "vunify/meta.h"
#include "vunify/session.h"
#include "stream-int.h"

/* Same content?  1 yes, 0 no, -1 error. */
static int same_content(int a, int b, uint64_t size)
{
	static uint8_t ba[65536], bb[65536];

	for (uint64_t off = 0; off < size;) {
		size_t want = size - off < sizeof(ba) ? (size_t)(size - off) : sizeof(ba);
		ssize_t na = pread(a, ba, want, (off_t)off), nb = pread(b, bb, want, (off_t)off);

		if (na < 0 || nb < 0)
			return -1;
		if (na != nb || na == 0 || memcmp(ba, bb, (size_t)na))
			return 0;
		off += (uint64_t)na;
	}
	return 1;
}

/* An instance of @ob's id the store already has, with room for a link and
 * (if @src >= 0) the content of @src: 1 found (ob->seq, ob->ostx), 0 none. */
static int find_instance(struct recv *r, struct robj *ob, int src, bool *any)
{
	struct vu_store *st = &r->s->store;
	struct statx ostx;

	*any = false;
	for (unsigned seq = 0; seq < 1024; seq++) {
		_cleanup_close_ int fd = -1;
		struct vu_err e;
		int same = 1;

		if (vu_store_stat(st, &ob->id, seq, &ostx) < 0)
			break;
		*any = true;
		if (!vu_store_has_room(st, &ostx))
			continue;
		/* What the names must show (an instance of an id made with
		 * the mtime ignored may have another). */
		if (!vu_srecv_same_stat(&ostx, &ob->want))
			continue;
		/* Ids are never trusted alone (store.h): the content is
		 * compared before a link -- with what arrived, or, for an
		 * object the stream left out, with the id itself. */
		fd = vu_store_open_object(st, &ob->id, seq, &e);
		if (fd < 0)
			continue;
		if (src >= 0) {
			same = same_content(fd, src, ostx.stx_size);
		} else {
			char what[VU_ID_HEXLEN + 16];
			void *buf = malloc(VU_STREAM_DATA_MAX);
			int kflags = 0;

			vu_id_hex(&ob->id, what);
			same = buf ? vu_stream_object_id_ok(fd, &ostx, &ob->id, buf, &kflags, &e,
							    what) : -1;
			free(buf);
			if (same == 1)
				ob->kflags = (unsigned)kflags;
		}
		if (same == 1) {
			ob->seq = seq;
			ob->ostx = ostx;
			return 1;
		}
	}
	return 0;
}

/* A new instance of @ob from @src (stat @sstx, xattrs @x). */
static int make_instance(struct recv *r, struct robj *ob, int src, const struct statx *sstx,
			 const struct vu_xattrs *x)
{
	char hex[VU_ID_HEXLEN + 1];
	unsigned seq = 0;
	int fd;

	vu_id_hex(&ob->id, hex);
	fd = vu_store_create(&r->s->store, &ob->id, src, sstx, x, &seq, &ob->ostx, r->e, hex);
	if (fd < 0)
		return -1;
	close(fd);
	ob->seq = seq;
	/* Noted, so that a failure later removes it again (a full instance's
	 * successor too). */
	if (r->nmade == r->capmade) {
		size_t cap = r->capmade ? r->capmade * 2 : 64;
		void *q = realloc(r->made, cap * sizeof(*r->made));

		if (!q) {
			struct vu_err e2;

			vu_store_remove_unused(&r->s->store, &ob->id, seq, &ob->ostx, &e2);
			return vu_err_set(r->e, ENOMEM, "object list");
		}
		r->made = q;
		r->capmade = cap;
	}
	r->made[r->nmade++] = (struct made){ .id = ob->id, .seq = seq, .stx = ob->ostx };
	r->st->objects_new++;
	return vu_session_object_found(r->s, &ob->id, seq, &ob->ostx, ob->kflags, r->e);
}

/* The instance the names of @ob will link to. */
static int place_object(struct recv *r, struct robj *ob)
{
	char hex[VU_ID_HEXLEN + 1];
	_cleanup_close_ int src = -1;
	bool any;

	vu_id_hex(&ob->id, hex);
	if (!ob->staged) {
		/* Only a receiver that listed its objects, or one whose base
		 * guest links to this one, takes it from its store. */
		if (!(r->o->objects_from_store && (r->r.flags & VU_STREAM_H_OMITS)) &&
		    !vu_have_has(r->base_ids, r->nbase_ids, &ob->id))
			return vu_err_set(r->e, 0, "stream offset %llu: object %s is not in the "
					  "stream", (unsigned long long)r->r.rec_off, hex);
		/* Left out by a sender that knew we have it. */
		if (find_instance(r, ob, -1, &any) == 1) {
			r->st->objects_had++;
			return 0;
		}
		if (!any)
			return vu_err_set(r->e, 0, "object %s: neither in the stream nor in the "
					  "store %s", hex, r->s->store.path);
		return vu_err_set(r->e, 0, "object %s: left out of the stream, but no instance "
				  "in the store %s has that id, the manifest's stat and room for "
				  "a link (refused)", hex, r->s->store.path);
	}
	src = openat(r->stagefd, hex, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (src < 0)
		return vu_err_set(r->e, errno, "object %s: staged copy", hex);
	if (find_instance(r, ob, src, &any) == 1) {
		r->st->objects_had++;
		return 0;
	}
	return make_instance(r, ob, src, &ob->stx, &ob->x);
}

static int obj_cmp(const void *a, const void *b)
{
	return vu_id_cmp(&((const struct robj *)a)->id, &((const struct robj *)b)->id);
}

/* Link unified name @n to its object; a full instance gets a successor. */
static int link_name(struct recv *r, struct rinode *n, int pfd)
{
	struct robj key = { .id = n->id }, *ob;
	struct vu_store *st = &r->s->store;
	char name[VU_STORE_NAME_MAX], hex[VU_ID_HEXLEN + 1];

	ob = bsearch(&key, r->obj, r->nobj, sizeof(*r->obj), obj_cmp);
	if (!ob)
		return vu_err_set(r->e, 0, "%s: no object", n->name);
	vu_id_hex(&ob->id, hex);
	/* The guest sees the object's stat: it must be what the manifest says. */
	if (!vu_srecv_same_stat(&ob->ostx, &n->stx))
		return vu_err_set(r->e, 0, "%s: object %s does not have the file's owner, mode, "
				  "size or mtime (refused)", n->name, hex);
	for (int tries = 0; tries < 2; tries++) {
		struct vu_err e2;
		struct statx now;
		int dfd = vu_store_subdir(st, &ob->id, false, r->e), pin, rc;

		if (dfd < 0)
			return -1;
		pin = vu_store_pin(st, &ob->id, ob->seq, &ob->ostx, r->e);
		if (pin < 0)
			return vu_err_prefix(r->e, "object %s", hex);
		vu_store_name(&ob->id, ob->seq, name);
		/* Full by the store's own rule too (VUNIFY_LINK_MAX). */
		if (vu_meta_statx(pin, "", &now) == 0 && !vu_store_has_room(st, &now)) {
			rc = -1;
			errno = EMLINK;
		} else {
			rc = linkat(dfd, name, pfd, n->name, 0);
		}
		if (rc == 0) {
			close(pin);
			return 0;
		}
		if (errno != EMLINK) {
			rc = vu_err_set(r->e, errno, "%s: link to object %s", n->name, hex);
			close(pin);
			return rc;
		}
		/* Full: a further instance, copied from this one. */
		{
			struct vu_xattrs x = { 0 };
			struct statx sstx = ob->ostx;

			rc = vu_xattrs_read_fd(pin, &x, &e2, hex);
			if (rc == 0)
				rc = make_instance(r, ob, pin, &sstx, &x);
			vu_xattrs_free(&x);
			close(pin);
			if (rc < 0)
				return rc;
		}
	}
	return vu_err_set(r->e, EMLINK, "%s: link to object %s", n->name, hex);
}

/* Owner, mode, xattrs and times of inode @i (not a unified name). */
static int apply_meta(struct recv *r, uint64_t i)
{
	struct rinode *n = &r->in[i - 1];
	_cleanup_close_ int pfd = -1, fd = -1;
	const char *what = i == 1 ? "/" : n->name;

	if (i == 1)
		return vu_copy_meta_fd(r->topfd, &n->stx, &n->x, NULL, r->e, what);
	pfd = vu_srecv_dir_open(r, n->parent);
	if (pfd < 0)
		return vu_err_set(r->e, errno, "%s: its directory", what);
	if (S_ISREG(n->stx.stx_mode) || S_ISDIR(n->stx.stx_mode)) {
		fd = openat(pfd, n->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
			    (S_ISDIR(n->stx.stx_mode) ? O_DIRECTORY : 0));
		if (fd < 0)
			return vu_err_set(r->e, errno, "%s", what);
		return vu_copy_meta_fd(fd, &n->stx, &n->x, NULL, r->e, what);
	}
	return vu_copy_meta_at(pfd, n->name, &n->stx, &n->x, r->e, what);
}

int vu_srecv_finish(struct recv *r)
{
	for (uint64_t i = 1; i <= r->nin; i++) {
		const struct rinode *n = &r->in[i - 1];

		if (S_ISREG(n->stx.stx_mode) && !(n->flags & VU_STREAM_F_OBJECT) &&
		    n->stx.stx_size > 0 && !n->filled)
			return vu_err_set(r->e, 0, "stream offset %llu: the content of %s never came",
					  (unsigned long long)r->r.rec_off, n->name);
	}
	/* The objects left out first: checking them changes nothing, so a
	 * store that lacks one is refused before anything is added to it. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < r->nobj; i++) {
			if (r->obj[i].staged != (pass == 1))
				continue;
			if (r->o->stop && *r->o->stop)
				return vu_err_set(r->e, EINTR, "interrupted");
			if (place_object(r, &r->obj[i]) < 0)
				return -1;
		}
	for (uint64_t i = 1; i <= r->nin; i++) {
		struct rinode *n = &r->in[i - 1];
		int pfd, rc;

		if (!(n->flags & VU_STREAM_F_OBJECT))
			continue;
		pfd = vu_srecv_dir_open(r, n->parent);
		if (pfd < 0)
			return vu_err_set(r->e, errno, "%s: its directory", n->name);
		rc = link_name(r, n, pfd);
		close(pfd);
		if (rc < 0)
			return -1;
	}
	for (uint64_t i = r->nin; i >= 1; i--) {
		if (r->in[i - 1].flags & VU_STREAM_F_OBJECT)
			continue;
		if (r->o->stop && *r->o->stop)
			return vu_err_set(r->e, EINTR, "interrupted");
		if (apply_meta(r, i) < 0)
			return -1;
	}
	return 0;
}

void vu_srecv_unmake(struct recv *r)
{
	for (size_t i = 0; i < r->nmade; i++) {
		struct vu_err e;

		vu_store_remove_unused(&r->s->store, &r->made[i].id, r->made[i].seq,
				       &r->made[i].stx, &e);
	}
}
