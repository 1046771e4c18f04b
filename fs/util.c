// SPDX-License-Identifier: GPL-2.0-or-later
/* Small helpers shared by the vunifyfs operations. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "vunify/escape.h"
#include "vunify/format.h"
#include "vunifyfs.h"

struct vu_fs vu_fs = { .root_fd = -1, .lock_fd = -1, .proc_fd = -1 };

static bool use_syslog;

/*
 * Reopen a node's backing inode with real open flags.  An O_PATH descriptor
 * cannot be read or written; the kernel's /proc/self/fd/N magic link opens
 * the very inode it refers to without a name (a name could
 * have been replaced meanwhile).  N is our own descriptor, never anything a
 * guest controls, and the lookup is relative to a held /proc/self/fd.
 * A cold node has no descriptor: its handle opens the inode with the real
 * flags directly (vu_fdc_open_cold), with the same permission checks.
 */
int vu_reopen(struct vu_node *n, int flags)
{
	int fd = vu_fdc_open_cold(n, flags & ~O_NOFOLLOW, NULL);
	char num[16];

	if (fd != -2)
		return fd;      /* cold: opened by handle, or the error */
	fd = vu_node_fd(n);
	if (fd < 0)
		return -1;
	snprintf(num, sizeof(num), "%d", fd);
	return openat(vu_fs.proc_fd, num, (flags & ~O_NOFOLLOW) | O_CLOEXEC);
}

/* The same magic link as a path, for the *xattr and *at calls that have no
 * descriptor form working on O_PATH descriptors. */
int vu_proc_path(struct vu_node *n, char *buf, size_t len)
{
	int fd = vu_node_fd(n);

	/* No descriptor (its inode is gone): a path that names nothing, so
	 * that the call made with it fails (ENOENT), never reaches another. */
	if (fd < 0)
		return snprintf(buf, len, "/proc/self/fd/-");
	return snprintf(buf, len, "/proc/self/fd/%d", fd);
}

int vu_stat(struct vu_node *n, struct stat *st)
{
	int fd = vu_fdc_open_cold(n, O_PATH, st);

	if (fd >= 0) {
		close(fd);      /* cold: @st came with the handle's check */
		return 0;
	}
	if (fd == -1)
		return -1;
	fd = vu_node_fd(n);
	if (fd < 0)
		return -1;
	return fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
}

/* A fresh temporary name of this instance (see format.h, Reserved names). */
void vu_tmp_name(char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s.%lu", VU_TMP_PREFIX, VU_TMP_TAG_BREAK, vu_fs.tmp_tag,
		 atomic_fetch_add(&vu_fs.tmp_seq, 1));
}

/* May a guest create or look up @name?  One component, not reserved. */
bool vu_name_ok(const char *name)
{
	return name[0] && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..") &&
	       !vu_name_reserved(name);
}

void vu_log_to_syslog(void)
{
	openlog("vunifyfs", LOG_PID, LOG_DAEMON);
	use_syslog = true;
}

void vu_log(int prio, const char *fmt, ...)
{
	char msg[1024], safe[4096];
	va_list ap;

	/* Messages carry names a guest chose, and an admin reads them on a
	 * terminal: no raw controls (vunify/escape.h). */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vu_esc(msg, safe, sizeof(safe));
	if (use_syslog)
		syslog(prio, "%s", safe);
	else
		fprintf(stderr, "vunifyfs: %s\n", safe);
}
