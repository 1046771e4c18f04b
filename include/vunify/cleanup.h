/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Scope-bound cleanup helpers (__attribute__((cleanup))): a descriptor or
 * allocation declared with one of these is released when it goes out of
 * scope, on every return path, with errno preserved.  vu_steal_fd() and
 * vu_steal_ptr() hand ownership to the caller.
 */
#ifndef VUNIFY_CLEANUP_H
#define VUNIFY_CLEANUP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <dirent.h>

static inline void vu_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;

		close(*fd);
		errno = saved;
	}
}

static inline void vu_freep(void *p)
{
	int saved = errno;

	free(*(void **)p);
	errno = saved;
}

static inline void vu_fclosep(FILE **f)
{
	if (*f) {
		int saved = errno;

		fclose(*f);
		errno = saved;
	}
}

static inline void vu_closedirp(DIR **d)
{
	if (*d) {
		int saved = errno;

		closedir(*d);
		errno = saved;
	}
}

#define _cleanup_close_    __attribute__((cleanup(vu_closep)))
#define _cleanup_free_     __attribute__((cleanup(vu_freep)))
#define _cleanup_fclose_   __attribute__((cleanup(vu_fclosep)))
#define _cleanup_closedir_ __attribute__((cleanup(vu_closedirp)))

static inline int vu_steal_fd(int *fd)
{
	int r = *fd;

	*fd = -1;
	return r;
}

static inline void *vu_steal_ptr(void *pp)
{
	void **p = pp;
	void *r = *p;

	*p = NULL;
	return r;
}

#endif /* VUNIFY_CLEANUP_H */
