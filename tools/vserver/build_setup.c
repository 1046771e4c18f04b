// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Make a root fit to run as a guest (vserver(8), BUILD): its own host name,
 * /etc/hosts and machine-id, and, for a tree made from scratch, what a
 * container without CAP_SYS_ADMIN needs so that its boot logs no failure:
 * the supervisor mounts /proc, /sys, /dev, /dev/pts, /dev/shm and /run
 * (daemon/rootfs.c), there are no virtual terminals (/dev/console is a pty
 * drained into console.log, nobody types into it), the guest can neither
 * set the clock nor the host name (the supervisor set it from guest.conf).
 *
 * The tree is the guest's: every path is resolved inside it (a symlink
 * /etc -> /host/etc leads to ROOT/host/etc), and files are replaced by a
 * rename, never written in place, because in a cloned root they are hard
 * links shared with the template and the store.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vunify/cleanup.h"
#include "build_int.h"

#define MAX_CONF (256 * 1024)

/* Open @path (a directory) inside the tree @rootfd, or -1 (errno set). */
static int open_in(int rootfd, const char *path)
{
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
	};

	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

/* Replace @dir/@name by a new root-owned 0644 file holding @data. */
static int replace(int dirfd, const char *dir, const char *name, const char *data, size_t len,
		   struct vu_err *e)
{
	char tmp[NAME_MAX + 1];
	int fd;

	snprintf(tmp, sizeof(tmp), ".%s.vunify-build", name);
	unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return vu_err_set(e, errno, "%s/%s", dir, tmp);
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)n;
	}
	if (fchown(fd, 0, 0) < 0 || fchmod(fd, 0644) < 0 || close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (renameat(dirfd, tmp, dirfd, name) < 0)
		goto fail;
	return 0;
fail:
	{
		int saved = errno;

		if (fd >= 0)
			close(fd);
		unlinkat(dirfd, tmp, 0);
		return vu_err_set(e, saved, "%s/%s", dir, name);
	}
}

/* Read @dir/@name (a regular file, not a symlink) into a malloc'd string:
 * 0, or 1 if there is no such regular file, or -1. */
static int slurp(int dirfd, const char *dir, const char *name, char **out, struct vu_err *e)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	size_t got = 0;
	char *buf;

	*out = NULL;
	if (fd < 0)
		return errno == ENOENT || errno == ELOOP ? 1 : vu_err_set(e, errno, "%s/%s", dir, name);
	if (fstat(fd, &st) < 0)
		return vu_err_set(e, errno, "%s/%s", dir, name);
	if (!S_ISREG(st.st_mode))
		return 1;
	if (st.st_size > MAX_CONF)
		return vu_err_set(e, EFBIG, "%s/%s", dir, name);
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return vu_err_set(e, errno, "%s/%s", dir, name);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return vu_err_set(e, errno, "%s/%s", dir, name);
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = 0;
	*out = buf;
	return 0;
}

