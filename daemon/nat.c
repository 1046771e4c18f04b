// SPDX-License-Identifier: GPL-2.0-or-later
/* The guest's nftables table: see include/vsupervisor/nat.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vsupervisor/nat.h"
#include "vsupervisor/netlink.h"

void vu_nat_table(const char *base, const char *name, char out[VU_NAT_TABLESZ])
{
	char mark[VU_NL_MARKSZ];

	/* The veth's mark, "vunify:HASH:NAME", as an nft identifier. */
	vu_nl_mark(base, name, mark);
	for (char *p = mark; *p; p++)
		if (*p == ':')
			*p = '-';
	snprintf(out, VU_NAT_TABLESZ, "%s", mark);
}

const char *vu_nat_nft(void)
{
	/* Fixed places, not $PATH: the supervisor runs as root. */
	static const char *const where[] = { "/usr/sbin/nft", "/sbin/nft", "/usr/local/sbin/nft" };

	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++)
		if (access(where[i], X_OK) == 0)
			return where[i];
	return NULL;
}

/* Run `nft -f -` on @script; its first line of complaint becomes the error. */
static int run_nft(const char *script, const char *table, struct vu_err *e)
{
	const char *nft = vu_nat_nft();
	char *const argv[] = { "nft", "-f", "-", NULL };
	char *const env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL };
	char msg[512];
	size_t n = 0, len = strlen(script);
	int in = -1, out[2] = { -1, -1 }, status, r = -1;
	ssize_t k;
	pid_t pid;

	if (!nft)
		return vu_err_set(e, ENOENT, "[network] nat: table %s: nft(8) is not installed "
				  "(Debian: apt-get install nftables)", table);
	/* The script from a memory file, not a pipe: no SIGPIPE, no deadlock. */
	in = memfd_create("vunify-nft", MFD_CLOEXEC);
	if (in < 0 || write(in, script, len) != (ssize_t)len || lseek(in, 0, SEEK_SET) < 0) {
		vu_err_set(e, errno, "[network] nat: table %s: memfd", table);
		goto out;
	}
	if (pipe2(out, O_CLOEXEC) < 0) {
		vu_err_set(e, errno, "pipe");
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		vu_err_set(e, errno, "fork");
		goto out;
	}
	if (pid == 0) {
		if (dup2(in, 0) < 0 || dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0)
			_exit(127);
		execve(nft, argv, env);
		_exit(127);
	}
	close(out[1]);
	out[1] = -1;
	while ((k = read(out[0], msg + n, sizeof(msg) - 1 - n)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			break;
		n += (size_t)k;
		if (n == sizeof(msg) - 1) {
			char sink[256];

			while (read(out[0], sink, sizeof(sink)) > 0)
				;
			break;
		}
	}
	msg[n] = 0;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			vu_err_set(e, errno, "waitpid nft");
			goto out;
		}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		msg[strcspn(msg, "\n")] = 0;
		vu_err_set(e, EIO, "[network] nat: table %s: nft failed%s%s", table,
			   msg[0] ? ": " : "", msg);
		goto out;
	}
	r = 0;
out:
	if (in >= 0)
		close(in);
	if (out[0] >= 0)
		close(out[0]);
	if (out[1] >= 0)
		close(out[1]);
	return r;
}

/* Append printf output to @buf; false once it would not fit. */
static bool add(char *buf, size_t size, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static bool add(char *buf, size_t size, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (*n >= size)
		return false;
	va_start(ap, fmt);
	k = vsnprintf(buf + *n, size - *n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= size - *n) {
		*n = size;
		return false;
	}
	*n += (size_t)k;
	return true;
}

int vu_nat_add(const struct vu_layout *l, const struct vu_gconf *c, const char *ifname,
	       struct vu_err *e)
{
	const struct vu_gconf_addr *g = vu_gconf_ipv4(c);
	char table[VU_NAT_TABLESZ], a[INET_ADDRSTRLEN], script[8192];
	size_t n = 0;
	bool ok, first = true;

	vu_nat_table(l->base, l->name, table);
	/* The interface's name goes into the script: nothing but what
	 * cannot end a string there. */
	if (strspn(ifname, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-+@") !=
	    strlen(ifname))
		return vu_err_set(e, EINVAL, "[network] nat = yes: interface name '%s' has "
				  "characters other than letters, digits and ._-+@", ifname);
	if (!g)
		return vu_err_set(e, EINVAL, "[network] nat = yes needs an IPv4 address");
	inet_ntop(AF_INET, g->addr, a, sizeof(a));
	/* Creating the table first makes the delete succeed: the three
	 * lines replace whatever an earlier run left, in one transaction.
	 * Priorities as numbers: nft 1.0.6 knows "dstnat" in prerouting
	 * only. */
	ok = add(script, sizeof(script), &n, "table ip %s\ndelete table ip %s\ntable ip %s {\n",
		 table, table, table);
	for (int out = 0; out < 2; out++) {
		/* Only what is addressed to the host itself: traffic passing
		 * through to other machines keeps its destination. */
		ok = ok && add(script, sizeof(script), &n, "\tchain %s {\n\t\ttype nat hook %s "
			       "priority -100; policy accept;\n", out ? "output" : "prerouting",
			       out ? "output" : "prerouting");
		for (size_t i = 0; i < c->n_publish; i++)
			ok = ok && add(script, sizeof(script), &n,
				       "\t\tfib daddr type local %s dport %u dnat to %s:%u\n",
				       c->publish[i].udp ? "udp" : "tcp", c->publish[i].host_port,
				       a, c->publish[i].guest_port);
		ok = ok && add(script, sizeof(script), &n, "\t}\n");
	}
	ok = ok && add(script, sizeof(script), &n, "\tchain postrouting {\n\t\ttype nat hook "
		       "postrouting priority 100; policy accept;\n\t\tip saddr { ");
	for (size_t i = 0; i < c->n_addrs; i++) {
		if (c->addrs[i].family != AF_INET)
			continue;
		inet_ntop(AF_INET, c->addrs[i].addr, a, sizeof(a));
		ok = ok && add(script, sizeof(script), &n, "%s%s", first ? "" : ", ", a);
		first = false;
	}
	/* Not what stays on the guest's own link (the bridge's neighbours
	 * see its real address). */
	ok = ok && add(script, sizeof(script), &n, " } oifname != \"%s\" masquerade\n\t}\n}\n",
		       ifname);
	if (!ok)
		return vu_err_set(e, E2BIG, "[network] nat: table %s: too many rules", table);
	return run_nft(script, table, e);
}

int vu_nat_del(const struct vu_layout *l, struct vu_err *e)
{
	char table[VU_NAT_TABLESZ], script[3 * VU_NAT_TABLESZ];

	vu_nat_table(l->base, l->name, table);
	/* Ours by its name alone: made from the base and the guest's name,
	 * nothing guest.conf says. */
	snprintf(script, sizeof(script), "table ip %s\ndelete table ip %s\n", table, table);
	return run_nft(script, table, e);
}
