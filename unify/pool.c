// SPDX-License-Identifier: GPL-2.0-or-later
/* Worker threads: see include/vunify/pool.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vunify/pool.h"

struct thread_arg {
	struct vu_pool *p;
	unsigned i;
};

static void *thread_main(void *arg)
{
	struct thread_arg *ta = arg;
	struct vu_pool *p = ta->p;
	void *worker = p->workers[ta->i];

	free(ta);
	pthread_mutex_lock(&p->mu);
	for (;;) {
		void *job;

		while (!p->todo_n && !p->stopping)
			pthread_cond_wait(&p->cv_todo, &p->mu);
		if (!p->todo_n)
			break;
		job = p->todo[p->todo_head];
		p->todo_head = (p->todo_head + 1) % p->cap;
		p->todo_n--;
		pthread_mutex_unlock(&p->mu);
		p->fn(worker, job);
		pthread_mutex_lock(&p->mu);
		p->done[(p->done_head + p->done_n) % p->cap] = job;
		p->done_n++;
		pthread_cond_signal(&p->cv_done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int vu_pool_start(struct vu_pool *p, unsigned n, size_t capacity, vu_pool_fn fn,
		  void **workers, struct vu_err *e)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv_todo, NULL);
	pthread_cond_init(&p->cv_done, NULL);
	p->cap = capacity;
	p->fn = fn;
	p->workers = workers;
	p->todo = calloc(capacity, sizeof(void *));
	p->done = calloc(capacity, sizeof(void *));
	p->threads = calloc(n, sizeof(pthread_t));
	if (!p->todo || !p->done || !p->threads)
		return vu_err_set(e, ENOMEM, "threads");
	for (unsigned i = 0; i < n; i++) {
		struct thread_arg *ta = malloc(sizeof(*ta));
		int r;

		if (!ta)
			return vu_err_set(e, ENOMEM, "threads");
		ta->p = p;
		ta->i = i;
		r = pthread_create(&p->threads[i], NULL, thread_main, ta);
		if (r) {
			free(ta);
			vu_pool_stop(p);
			return vu_err_set(e, r, "threads");
		}
		p->nthreads++;
	}
	return 0;
}

void vu_pool_submit(struct vu_pool *p, void *job)
{
	pthread_mutex_lock(&p->mu);
	p->todo[(p->todo_head + p->todo_n) % p->cap] = job;
	p->todo_n++;
	p->inflight++;
	pthread_cond_signal(&p->cv_todo);
	pthread_mutex_unlock(&p->mu);
}

void *vu_pool_collect(struct vu_pool *p, int timeout_ms)
{
	struct timespec until;
	void *job = NULL;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&p->mu);
	while (!p->done_n)
		if (pthread_cond_timedwait(&p->cv_done, &p->mu, &until) == ETIMEDOUT)
			break;
	if (p->done_n) {
		job = p->done[p->done_head];
		p->done_head = (p->done_head + 1) % p->cap;
		p->done_n--;
		p->inflight--;
	}
	pthread_mutex_unlock(&p->mu);
	return job;
}

size_t vu_pool_inflight(struct vu_pool *p)
{
	size_t n;

	pthread_mutex_lock(&p->mu);
	n = p->inflight;
	pthread_mutex_unlock(&p->mu);
	return n;
}

void vu_pool_stop(struct vu_pool *p)
{
	pthread_mutex_lock(&p->mu);
	p->stopping = 1;
	pthread_cond_broadcast(&p->cv_todo);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	free(p->threads);
	free(p->todo);
	free(p->done);
	pthread_cond_destroy(&p->cv_todo);
	pthread_cond_destroy(&p->cv_done);
	pthread_mutex_destroy(&p->mu);
	memset(p, 0, sizeof(*p));
}
