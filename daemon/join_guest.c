// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The joining process: a fresh image of vserver, executed by vu_join_run
 * with the guest's environment and descriptors only (see join_int.h), that
 * enters the guest and becomes the command.
 *
 * It is visible to the guest (it was born in the guest's PID namespace) the
 * whole time, so what matters is what a guest root process can get from it:
 * - /proc/PID/environ, /proc/PID/fd, /proc/PID/mem and ptrace all need
 *   ptrace access.  The process is non-dumpable from its first instruction
 *   to execve (PR_SET_DUMPABLE 0, set again after every change of
 *   identity), so that takes CAP_SYS_PTRACE, which no guest process has.
 *   (Between the execve of this image and that first prctl it is dumpable,
 *   but it still holds the host's full capability set there, which a
 *   guest's ptrace access check cannot match either.)
 * - Even so, there is nothing to get: its environment block was made for
 *   the guest, its descriptors are vserver's pipes, a pidfd and a socket to
 *   vserver (which is in the host's PID namespace, out of the guest's view).
 * - It is in a session of its own (vserver's child called setsid), so
 *   neither kill(0, ...) nor /dev/tty reaches the caller.
 * The guest's /etc/passwd and /etc/group are parsed here, by hand: no NSS
 * module or other code of the guest's runs before the command itself.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "join_int.h"
#include "vsupervisor/context.h"
#include "vsupervisor/fdpass.h"
#include "vsupervisor/join.h"
#include "vsupervisor/secpolicy.h"
#include "vunify/size.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

#define MAX_GROUPS 64

struct guest_args {
	unsigned long long caps;
	bool seccomp, pty, login;
	const char *user;           /* "" : root */
	const char *workdir;        /* "" : the default */
	char **argv;
};

/* Who the command runs as, from the guest's own databases. */
struct ident {
	uid_t uid;
	gid_t gid;
	char name[256];
	char home[256];
	char shell[256];
	gid_t groups[MAX_GROUPS];
	size_t n_groups;
};

static __attribute__((noreturn)) void fail(const struct vu_err *e, int status)
{
	vu_msg_send_err(VU_JOIN_FD_SYNC, status, e->msg);
	_exit(status);
}

static __attribute__((noreturn)) void fail_errno(int status, const char *what)
{
	struct vu_err e;

	vu_err_set(&e, errno, "%s", what);
	fail(&e, status);
}

static int parse_args(int argc, char **argv, struct guest_args *a, struct vu_err *e)
{
	const char *flags;
	char *end;

	if (argc < VU_JOIN_ARG_COMMAND || strcmp(argv[VU_JOIN_ARG_DASHDASH], "--"))
		return vu_err_set(e, EINVAL, "joining the guest: bad arguments");
	errno = 0;
	a->caps = strtoull(argv[VU_JOIN_ARG_CAPS], &end, 16);
	if (errno || *end || end == argv[VU_JOIN_ARG_CAPS])
		return vu_err_set(e, EINVAL, "joining the guest: bad capability set");
	flags = argv[VU_JOIN_ARG_FLAGS];
	a->seccomp = strchr(flags, 's') != NULL;
	a->pty = strchr(flags, 'p') != NULL;
	a->login = strchr(flags, 'l') != NULL;
	a->user = argv[VU_JOIN_ARG_USER];
	a->workdir = argv[VU_JOIN_ARG_WORKDIR];
	a->argv = argv + VU_JOIN_ARG_COMMAND;
	if (!a->login && !a->argv[0])
		return vu_err_set(e, EINVAL, "joining the guest: no command");
	return 0;
}

/* ---- the guest's /etc/passwd and /etc/group ---- */

/* A regular file of the guest's, or NULL (a FIFO or device must not block
 * or feed us). */
static FILE *open_db(const char *path)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	FILE *f;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(f = fdopen(fd, "r"))) {
		close(fd);
		return NULL;
	}
	return f;
}

/* Split @line at colons into at most @max fields, keeping empty ones
 * (strtok would not); returns how many. */
static int split(char *line, char **fields, int max)
{
	char *p = line;
	int n = 0;

	line[strcspn(line, "\n")] = 0;
	while (n < max && (fields[n] = strsep(&p, ":")))
		n++;
	return n;
}

static bool parse_id(const char *s, unsigned long *id)
{
	uint64_t v;

	/* (uid_t)-1 means "unchanged" to setresuid(): not an id. */
	if (vu_parse_uint(s, 0, 0xfffffffeU, &v) < 0)
		return false;
	*id = (unsigned long)v;
	return true;
}

/* The passwd entry named @who or, if @who is a number, with that uid. */
static bool find_user(const char *who, struct ident *id)
{
	FILE *f = open_db("/etc/passwd");
	unsigned long num = 0;
	bool numeric = parse_id(who, &num), found = false;
	char line[1024];

	while (f && !found && fgets(line, sizeof(line), f)) {
		char *fl[7];
		unsigned long uid, gid;

		if (split(line, fl, 7) != 7 || !parse_id(fl[2], &uid) || !parse_id(fl[3], &gid))
			continue;
		if (numeric ? uid != num : strcmp(fl[0], who) != 0)
			continue;
		id->uid = (uid_t)uid;
		id->gid = (gid_t)gid;
		snprintf(id->name, sizeof(id->name), "%s", fl[0]);
		if (fl[5][0] == '/')
			snprintf(id->home, sizeof(id->home), "%s", fl[5]);
		if (fl[6][0] == '/')
			snprintf(id->shell, sizeof(id->shell), "%s", fl[6]);
		found = true;
	}
	if (f)
		fclose(f);
	return found;
}

/* Group @grp (a name or a number) into *gid. */
static bool find_group(const char *grp, gid_t *gid)
{
	FILE *f;
	unsigned long num;
	bool found = false;
	char line[4096];

	if (parse_id(grp, &num)) {
		*gid = (gid_t)num;
		return true;
	}
	f = open_db("/etc/group");
	while (f && !found && fgets(line, sizeof(line), f)) {
		char *fl[4];

		if (split(line, fl, 4) >= 3 && !strcmp(fl[0], grp) && parse_id(fl[2], &num)) {
			*gid = (gid_t)num;
			found = true;
		}
	}
	if (f)
		fclose(f);
	return found;
}

/* The primary group plus every group of /etc/group that lists the user. */
static void find_groups(struct ident *id)
{
	FILE *f = open_db("/etc/group");
	char line[4096];

	id->groups[0] = id->gid;
	id->n_groups = 1;
	while (f && id->n_groups < MAX_GROUPS && fgets(line, sizeof(line), f)) {
		char *fl[4], *member, *p;
		unsigned long gid;

		if (split(line, fl, 4) != 4 || !parse_id(fl[2], &gid) || (gid_t)gid == id->gid)
			continue;
		for (p = fl[3]; (member = strsep(&p, ","));) {
			if (!strcmp(member, id->name)) {
				id->groups[id->n_groups++] = (gid_t)gid;
				break;
			}
		}
	}
	if (f)
		fclose(f);
}

/* "USER[:GROUP]" (empty: root) into @id. */
static int lookup(const char *spec, struct ident *id, struct vu_err *e)
{
	char user[256], *group;
	unsigned long num;

	snprintf(user, sizeof(user), "%s", spec[0] ? spec : "0");
	group = strchr(user, ':');
	if (group)
		*group++ = 0;
	memset(id, 0, sizeof(*id));
	snprintf(id->shell, sizeof(id->shell), "/bin/sh");
	snprintf(id->home, sizeof(id->home), "/");
	if (!find_user(user, id)) {
		/* A number the guest does not know is still a uid (with the
		 * same number as group, not root's); a name must exist. */
		if (!parse_id(user, &num))
			return vu_err_set(e, ENOENT, "user %s: not in the guest's /etc/passwd", user);
		id->uid = (uid_t)num;
		id->gid = (gid_t)num;
		snprintf(id->name, sizeof(id->name), "%s", num == 0 ? "root" : user);
		if (num == 0)
			snprintf(id->home, sizeof(id->home), "/root");
	}
	find_groups(id);
	if (group && !find_group(group, &id->gid))
		return vu_err_set(e, ENOENT, "group %s: not in the guest's /etc/group", group);
	if (group)
		id->groups[0] = id->gid;
	return 0;
}

/* ---- entering ---- */

/* Open a pty in the guest's devpts, hand its master to the caller, make
 * the slave our controlling terminal and stdin, stdout and stderr. */
static int open_pty(struct vu_err *e)
{
	int master, slave;

	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return vu_err_set(e, errno, "the guest's /dev/ptmx");
	if (unlockpt(master) < 0) {
		vu_err_set(e, errno, "unlockpt");
		close(master);
		return -1;
	}
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	if (slave < 0) {
		vu_err_set(e, errno, "opening the pty");
		close(master);
		return -1;
	}
	if (vu_msg_send(VU_JOIN_FD_SYNC, "M", 1, master) < 0) {
		vu_err_set(e, errno, "passing the pty");
		goto fail;
	}
	close(master);
	master = -1;
	if (ioctl(slave, TIOCSCTTY, 0) < 0) {
		vu_err_set(e, errno, "making the pty the controlling terminal");
		goto fail;
	}
	for (int i = 0; i < 3; i++) {
		if (dup2(slave, i) < 0) {
			vu_err_set(e, errno, "dup2");
			goto fail;
		}
	}
	close(slave);
	return 0;
fail:
	if (master >= 0)
		close(master);
	close(slave);
	return -1;
}

static int join_namespaces(struct vu_err *e)
{
	if (setns(VU_JOIN_FD_PIDFD, CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET |
		  CLONE_NEWCGROUP) < 0)
		return vu_err_set(e, errno, "joining the guest's namespaces");
	if (close(VU_JOIN_FD_PIDFD) < 0)
		return vu_err_set(e, errno, "closing the pidfd");
	if (chdir("/") < 0)
		return vu_err_set(e, errno, "chdir /");
	return 0;
}

/* Become @id.  Called with the host's capabilities still in the permitted
 * set (setgroups needs CAP_SETGID whatever the guest's set); a switch away
 * from root clears them all, the bounding set is already the guest's. */
static int become(const struct ident *id, unsigned long long caps, struct vu_err *e)
{
	if (setgroups(id->n_groups, id->groups) < 0)
		return vu_err_set(e, errno, "setgroups");
	if (setresgid(id->gid, id->gid, id->gid) < 0)
		return vu_err_set(e, errno, "setresgid %u", (unsigned)id->gid);
	if (setresuid(id->uid, id->uid, id->uid) < 0)
		return vu_err_set(e, errno, "setresuid %u", (unsigned)id->uid);
	if (id->uid == 0 && vu_caps_set(caps, e) < 0)
		return -1;
	/* A change of credentials may have made us dumpable again. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return vu_err_set(e, errno, "PR_SET_DUMPABLE");
	return 0;
}

/* HOME, USER, LOGNAME of the user, unless the caller set them (-e). */
static int set_identity_env(const struct ident *id, struct vu_err *e)
{
	if (setenv("HOME", id->home, 0) < 0 || setenv("USER", id->name, 0) < 0 ||
	    setenv("LOGNAME", id->name, 0) < 0)
		return vu_err_set(e, errno, "setenv");
	return 0;
}

static __attribute__((noreturn)) void run(const struct guest_args *a)
{
	struct vu_err e = { 0 };
	struct ident id;
	char argv0[260], go;
	const char *base;

	if (read(VU_JOIN_FD_SYNC, &go, 1) != 1)
		_exit(126);
	if (vu_oom_reset(&e) < 0 || join_namespaces(&e) < 0)
		fail(&e, 126);
	if (a->pty && open_pty(&e) < 0)
		fail(&e, 126);
	if (vu_caps_bound(a->caps, &e) < 0 || (a->seccomp && vu_scmp_load(NULL, &e) < 0))
		fail(&e, 126);
	/* Read, not run: only our own parser touches the guest's files. */
	if (lookup(a->user, &id, &e) < 0 || become(&id, a->caps, &e) < 0 ||
	    set_identity_env(&id, &e) < 0)
		fail(&e, 126);
	if (a->workdir[0] ? chdir(a->workdir) < 0 :
	    a->login && chdir(id.home) < 0 && chdir("/") < 0) {
		vu_err_set(&e, errno, "%s", a->workdir[0] ? a->workdir : id.home);
		fail(&e, 126);
	}
	vu_ctx_default_signals();
	if (!a->login) {
		execvp(a->argv[0], a->argv);
		vu_err_set(&e, errno, "%s", a->argv[0]);
		fail(&e, errno == ENOENT ? 127 : 126);
	}
	if (access(id.shell, X_OK) < 0)
		snprintf(id.shell, sizeof(id.shell), "/bin/sh");
	base = strrchr(id.shell, '/');
	snprintf(argv0, sizeof(argv0), "-%s", base ? base + 1 : id.shell);
	execl(id.shell, argv0, (char *)NULL);
	vu_err_set(&e, errno, "%s", id.shell);
	fail(&e, errno == ENOENT ? 127 : 126);
}

void vu_join_guest_main(int argc, char **argv)
{
	struct guest_args a = { 0 };
	struct vu_err e;

	/* First of all: from here to execve nobody without CAP_SYS_PTRACE
	 * gets into this process. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		fail_errno(126, "PR_SET_DUMPABLE");
	/* The command must not inherit them; end of file on the socket is
	 * how the caller learns that it was executed. */
	if (fcntl(VU_JOIN_FD_SYNC, F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(VU_JOIN_FD_PIDFD, F_SETFD, FD_CLOEXEC) < 0)
		fail_errno(126, "joining the guest: descriptors 3 and 4");
	if (parse_args(argc, argv, &a, &e) < 0)
		fail(&e, 126);
	run(&a);
}
