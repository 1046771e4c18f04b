// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vserver NAME build -m debootstrap: a Debian root made from scratch.
 * debootstrap writes into GUEST/.build-root (the guest's directory, so on
 * the filesystem of the store), the tree is configured for a container
 * (build_setup.c), unified into BASE/store with vhashify --all (later
 * clones of it then share every file), and only then renamed to
 * GUEST/root: a root that exists is complete.  Downloaded packages are kept
 * in a cache directory (debootstrap --cache-dir) that later builds reuse.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "build_int.h"

int vs_build_debootstrap_check(char bin[PATH_MAX], struct vu_err *e)
{
	if (vs_build_find("debootstrap", false, bin) < 0)
		return vu_err_set(e, 0, "build -m debootstrap needs debootstrap "
				  "(apt-get install debootstrap)");
	return 0;
}

/* mkdir -p @dir (0755), then make sure nobody but root can write into it:
 * what is cached there is unpacked into guests by root.  (debootstrap
 * checks each package against the signed Release file anyway.) */
static int cache_dir(const char *dir, struct vu_err *e)
{
	char path[PATH_MAX];
	struct stat st;

	if (dir[0] != '/')
		return vu_err_set(e, 0, "--cache %s: not an absolute path", dir);
	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return vu_err_set(e, ENAMETOOLONG, "%s", dir);
	for (char *p = path + 1;; p++) {
		if (*p == '/' || *p == 0) {
			char c = *p;

			*p = 0;
			if (mkdir(path, 0755) < 0 && errno != EEXIST)
				return vu_err_set(e, errno, "%s", path);
			*p = c;
			if (!c)
				break;
		}
	}
	if (lstat(dir, &st) < 0)
		return vu_err_set(e, errno, "%s", dir);
	if (!S_ISDIR(st.st_mode))
		return vu_err_set(e, ENOTDIR, "%s", dir);
	if (st.st_uid != geteuid() || (st.st_mode & 022))
		return vu_err_set(e, 0, "%s: the package cache must be owned by root and writable by "
				  "nobody else", dir);
	return 0;
}

/* debootstrap mounts /proc and /sys in the target; a debootstrap killed
 * before its own cleanup leaves them, and the guest could not be removed.
 * Deepest first, from mountinfo. */
static void umount_below(const char *dir)
{
	size_t n = strlen(dir);

	for (int pass = 0; pass < 8; pass++) {
		char line[4096], deepest[PATH_MAX] = "";
		FILE *f = fopen("/proc/self/mountinfo", "re");

		if (!f)
			return;
		while (fgets(line, sizeof(line), f)) {
			char target[PATH_MAX];

			/* id parent major:minor root target ... */
			if (sscanf(line, "%*s %*s %*s %*s %4095s", target) != 1)
				continue;
			if (!strncmp(target, dir, n) && target[n] == '/' &&
			    strlen(target) > strlen(deepest))
				snprintf(deepest, sizeof(deepest), "%s", target);
		}
		fclose(f);
		if (!deepest[0] || umount2(deepest, MNT_DETACH) < 0)
			return;
	}
}

/* The packages debootstrap left in the tree's apt cache are in the build
 * cache already: what "apt-get clean" would do, or every guest cloned from
 * this one carries them. */
static int apt_clean(const char *root, struct vu_err *e)
{
	char path[PATH_MAX + 64];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/var/cache/apt/archives", root);
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : vu_err_set(e, errno, "%s", path);
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n > 4 && !strcmp(de->d_name + n - 4, ".deb") && de->d_type == DT_REG &&
		    unlinkat(dirfd(d), de->d_name, 0) < 0) {
			vu_err_set(e, errno, "%s/%s", path, de->d_name);
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return 0;
}

/* A guest boots its own init, but minbase (Debian's "required" packages)
 * has none.  Unless --include names an init, "init" is added: Debian's
 * default (systemd-sysv; debootstrap takes the first alternative). */
static bool names_init(const char *include)
{
	static const char *const inits[] = { "init", "systemd-sysv", "sysvinit-core", "runit-init",
					     "openrc", NULL };
	size_t n;

	for (const char *p = include; p && *p; p += n + (p[n] == ',')) {
		n = strcspn(p, ",");
		for (int i = 0; inits[i]; i++)
			if (strlen(inits[i]) == n && !strncmp(p, inits[i], n))
				return true;
	}
	return false;
}

