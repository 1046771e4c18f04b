/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A fixed set of worker threads fed from one queue.  The caller keeps the
 * number of jobs in flight at or below the capacity (submit when
 * vu_pool_inflight() < capacity, else collect), so neither queue ever
 * overflows and memory stays bounded.
 */
#ifndef VUNIFY_POOL_H
#define VUNIFY_POOL_H

#include <pthread.h>
#include <stddef.h>

#include "vunify/error.h"

typedef void (*vu_pool_fn)(void *worker, void *job);

struct vu_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv_todo, cv_done;
	void **todo, **done;
	size_t cap, todo_head, todo_n, done_head, done_n, inflight;
	int stopping;
	pthread_t *threads;
	unsigned nthreads;
	vu_pool_fn fn;
	void **workers;
};

/* Start @n threads, thread i calling fn(workers[i], job) for each job. */
int vu_pool_start(struct vu_pool *p, unsigned n, size_t capacity, vu_pool_fn fn,
		  void **workers, struct vu_err *e);
void vu_pool_submit(struct vu_pool *p, void *job);
/* A finished job, waiting at most @timeout_ms; NULL if none. */
void *vu_pool_collect(struct vu_pool *p, int timeout_ms);
size_t vu_pool_inflight(struct vu_pool *p);
/* Wait for the threads to finish their jobs and end them. */
void vu_pool_stop(struct vu_pool *p);

#endif /* VUNIFY_POOL_H */