static int set_identity(int etc, const char *hostname, bool systemd, struct vu_err *e)
{
	char buf[1024];
	unsigned char id[16];
	struct stat st;
	int n;

	n = snprintf(buf, sizeof(buf), "%s\n", hostname);
	if (replace(etc, "/etc", "hostname", buf, (size_t)n, e) < 0)
		return -1;
	n = snprintf(buf, sizeof(buf),
		     "127.0.0.1\tlocalhost\n"
		     "127.0.1.1\t%s\n"
		     "\n"
		     "# The following lines are desirable for IPv6 capable hosts\n"
		     "::1\tlocalhost ip6-localhost ip6-loopback\n"
		     "ff02::1\tip6-allnodes\n"
		     "ff02::2\tip6-allrouters\n", hostname);
	if (replace(etc, "/etc", "hosts", buf, (size_t)n, e) < 0)
		return -1;
	/* Two guests with one machine-id confuse journald, D-Bus and DHCP
	 * (a clone would inherit its template's).  systemd wants one to
	 * exist; for other inits only an existing one is renewed. */
	if (!systemd && fstatat(etc, "machine-id", &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	if (getrandom(id, sizeof(id), 0) != (ssize_t)sizeof(id))
		return vu_err_set(e, errno, "getrandom");
	/* A version 4 UUID, as systemd-machine-id-setup makes. */
	id[6] = (id[6] & 0x0f) | 0x40;
	id[8] = (id[8] & 0x3f) | 0x80;
	for (int i = 0; i < 16; i++)
		snprintf(buf + 2 * i, 3, "%02x", id[i]);
	buf[32] = '\n';
	return replace(etc, "/etc", "machine-id", buf, 33, e);
}

/* Is @path in the tree a symlink whose target names systemd? */
static bool links_to_systemd(int rootfd, const char *path)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(rootfd, path, target, sizeof(target) - 1);

	if (n <= 0)
		return false;
	target[n] = 0;
	return strstr(target, "systemd") != NULL;
}

/* Is systemd the guest's init?  (/sbin is usr/sbin in a merged /usr.) */
static bool is_systemd(int rootfd)
{
	return links_to_systemd(rootfd, "usr/sbin/init") || links_to_systemd(rootfd, "sbin/init");
}

/* initscripts (sysvinit-core) scripts that can only fail in a guest, by
 * runlevel directory: S hostname.sh (the supervisor set the name),
 * hwclock.sh (no CAP_SYS_TIME), checkroot.sh and checkfs.sh (remounting
 * / and the kernel file systems needs CAP_SYS_ADMIN, and there is no
 * block device to check), checkroot-bootclean.sh (without checkroot.sh
 * it would run before mountkernfs.sh marks /run as a tmpfs, and empty it:
 * mountall-bootclean.sh cleans /tmp just as well), bootlogs (no dmesg in a
 * guest); at halt
 * umountfs and umountroot (the supervisor unmounts).  Removing the
 * rcN.d links is what "update-rc.d disable" amounts to; startpar runs
 * only linked scripts. */
static const struct {
	const char *dirs;
	const char *script;
} unlinked[] = {
	{ "S", "hostname.sh" }, { "S06", "hwclock.sh" }, { "S", "checkroot.sh" },
	{ "S", "checkroot-bootclean.sh" }, { "S", "checkfs.sh" }, { "2345", "bootlogs" },
	{ "06", "umountfs" }, { "06", "umountroot" },
};

static int unlink_rc(int etc, struct vu_err *e)
{
	for (size_t i = 0; i < sizeof(unlinked) / sizeof(unlinked[0]); i++) {
		for (const char *l = unlinked[i].dirs; *l; l++) {
			char dname[16];
			_cleanup_close_ int dfd = -1;
			DIR *d;
			struct dirent *de;

			snprintf(dname, sizeof(dname), "rc%c.d", *l);
			dfd = openat(etc, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (dfd < 0)
				continue;
			d = fdopendir(dup(dfd));
			if (!d)
				return vu_err_set(e, errno, "/etc/%s", dname);
			while ((de = readdir(d))) {
				const char *n = de->d_name;

				if ((n[0] == 'S' || n[0] == 'K') && n[1] >= '0' && n[1] <= '9' &&
				    n[2] >= '0' && n[2] <= '9' && !strcmp(n + 3, unlinked[i].script) &&
				    unlinkat(dfd, n, 0) < 0 && errno != ENOENT) {
					vu_err_set(e, errno, "/etc/%s/%s", dname, n);
					closedir(d);
					return -1;
				}
			}
			closedir(d);
		}
	}
	return 0;
}

/* Comment out the gettys on virtual terminals (ttyN): they do not exist in
 * a guest, and init would respawn them "too fast" forever. */
static int fix_inittab(int etc, struct vu_err *e)
{
	static const char note[] = "# vunify: no virtual terminals in a guest; "
				   "log in with vserver NAME enter (vserver(8))\n";
	char *in = NULL, *out = NULL, *line, *next;
	size_t len = 0, cap;
	bool noted = false;
	int r = slurp(etc, "/etc", "inittab", &in, e);

	if (r != 0)
		return r < 0 ? -1 : 0;
	cap = strlen(in) * 2 + sizeof(note) + 2;
	out = malloc(cap);
	if (!out) {
		free(in);
		return vu_err_set(e, errno, "/etc/inittab");
	}
	for (line = in; *line; line = next) {
		const char *proc = line;

		next = strchr(line, '\n');
		next = next ? (*next = 0, next + 1) : line + strlen(line);
		/* id:runlevels:action:process */
		for (int f = 0; f < 3 && proc; f++)
			proc = strchr(proc, ':') ? strchr(proc, ':') + 1 : NULL;
		if (line[0] != '#' && proc && strstr(proc, "getty") && strstr(proc, " tty")) {
			const char *t = strstr(proc, " tty") + 4;

			if (*t >= '0' && *t <= '9') {
				if (!noted)
					len += (size_t)snprintf(out + len, cap - len, "%s", note);
				noted = true;
				out[len++] = '#';
			}
		}
		len += (size_t)snprintf(out + len, cap - len, "%s\n", line);
	}
	r = noted ? replace(etc, "/etc", "inittab", out, len, e) : 0;
	free(in);
	free(out);
	return r;
}

/* /run/lock inside the /run the supervisor mounted, not a tmpfs of its
 * own that mountkernfs.sh and mountall.sh cannot mount (tmpfs-config(5)). */
static int fix_tmpfs(int etc, struct vu_err *e)
{
	static const char add[] = "\n# vunify: a guest cannot mount; /run/lock is part of /run\n"
				  "RAMLOCK=no\n";
	_cleanup_close_ int def = openat(etc, "default", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					 O_CLOEXEC);
	char *in = NULL, *out;
	int r;

	if (def < 0)
		return 0;
	r = slurp(def, "/etc/default", "tmpfs", &in, e);
	if (r < 0)
		return -1;
	if (in && (strncmp(in, "RAMLOCK=no", 10) == 0 || strstr(in, "\nRAMLOCK=no"))) {
		free(in);
		return 0;
	}
	out = malloc((in ? strlen(in) : 0) + sizeof(add));
	if (!out) {
		free(in);
		return vu_err_set(e, errno, "/etc/default/tmpfs");
	}
	strcpy(out, in ? in : "");
	strcat(out, add);
	r = replace(def, "/etc/default", "tmpfs", out, strlen(out), e);
	free(in);
	free(out);
	return r;
}

static int container_config(int rootfd, int etc, struct vu_err *e)
{
	static const char fstab[] =
		"# /etc/fstab of a vunify guest: nothing to mount.  The supervisor mounts\n"
		"# /proc, /sys, /dev, /dev/pts, /dev/shm and /run; a guest cannot mount\n"
		"# (vserver(8)).  Bind mounts of host directories: guest.conf [mounts].\n";
	/* initscripts' mountkernfs.sh mounts these unless fstab says noauto. */
	static const char sysv[] =
		"securityfs /sys/kernel/security securityfs noauto 0 0\n"
		"pstore /sys/fs/pstore pstore noauto 0 0\n"
		"efivarfs /sys/firmware/efi/efivars efivarfs noauto 0 0\n";
	struct stat st;
	bool sysvinit = fstatat(etc, "inittab", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			!is_systemd(rootfd);
	char buf[sizeof(fstab) + sizeof(sysv)];

	snprintf(buf, sizeof(buf), "%s%s", fstab, sysvinit ? sysv : "");
	if (replace(etc, "/etc", "fstab", buf, strlen(buf), e) < 0)
		return -1;
	if (!sysvinit)
		return 0;
	if (fix_inittab(etc, e) < 0 || fix_tmpfs(etc, e) < 0 || unlink_rc(etc, e) < 0)
		return -1;
	return 0;
}

int vs_build_setup(const char *root, const char *hostname, bool container, struct vu_err *e)
{
	_cleanup_close_ int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int etc = -1;
	bool systemd;

	if (rootfd < 0)
		return vu_err_set(e, errno, "%s", root);
	etc = open_in(rootfd, "etc");
	if (etc < 0) {
		/* A tree without /etc (a template of a few static programs) has
		 * nothing to configure. */
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return vu_err_set(e, errno, "%s/etc", root);
	}
	systemd = is_systemd(rootfd);
	if (set_identity(etc, hostname, systemd, e) < 0 ||
	    (container && container_config(rootfd, etc, e) < 0))
		return vu_err_prefix(e, "%s", root);
	return 0;
}
