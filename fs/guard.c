// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kernel's guard on store objects under passthrough.
 *
 * With kernel passthrough, the kernel opens a FUSE file's backing file by
 * itself, with the guest's open flags and the credentials that were current
 * when the backing file was registered (FUSE_DEV_IOC_BACKING_OPEN).  It does
 * no permission check of its own on that open: whatever a bug in vunifyfs
 * hands out, the kernel would write.  Plain DAC tricks (an fsuid that owns
 * nothing) therefore do not help; an LSM check does, because the kernel
 * runs security_file_open() on the backing file with those credentials.
 *
 * So store objects are registered by one thread of their own that has put
 * itself in a Landlock domain in which no file may be opened for writing or
 * truncated.  The domain lives in the thread's credentials, the kernel keeps
 * a reference to them with every backing file the thread registers, and
 * Landlock refuses a writable open of such a backing file: the kernel fails
 * the guest's open (EIO) and the object stays intact even if the link
 * break were skipped.  Private files are registered by the worker threads
 * as before (they must be writable).
 *
 * Without Landlock there is no such guard, and vunifyfs does not use
 * passthrough at all (see main.c).
 */
#include <errno.h>
#include <linux/landlock.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vunifyfs.h"

#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)        /* ABI 3, Linux 6.2 */
#endif

static struct {
	pthread_t thread;
	pthread_mutex_t lock;       /* the fields below */
	pthread_cond_t cond;
	pthread_mutex_t call;       /* one request at a time */
	bool running, stop, ready;
	int setup_err;              /* the thread's Landlock setup */
	bool pending;
	int fd;                     /* the request */
	int result;                 /* its answer: backing id or -errno */
} guard = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
	.call = PTHREAD_MUTEX_INITIALIZER,
};

int vu_guard_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
			   LANDLOCK_CREATE_RULESET_VERSION);

	return abi < 0 ? -errno : (int)abi;
}

/* Put the calling thread (only) into a domain that opens no file for
 * writing and truncates none. */
static int guard_restrict_self(void)
{
	struct landlock_ruleset_attr attr = {
		.handled_access_fs = LANDLOCK_ACCESS_FS_WRITE_FILE,
	};
	int abi = vu_guard_abi(), rs, err = 0;

	if (abi < 0)
		return abi;
	if (abi >= 3)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	rs = syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (rs < 0)
		return -errno;
	/* No rules: nothing anywhere may be opened for writing.  We hold
	 * CAP_SYS_ADMIN, so no_new_privs is not needed. */
	if (syscall(SYS_landlock_restrict_self, rs, 0) < 0)
		err = -errno;
	close(rs);
	return err;
}

static void *guard_main(void *arg)
{
	int err = guard_restrict_self();

	pthread_mutex_lock(&guard.lock);
	guard.setup_err = err;
	guard.ready = true;
	pthread_cond_broadcast(&guard.cond);
	while (!err) {
		int id;

		while (!guard.pending && !guard.stop)
			pthread_cond_wait(&guard.cond, &guard.lock);
		if (guard.stop)
			break;
		pthread_mutex_unlock(&guard.lock);
		id = vu_pt_backing_open(guard.fd);
		pthread_mutex_lock(&guard.lock);
		guard.result = id;
		guard.pending = false;
		pthread_cond_broadcast(&guard.cond);
	}
	pthread_mutex_unlock(&guard.lock);
	return NULL;
}

int vu_guard_start(void)
{
	int err;

	err = pthread_create(&guard.thread, NULL, guard_main, NULL);
	if (err)
		return -err;
	pthread_mutex_lock(&guard.lock);
	while (!guard.ready)
		pthread_cond_wait(&guard.cond, &guard.lock);
	err = guard.setup_err;
	pthread_mutex_unlock(&guard.lock);
	if (err) {
		pthread_join(guard.thread, NULL);
		return err;
	}
	guard.running = true;
	return 0;
}

void vu_guard_stop(void)
{
	if (!guard.running)
		return;
	pthread_mutex_lock(&guard.lock);
	guard.stop = true;
	pthread_cond_broadcast(&guard.cond);
	pthread_mutex_unlock(&guard.lock);
	pthread_join(guard.thread, NULL);
	guard.running = false;
}

int vu_guard_backing_open(int fd)
{
	int res;

	if (!guard.running)
		return -EPERM;  /* never register an object unguarded */
	pthread_mutex_lock(&guard.call);
	pthread_mutex_lock(&guard.lock);
	guard.fd = fd;
	guard.pending = true;
	pthread_cond_broadcast(&guard.cond);
	while (guard.pending)
		pthread_cond_wait(&guard.cond, &guard.lock);
	res = guard.result;
	pthread_mutex_unlock(&guard.lock);
	pthread_mutex_unlock(&guard.call);
	return res;
}
