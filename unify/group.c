// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vhashify, step 2: put candidates that might be identical together (see
 * include/vunify/hashify.h).  The index sorts the candidates (temp.work,
 * unify/index_work.c); groups are then read back in order, and the reading
 * paused after each, so that no statement is left open while the engine
 * commits.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "vunify/meta.h"
#include "hashify-int.h"

int64_t vu_group_key(uint64_t size, uint32_t mode, uint32_t uid, uint32_t gid,
		     int64_t mtime_ns, int64_t atime_ns, unsigned ignore)
{
	struct {
		uint64_t size;
		uint32_t mode, uid, gid, pad;
		int64_t mtime, atime;
	} k = {
		.size = size, .mode = mode, .uid = uid, .gid = gid,
		.mtime = (ignore & VU_META_IGNORE_MTIME) ? 0 : mtime_ns,
		.atime = (ignore & VU_META_IGNORE_ATIME) ? 0 : atime_ns,
	};

	return (int64_t)XXH3_64bits(&k, sizeof(k));
}

int vu_group_prepare(struct vu_hx_shared *sh, uint64_t *files, uint64_t *bytes_to_hash,
		     struct vu_err *e)
{
	return vu_index_work_prepare(&sh->s->index, sh->kflags, sh->o->all, sh->ignore, files,
				     bytes_to_hash, e);
}

void vu_group_free(struct vu_hx_group *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n; i++)
		free(g->m[i].path);
	for (size_t i = 0; i < g->nmsgs; i++)
		free(g->msgs[i].text);
	free(g->m);
	free(g->objs);
	free(g->msgs);
	free(g);
}

/* One row of temp.work into a member. */
static void read_row(const struct vu_index_work_row *r, struct vu_hx_member *m)
{
	memset(m, 0, sizeof(*m));
	m->gidx = r->gidx;
	m->guest_id = r->guest;
	m->path = r->path ? strdup(r->path) : NULL;
	m->scan = r->stx;
	m->id = r->id;
	m->have_id = r->have_id;
}

static int group_add(struct vu_hx_group *g, const struct vu_hx_member *m)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 8;
		void *p = realloc(g->m, cap * sizeof(*g->m));

		if (!p)
			return -1;
		g->m = p;
		g->cap = cap;
	}
	g->m[g->n++] = *m;
	return 0;
}

int vu_group_next(struct vu_hx_shared *sh, struct vu_group_iter *it, struct vu_hx_group **out,
		  struct vu_err *e)
{
	struct vu_index *ix = &sh->s->index;
	struct vu_hx_group *g = calloc(1, sizeof(*g));
	struct vu_index_work_row r;
	int64_t gkey = 0;
	int rc;

	*out = NULL;
	it->ix = ix;
	if (!g)
		return vu_err_set(e, ENOMEM, "groups");
	if (it->have_carry) {
		gkey = it->carry_gkey;
		if (group_add(g, &it->carry) < 0)
			goto nomem;
		it->have_carry = false;
	}
	while ((rc = vu_index_work_next(ix, &r, e)) > 0) {
		struct vu_hx_member m;

		read_row(&r, &m);
		if (!m.path)
			goto nomem_pause;
		if (g->n && r.gkey != gkey) {
			/* The next group begins: keep the row for it. */
			it->carry = m;
			it->carry_gkey = r.gkey;
			it->have_carry = true;
			vu_index_work_pause(ix);
			*out = g;
			return 1;
		}
		gkey = r.gkey;
		if (group_add(g, &m) < 0) {
			free(m.path);
			goto nomem_pause;
		}
	}
	if (rc < 0) {
		vu_group_free(g);
		return -1;
	}
	if (g->n) {
		*out = g;
		return 1;
	}
	vu_group_free(g);
	return 0;
nomem_pause:
	vu_index_work_pause(ix);
nomem:
	vu_group_free(g);
	return vu_err_set(e, ENOMEM, "groups");
}

void vu_group_iter_end(struct vu_group_iter *it)
{
	if (it->ix)
		vu_index_work_end(it->ix);
	if (it->have_carry)
		free(it->carry.path);
	memset(it, 0, sizeof(*it));
}
