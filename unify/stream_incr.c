// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Incremental streams (include/vunify/stream.h, VU_STREAM_H_INCREMENTAL):
 * what both ends need of the base guest -- the ids of the objects its tree
 * links to, a private file of it found by the path a manifest gives, and
 * the content hash both compute of such a file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "vunify/meta.h"
#include "vunify/resolve.h"
#include "vunify/stream.h"
#include "vunify/walk.h"
#include "vunify/xattr.h"
#include "stream-int.h"

struct ids {
	struct vu_id *v;
	size_t n, cap;
	struct vu_err *e;
	bool failed;
};

static int id_entry(void *arg, const struct vu_walk_entry *ent, void **data)
{
	struct ids *l = arg;
	struct vu_xattrs x = { 0 };
	struct vu_id id;

	if (ent->reserved || ent->mount_point)
		return VU_WALK_NEXT;
	if (S_ISDIR(ent->stx->stx_mode))
		return VU_WALK_DESCEND;
	if (!S_ISREG(ent->stx->stx_mode) || ent->stx->stx_nlink < 2)
		return VU_WALK_NEXT;
	if (vu_xattrs_read_at(ent->dirfd, ent->name, &x, l->e, ent->path) < 0) {
		l->failed = true;
		return VU_WALK_STOP;
	}
	if (x.marked && vu_id_parse(x.mark, x.mark_len, &id) == 0) {
		if (l->n == l->cap) {
			size_t cap = l->cap ? l->cap * 2 : 1024;
			struct vu_id *q = realloc(l->v, cap * sizeof(*q));

			if (!q) {
				vu_xattrs_free(&x);
				vu_err_set(l->e, ENOMEM, "object list");
				l->failed = true;
				return VU_WALK_STOP;
			}
			l->v = q;
			l->cap = cap;
		}
		l->v[l->n++] = id;
	}
	vu_xattrs_free(&x);
	return VU_WALK_NEXT;
}

static void id_error(void *arg, const struct vu_err *e)
{
	struct ids *l = arg;

	if (!l->failed)
		*l->e = *e;
	l->failed = true;
}

static int id_cmp(const void *a, const void *b)
{
	return vu_id_cmp(a, b);
}

int vu_stream_base_ids(int basefd, const char *label, struct vu_id **ids, size_t *n,
		       struct vu_err *e)
{
	static const struct vu_walk_ops ops = { .entry = id_entry, .error = id_error };
	struct ids l = { .e = e };
	size_t k = 0;

	*ids = NULL;
	*n = 0;
	if (vu_walk(basefd, label, NULL, &ops, &l, NULL, e) < 0 || l.failed) {
		free(l.v);
		return -1;
	}
	if (l.n)           /* qsort(NULL, 0) is undefined */
		qsort(l.v, l.n, sizeof(*l.v), id_cmp);
	for (size_t i = 0; i < l.n; i++)
		if (!k || !vu_id_eq(&l.v[k - 1], &l.v[i]))
			l.v[k++] = l.v[i];
	*ids = l.v;
	*n = k;
	return 0;
}

int vu_stream_base_open(int basefd, const char *path)
{
	char dir[4096];
	const char *name = vu_resolve_split(path, dir, sizeof(dir));
	struct stat st;
	int dfd, fd;

	if (!name) {
		errno = ENAMETOOLONG;
		return -1;
	}
	dfd = vu_resolve_dir(basefd, dir, 0);
	if (dfd < 0)
		return -1;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOATIME | O_CLOEXEC);
	if (fd < 0 && errno == EPERM)
		fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	close(dfd);
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

int vu_stream_next_data(int fd, uint64_t off, uint64_t size, uint64_t *data, uint64_t *hole)
{
	off_t d = lseek(fd, (off_t)off, SEEK_DATA), h;

	if (d < 0 && errno == ENXIO) {
		*data = *hole = size;           /* a hole up to the end */
	} else if (d < 0 && (errno == EINVAL || errno == EOPNOTSUPP)) {
		*data = off;                    /* no hole reporting: all data */
		*hole = size;
	} else if (d < 0) {
		return -1;
	} else {
		h = lseek(fd, d, SEEK_HOLE);
		*data = (uint64_t)d < size ? (uint64_t)d : size;
		*hole = h < 0 || (uint64_t)h > size ? size : (uint64_t)h;
	}
	return 0;
}

/* Read @fd's @size bytes (holes as zeros) into @h, and if @out >= 0 write
 * what is not a hole there (holes stay holes).  0, or -1 with errno. */