/* The last "E: " line of debootstrap's log (its error), or its last line. */
static void last_error(const char *log, char *out, size_t len)
{
	char line[512];
	FILE *f = fopen(log, "re");

	out[0] = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = 0;
		if (!line[0])
			continue;
		if (!strncmp(line, "E: ", 3) || strncmp(out, "E: ", 3))
			snprintf(out, len, "%s", line);
	}
	fclose(f);
}

int vs_build_debootstrap(struct vs *vs, const struct vs_build_opts *o, struct vu_err *e)
{
	char bin[PATH_MAX], vhashify[PATH_MAX], tmp[PATH_MAX + 16], log[PATH_MAX + 16];
	char variant[256], include[4096], cache[PATH_MAX + 16], why[512];
	char **argv;
	bool tty = isatty(STDERR_FILENO) && !o->quiet;
	struct timespec t0, t1;
	int n = 0, r;

	if (vs_build_debootstrap_check(bin, e) < 0)
		return -1;
	if (vs_build_find("vhashify", true, vhashify) < 0)
		return vu_err_set(e, ENOENT, "vhashify: not found next to vserver nor in $PATH");
	if (cache_dir(o->cache, e) < 0)
		return -1;
	snprintf(tmp, sizeof(tmp), "%s/.build-root", vs->l.guest);
	/* The log stays with the guest (root only: the guest's directory is
	 * mode 0000); on a terminal the output is the progress. */
	snprintf(log, sizeof(log), "%s/build.log", vs->l.guest);
	snprintf(variant, sizeof(variant), "--variant=%s", o->variant);
	if (names_init(o->include))
		snprintf(include, sizeof(include), "--include=%s", o->include);
	else
		snprintf(include, sizeof(include), "--include=%s%sinit", o->include ? o->include : "",
			 o->include ? "," : "");
	snprintf(cache, sizeof(cache), "--cache-dir=%s", o->cache);
	argv = calloc((size_t)o->n_extra + 8, sizeof(*argv));
	if (!argv)
		return vu_err_set(e, errno, "debootstrap arguments");
	argv[n++] = bin;
	argv[n++] = variant;
	argv[n++] = include;
	argv[n++] = cache;
	for (int i = 0; i < o->n_extra; i++)
		argv[n++] = o->extra[i];
	argv[n++] = (char *)o->suite;
	argv[n++] = tmp;
	argv[n++] = (char *)o->mirror;
	argv[n] = NULL;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (tty)
		fprintf(stderr, "vserver: %s: debootstrap %s (%s) from %s, packages cached in %s\n",
			vs->name, o->suite, o->variant, o->mirror, o->cache);
	r = vs_build_run(argv, tty ? NULL : log, e);
	free(argv);
	if (r < 0) {
		umount_below(tmp);
		last_error(log, why, sizeof(why));
		if (!tty && why[0])
			return vu_err_prefix(e, "debootstrap %s from %s: %s", o->suite, o->mirror, why);
		return vu_err_prefix(e, "debootstrap %s from %s", o->suite, o->mirror);
	}
	/* It ended well, but a mount it left would end up in the store. */
	umount_below(tmp);
	if (apt_clean(tmp, e) < 0 || vs_build_setup(tmp, vs->name, true, e) < 0)
		return -1;
	if (!o->quiet && tty)
		fprintf(stderr, "vserver: %s: unifying into %s\n", vs->name, vs->l.store);
	{
		/* Every file a link (clones of this root share it all); the
		 * atimes debootstrap's own reads left say nothing about
		 * identity: a twin in another guest must be linked. */
		char *hv[] = { vhashify, "--quiet", "--all", "--ignore-atime", "--store",
			       vs->l.store, tmp, NULL };

		if (vs_build_run(hv, tty ? NULL : log, e) < 0)
			return vu_err_prefix(e, "vhashify of %s", tmp);
	}
	if (rename(tmp, vs->l.root) < 0)
		return vu_err_set(e, errno, "rename %s to %s", tmp, vs->l.root);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!o->quiet)
		printf("vserver: %s: built %s (%s) in %ld s\n", vs->name, o->suite, o->variant,
		       (long)(t1.tv_sec - t0.tv_sec));
	return 0;
}
