// SPDX-License-Identifier: GPL-2.0-or-later
/* vhashify stats: see include/vunify/maint.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vunify/diskusage.h"
#include "vunify/format.h"
#include "vunify/maint.h"
#include "vunify/meta.h"

struct gstats {
	struct vu_session *s;
	struct vu_guest_stats *st;
};

/* Every name: the file counts, by the store's objects (the index), as
 * before; the private part is the walk's own count. */
static void stats_name(void *arg, int dirfd, const char *name, const struct stat *x)
{
	struct gstats *gs = arg;

	if (!S_ISREG(x->st_mode) || vu_name_reserved(name))
		return;
	gs->st->files++;
	if (x->st_nlink > 1 && vu_objset_has(&gs->s->objects, x->st_ino)) {
		uint64_t l = x->st_nlink;

		gs->st->unified_files++;
		gs->st->shared_bytes += x->st_size;
		gs->st->saved_bytes += (uint64_t)((double)x->st_size * (double)(l - 2) / (double)(l - 1));
	} else if (vu_du_marked(dirfd, name)) {
		/* A tree copied from a guest of another store: shared by
		 * format.h's rule, but not through this store. */
		gs->st->foreign_marks++;
	}
}

int vu_stats_guest(struct vu_session *s, struct vu_guest *g, struct vu_guest_stats *st,
		   struct vu_err *e)
{
	struct gstats gs = { .s = s, .st = st };
	struct vu_du du;

	memset(st, 0, sizeof(*st));
	/* One walk: the private bytes and inodes are those of format.h's rule,
	 * the numbers vunifyfs's usage record and `vserver status` give. */
	if (vu_du_scan_fd(g->fd, g->label, &du, stats_name, &gs, e) < 0)
		return -1;
	st->private_bytes = du.private_bytes;
	st->private_inodes = du.private_inodes;
	return 0;
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
