// SPDX-License-Identifier: GPL-2.0-or-later
/* vhashify stats: see include/vunify/maint.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vunify/maint.h"
#include "vunify/meta.h"
#include "vunify/walk.h"

struct gstats {
	struct vu_session *s;
	struct vu_guest_stats *st;
};

static int stats_entry(void *arg, const struct vu_walk_entry *ent, void **data)
{
	struct gstats *gs = arg;
	const struct statx *x = ent->stx;

	if (ent->reserved || ent->mount_point)
		return VU_WALK_NEXT;
	if (S_ISDIR(x->stx_mode))
		return VU_WALK_DESCEND;
	if (!S_ISREG(x->stx_mode))
		return VU_WALK_NEXT;
	gs->st->files++;
	if (x->stx_nlink > 1 && vu_objset_has(&gs->s->objects, x->stx_ino)) {
		uint64_t l = x->stx_nlink;

		gs->st->unified_files++;
		gs->st->shared_bytes += x->stx_size;
		if (l >= 2)
			gs->st->saved_bytes += (uint64_t)((double)x->stx_size * (double)(l - 2) / (double)(l - 1));
	} else {
		gs->st->private_bytes += x->stx_size;
	}
	return VU_WALK_NEXT;
}

static void stats_error(void *arg, const struct vu_err *e)
{
	struct gstats *gs = arg;

	vu_report_err(gs->s->rep, VU_LOG_ERROR, e);
	gs->st->errors++;
}

int vu_stats_guest(struct vu_session *s, struct vu_guest *g, struct vu_guest_stats *st,
		   struct vu_err *e)
{
	static const struct vu_walk_ops ops = { .entry = stats_entry, .error = stats_error };
	struct gstats gs = { .s = s, .st = st };

	memset(st, 0, sizeof(*st));
	return vu_walk(g->fd, g->label, NULL, &ops, &gs, NULL, e);
}

static int store_one(void *arg, const struct vu_id *id, unsigned seq, int dirfd, const char *name)
{
	struct vu_store_stats *st = arg;
	struct statx stx;

	if (!id || vu_meta_statx(dirfd, name, &stx) < 0 || !S_ISREG(stx.stx_mode))
		return 0;
	st->objects++;
	st->bytes += stx.stx_size;
	if (stx.stx_nlink <= 1) {
		st->unreferenced++;
		st->unreferenced_bytes += stx.stx_size;
		return 0;
	}
	st->links += stx.stx_nlink - 1;
	st->saved_bytes += stx.stx_size * (stx.stx_nlink - 2);
	return 0;
}

int vu_stats_store(struct vu_session *s, struct vu_store_stats *st, struct vu_err *e)
{
	memset(st, 0, sizeof(*st));
	return vu_store_walk(&s->store, store_one, st, e) ? -1 : 0;
}

static int add_known(void *arg, int64_t id, const char *path, struct vu_err *e)
{
	struct vu_session *s = arg;
	struct vu_err ge;

	(void)id;
	(void)e;
	if (access(path, F_OK) == 0 && vu_session_guest_add(s, path, &ge) < 0)
		vu_report_err(s->rep, VU_LOG_WARN, &ge);
	return 0;
}

int vu_stats_known_guests(struct vu_session *s, struct vu_err *e)
{
	return vu_index_guests_each(&s->index, add_known, s, e);
}
