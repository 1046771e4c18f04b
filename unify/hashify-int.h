/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vhashify's engine, internals shared by scan.c, group.c, worker.c, hashify.c. */
#ifndef VUNIFY_HASHIFY_INT_H
#define VUNIFY_HASHIFY_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "vunify/hashify.h"
#include "vunify/key.h"
#include "vunify/replace.h"

enum vu_hx_outcome {
	VU_HX_NONE = 0,              /* not linked (yet) */
	VU_HX_LINKED,
	VU_HX_CHANGED,
	VU_HX_ERROR,
};

struct vu_hx_member {
	uint32_t gidx;               /* index into the session's guests */
	int64_t guest_id;
	char *path;
	struct statx scan;           /* as scanned */
	struct statx seen;           /* when hashed */
	struct vu_id id;
	bool have_id, hashed;
	bool foreign;                /* one name, marked: a foreign mark (counted) */
	uint8_t outcome;
};

struct vu_hx_newobj {
	struct vu_id id;
	unsigned seq;
	struct statx stx;
	bool dropped;                /* removed again: no twin came */
};

struct vu_hx_msg {
	enum vu_level level;
	char *text;
};

/* A group of candidates that might be identical, and what became of them. */
struct vu_hx_group {
	size_t n, cap;
	struct vu_hx_member *m;
	struct vu_hx_newobj *objs;
	size_t nobjs, capobjs;
	struct vu_hx_msg *msgs;
	size_t nmsgs, capmsgs;
	uint64_t hashed_files, hashed_bytes, read_files, read_bytes;
	uint64_t virtual_objects, virtual_bytes;  /* dry run: objects it would make */
};

void vu_group_free(struct vu_hx_group *g);

/* State shared by the engine's threads. */
struct vu_hx_shared {
	struct vu_session *s;
	const struct vu_hashify_opts *o;
	unsigned kflags;             /* VU_KEY_* */
	unsigned ignore;             /* VU_META_IGNORE_* */
	bool dry;
	unsigned test_delay_ms;      /* VUNIFY_TEST_GROUP_DELAY_MS (hashify.h) */
	unsigned test_link_delay_ms; /* VUNIFY_TEST_LINK_DELAY_MS (hashify.h) */
	pthread_mutex_t dir_locks[VU_REPLACE_LOCKS];
	pthread_mutex_t id_locks[256];
	atomic_uint_fast64_t bytes_done, files_done;
};

struct vu_hx_worker {
	struct vu_hx_shared *sh;
	struct vu_key *key;
	void *buf_a, *buf_b;
	size_t bufsize;
	struct vu_journal_slot slot;
	struct vu_replace rep;
	unsigned index;
};

int vu_worker_init(struct vu_hx_worker *w, struct vu_hx_shared *sh, unsigned index,
		   struct vu_err *e);
void vu_worker_fini(struct vu_hx_worker *w);
void vu_worker_run(void *worker, void *group);

/* The grouping key: size, mode, owner, and the times that count. */
int64_t vu_group_key(uint64_t size, uint32_t mode, uint32_t uid, uint32_t gid,
		     int64_t mtime_ns, int64_t atime_ns, unsigned ignore);

/* Scanning (scan.c). */
struct vu_scan {
	struct vu_session *s;
	const struct vu_hashify_opts *o;
	struct vu_hashify_stats *st;
	unsigned ignore;
	bool dry;
	struct vu_replace rep;
	struct vu_journal_slot slot;
	struct vu_guest *g;
	uint32_t gidx;
	struct vu_err err;
	bool fatal;
	double start;
	double last_progress;
};

int vu_scan_begin(struct vu_scan *sc, struct vu_hx_shared *sh, struct vu_hashify_stats *st,
		  struct vu_err *e);
int vu_scan_guest(struct vu_scan *sc, uint32_t gidx, struct vu_err *e);
void vu_scan_end(struct vu_scan *sc);

/* Grouping (group.c). */
struct vu_group_iter {
	struct vu_index *ix;         /* reading its temp.work */
	struct vu_hx_member carry;
	int64_t carry_gkey;
	bool have_carry;
};

int vu_group_prepare(struct vu_hx_shared *sh, uint64_t *files, uint64_t *bytes_to_hash,
		     struct vu_err *e);
int vu_group_next(struct vu_hx_shared *sh, struct vu_group_iter *it, struct vu_hx_group **out,
		  struct vu_err *e);
void vu_group_iter_end(struct vu_group_iter *it);

/* Monotonic seconds. */
double vu_hashify_now(void);

#endif /* VUNIFY_HASHIFY_INT_H */