static int hash_copy(int fd, uint64_t size, XXH64_state_t *h, int out, uint8_t *buf,
		     size_t bufsize)
{
	static const uint8_t zeros[65536];
	uint64_t off = 0;

	while (off < size) {
		uint64_t data, hole;

		if (vu_stream_next_data(fd, off, size, &data, &hole) < 0)
			return -1;
		while (off < data) {
			size_t k = data - off < sizeof(zeros) ? (size_t)(data - off) : sizeof(zeros);

			XXH64_update(h, zeros, k);
			off += k;
		}
		while (off < hole) {
			size_t want = hole - off < bufsize ? (size_t)(hole - off) : bufsize;
			ssize_t k = pread(fd, buf, want, (off_t)off);

			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0)
				return -1;
			if (k == 0) {
				errno = ESTALE;     /* shorter than its size */
				return -1;
			}
			XXH64_update(h, buf, (size_t)k);
			for (ssize_t done = 0; out >= 0 && done < k;) {
				ssize_t w = pwrite(out, buf + done, (size_t)(k - done),
						   (off_t)off + done);

				if (w < 0 && errno == EINTR)
					continue;
				if (w < 0)
					return -1;
				done += w;
			}
			off += (uint64_t)k;
		}
	}
	return 0;
}

int vu_stream_content_hash(int fd, uint64_t size, int out, void *buf, size_t bufsize,
			   uint64_t *hash)
{
	XXH64_state_t *h = XXH64_createState();
	int rc;

	if (!h) {
		errno = ENOMEM;
		return -1;
	}
	XXH64_reset(h, 0);
	rc = hash_copy(fd, size, h, out, buf, bufsize);
	*hash = XXH64_digest(h);
	XXH64_freeState(h);
	if (rc == 0 && out >= 0 && ftruncate(out, (off_t)size) < 0)
		rc = -1;
	return rc;
}

/* The path of received inode @ino ("/a/b"), from the manifest's names. */
static int inode_path(struct recv *r, uint64_t ino, char *out, size_t size)
{
	const char *names[VU_STREAM_DEPTH_MAX + 1];
	size_t n = 0, len = 0;

	for (uint64_t i = ino; i != 1; i = r->in[i - 1].parent)
		names[n++] = r->in[i - 1].name;
	out[0] = 0;
	while (n--) {
		size_t k = strlen(names[n]);

		if (len + 1 + k + 1 > size)
			return -1;
		out[len++] = '/';
		memcpy(out + len, names[n], k + 1);
		len += k;
	}
	return 0;
}

/* BASE_FILE: u64 ino, u64 XXH64 of the content -- the content of the
 * base guest's file at the same path, which must have that hash. */
int vu_srecv_base_file(struct recv *r, struct vu_scur *c)
{
	uint64_t ino = vu_scur_u64(c), want = vu_scur_u64(c), got;
	char path[8192];
	struct rinode *n;
	struct statx now;
	struct stat bst;
	int pfd, out = -1, in = -1, rc = -1;

	if (!vu_scur_done(c) || !ino || ino > r->nin)
		return BAD(r, "base file record for unknown inode %llu", (unsigned long long)ino);
	n = &r->in[ino - 1];
	if (!S_ISREG(n->stx.stx_mode) || (n->flags & VU_STREAM_F_OBJECT) || n->filled)
		return BAD(r, "base file record for inode %llu: not a private file, or twice",
			   (unsigned long long)ino);
	if (inode_path(r, ino, path, sizeof(path)) < 0)
		return BAD(r, "inode %llu: path too long", (unsigned long long)ino);
	in = vu_stream_base_open(r->o->basefd, path);
	if (in < 0)
		return vu_srecv_bad(r, errno, "%s: not a file in the base guest %s", path,
				    r->o->base_name);
	if (fstat(in, &bst) < 0 || (uint64_t)bst.st_size != n->stx.stx_size) {
		rc = BAD(r, "%s: the base guest's file is not the sender's (size)", path);
		goto out;
	}
	pfd = vu_srecv_dir_open(r, n->parent);
	if (pfd < 0) {
		rc = vu_srecv_bad(r, errno, "inode %llu: its directory", (unsigned long long)ino);
		goto out;
	}
	out = openat(pfd, n->name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	close(pfd);
	if (out < 0 || vu_meta_statx(out, "", &now) < 0 || now.stx_ino != n->made_ino) {
		rc = BAD(r, "inode %llu: %s is not the file made for it", (unsigned long long)ino,
			 n->name);
		goto out;
	}
	if (!r->buf && !(r->buf = malloc(VU_STREAM_DATA_MAX))) {
		rc = vu_err_set(r->e, ENOMEM, "copy buffer");
		goto out;
	}
	if (vu_stream_content_hash(in, n->stx.stx_size, out, r->buf, VU_STREAM_DATA_MAX,
				   &got) < 0) {
		rc = vu_srecv_bad(r, errno, "%s: copy from the base guest", path);
		goto out;
	}
	if (got != want) {
		rc = BAD(r, "%s: the base guest's file is not the sender's (content)", path);
		goto out;
	}
	n->filled = true;
	r->st->base_files++;
	r->st->base_file_bytes += n->stx.stx_size;
	rc = 0;
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return rc;
}
