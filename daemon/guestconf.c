// SPDX-License-Identifier: GPL-2.0-or-later
/* guest.conf parser: see include/vsupervisor/guestconf.h and vserver(8). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>

#include <ini.h>

#include "vsupervisor/guestconf.h"

/* The state of one parse: inih gives the handler no line number, so the
 * reader counts lines itself (it is called exactly once per line). */
struct parse {
	struct vu_gconf *c;
	FILE *f;
	const char *fname;
	unsigned line;
	unsigned section_line;      /* where the current [section] began */
	bool failed;
	struct vu_err *e;
	unsigned seen;              /* bit per scalar key, for duplicates */
};

void vu_gconf_defaults(struct vu_gconf *c, const char *name)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->hostname, sizeof(c->hostname), "%s", name);
	c->stop_signal = SIGINT;
	c->stop_timeout = 30;
	c->start_order = VU_GCONF_DEFAULT_ORDER;
	c->disk_reserved = -1;
	c->net_mode = VU_NET_NONE;
	c->seccomp = true;
	snprintf(c->guest_ifname, sizeof(c->guest_ifname), "eth0");
}

void vu_gconf_free(struct vu_gconf *c)
{
	for (size_t i = 0; c->init_argv[i]; i++) {
		free(c->init_argv[i]);
		c->init_argv[i] = NULL;
	}
}

bool vu_guest_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 63 || !isalnum((unsigned char)name[0]))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = name[i];

		if (!isalnum(ch) && ch != '.' && ch != '_' && ch != '-')
			return false;
	}
	return true;
}

void vu_gconf_default_host_ifname(const char *name, char out[VU_IFNAMSIZ])
{
	uint32_t h = 2166136261u;   /* FNV-1a */

	if (strlen(name) <= VU_IFNAMSIZ - 1 - 3) {
		snprintf(out, VU_IFNAMSIZ, "vu-%s", name);
		return;
	}
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	snprintf(out, VU_IFNAMSIZ, "vu-%.3s%08x", name, h);
}

int vu_parse_u64(const char *s, uint64_t *out)
{
	return vu_parse_uint(s, 0, UINT64_MAX, out);
}

int vu_parse_devnum(const char *s, unsigned *maj, unsigned *min)
{
	const char *end;
	uint64_t a, b;

	if (vu_parse_digits(s, &end, &a) < 0 || *end != ':' || a >= (1u << 12) ||
	    vu_parse_uint(end + 1, 0, (1u << 20) - 1, &b) < 0)
		return -1;
	*maj = (unsigned)a;
	*min = (unsigned)b;
	return 0;
}

int vu_parse_signal(const char *s, int *sig)
{
	uint64_t n;

	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	if (vu_parse_u64(s, &n) == 0) {
		if (n < 1 || n > (uint64_t)SIGRTMAX)
			return -1;
		*sig = (int)n;
		return 0;
	}
	if (!strncasecmp(s, "RTMIN", 5)) {
		n = 0;
		if (s[5] == '+' && vu_parse_u64(s + 6, &n) < 0)
			return -1;
		if (s[5] != '+' && s[5])
			return -1;
		if (n > (uint64_t)(SIGRTMAX - SIGRTMIN))
			return -1;
		*sig = SIGRTMIN + (int)n;
		return 0;
	}
	for (int i = 1; i < SIGRTMIN; i++) {
		const char *abbrev = sigabbrev_np(i);

		if (abbrev && !strcasecmp(abbrev, s)) {
			*sig = i;
			return 0;
		}
	}
	return -1;
}

int vu_parse_addr(const char *s, bool need_prefix, struct vu_gconf_addr *a)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash;
	uint64_t prefix;
	unsigned max;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = 0;
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, buf, a->addr) == 1) {
		a->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, a->addr) == 1) {
		a->family = AF_INET6;
		max = 128;
	} else {
		return -1;
	}
	if (!slash) {
		if (need_prefix)
			return -1;
		a->prefix = max;
		return 0;
	}
	if (!need_prefix || vu_parse_u64(slash, &prefix) < 0 || prefix > max)
		return -1;
	a->prefix = (unsigned)prefix;
	return 0;
}

static bool parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return true;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return true;
		}
	}
	return false;
}

/* A list of capability names ("net_admin, CAP_SYS_NICE") as a bit mask. */
static int parse_caps(const char *s, uint64_t *mask, char *bad, size_t badlen)
{
	char buf[1024], *save = NULL;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	*mask = 0;
	for (char *tok = strtok_r(buf, " ,\t", &save); tok; tok = strtok_r(NULL, " ,\t", &save)) {
		char name[64];
		cap_value_t v;

		for (char *p = tok; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		snprintf(name, sizeof(name), "%s%s", strncmp(tok, "cap_", 4) ? "cap_" : "", tok);
		if (cap_from_name(name, &v) < 0 || v < 0 || v > 63) {
			snprintf(bad, badlen, "%s", tok);
			return -1;
		}
		*mask |= UINT64_C(1) << v;
	}
	return 0;
}

/* A normalised absolute path without "." or ".." components into @out. */
static int normalise_guest_path(const char *s, char *out, size_t len)
{
	char buf[256], *save = NULL;
	size_t n = 0;

	if (s[0] != '/' || strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	out[0] = 0;
	for (char *tok = strtok_r(buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (!strcmp(tok, ".") || !strcmp(tok, ".."))
			return -1;
		n += (size_t)snprintf(out + n, len - n, "/%s", tok);
		if (n >= len)
			return -1;
	}
	if (!n)
		return -1;          /* "/" itself cannot be a bind target */
	return 0;
}

static int hostname_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.' && s[i] != '_')
			return 0;
	return 1;
}

int vu_gconf_cerr(struct vu_err *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	e->code = EINVAL;
	errno = EINVAL;
	return -1;
}

static int perr(struct parse *p, const char *section, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int perr(struct parse *p, const char *section, const char *key, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	if (!p->failed) {
		va_start(ap, fmt);
		vsnprintf(what, sizeof(what), fmt, ap);
		va_end(ap);
		if (key)
			vu_err_set(p->e, 0, "%s:%u: [%s] %s: %s", p->fname, p->line,
				   section, key, what);
		else
			vu_err_set(p->e, 0, "%s:%u: %s", p->fname, p->line, what);
		p->e->code = EINVAL;
		p->failed = true;
	}
	return 0;
}

/* Scalar keys may appear once; @bit is their index in p->seen. */
static bool once(struct parse *p, unsigned bit)
{
	if (p->seen & (1u << bit))
		return false;
	p->seen |= 1u << bit;
	return true;
}

enum {
	K_HOSTNAME, K_DOMAIN, K_INIT, K_STOPSIG, K_STOPTMO,
	K_MEM, K_SWAP, K_CPUW, K_CPUQ, K_CPUP, K_PIDS, K_IOW, K_DISK, K_INODES, K_RESV,
	K_MODE, K_GW4, K_GW6, K_HIF, K_GIF, K_BRIDGE, K_LINK, K_NAT,
	K_KEEP, K_DROP, K_SECCOMP,
	K_AUTOSTART, K_ORDER, K_LXCFS,
};

static int split_init(struct parse *p, const char *value)
{
	char buf[1024], *save = NULL;
	size_t n = 0;

	if (strlen(value) >= sizeof(buf))
		return perr(p, "guest", "init", "too long");
	strcpy(buf, value);
	for (char *tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (n == VU_GCONF_MAX_ARGS)
			return perr(p, "guest", "init", "more than %d arguments", VU_GCONF_MAX_ARGS);
		p->c->init_argv[n] = strdup(tok);
		if (!p->c->init_argv[n]) {
			vu_err_set(p->e, ENOMEM, "%s", p->fname);
			p->failed = true;
			return 0;
		}
		n++;
	}
	if (n == 0 || p->c->init_argv[0][0] != '/')
		return perr(p, "guest", "init", "'%s' is not an absolute path", value);
	return 1;
}

static int sec_guest(struct parse *p, const char *key, const char *value)
{
	struct vu_gconf *c = p->c;
	uint64_t n;

	if (!strcmp(key, "hostname")) {
		if (!once(p, K_HOSTNAME))
			return perr(p, "guest", key, "given twice");
		if (!hostname_ok(value))
			return perr(p, "guest", key, "'%s' is not a valid host name", value);
		snprintf(c->hostname, sizeof(c->hostname), "%s", value);
	} else if (!strcmp(key, "domainname")) {
		if (!once(p, K_DOMAIN))
			return perr(p, "guest", key, "given twice");
		if (!hostname_ok(value))
			return perr(p, "guest", key, "'%s' is not a valid domain name", value);
		snprintf(c->domainname, sizeof(c->domainname), "%s", value);
	} else if (!strcmp(key, "init")) {
		if (!once(p, K_INIT))
			return perr(p, "guest", key, "given twice");
		return split_init(p, value);
	} else if (!strcmp(key, "stop_signal")) {
		if (!once(p, K_STOPSIG))
			return perr(p, "guest", key, "given twice");
		if (vu_parse_signal(value, &c->stop_signal) < 0)
			return perr(p, "guest", key, "'%s' is not a signal", value);
		c->stop_signal_set = true;
	} else if (!strcmp(key, "stop_timeout")) {
		if (!once(p, K_STOPTMO))
			return perr(p, "guest", key, "given twice");
		if (vu_parse_u64(value, &n) < 0 || n > 86400)
			return perr(p, "guest", key, "'%s' is not a number of seconds (0-86400)", value);
		c->stop_timeout = (unsigned)n;
	} else if (!strcmp(key, "autostart")) {
		if (!once(p, K_AUTOSTART))
			return perr(p, "guest", key, "given twice");
		if (!parse_bool(value, &c->autostart))
			return perr(p, "guest", key, "'%s' is not yes or no", value);
	} else if (!strcmp(key, "start_order")) {
		if (!once(p, K_ORDER))
			return perr(p, "guest", key, "given twice");
		if (vu_parse_u64(value, &n) < 0 || n > VU_GCONF_MAX_ORDER)
			return perr(p, "guest", key, "'%s' is not a number (0-%u)", value,
				    VU_GCONF_MAX_ORDER);
		c->start_order = (unsigned)n;
	} else if (!strcmp(key, "lxcfs")) {
		if (!once(p, K_LXCFS))
			return perr(p, "guest", key, "given twice");
		if (!strcmp(value, "auto"))
			c->lxcfs = VU_LXCFS_AUTO;
		else if (!strcmp(value, "yes"))
			c->lxcfs = VU_LXCFS_YES;
		else if (!strcmp(value, "no"))
			c->lxcfs = VU_LXCFS_NO;
		else
			return perr(p, "guest", key, "'%s' is not auto, yes or no", value);
	} else {
		return perr(p, NULL, NULL, "unknown key '%s' in [guest]", key);
	}
	return 1;
}

static int io_rule(struct parse *p, const char *key, const char *value, enum vu_io_kind kind)
{
	struct vu_gconf *c = p->c;
	char dev[128];
	const char *sp = strpbrk(value, " \t");
	uint64_t v;
	int r;

	if (!sp || (size_t)(sp - value) >= sizeof(dev))
		return perr(p, "limits", key, "'%s' is not 'DEVICE VALUE'", value);
	memcpy(dev, value, (size_t)(sp - value));
	dev[sp - value] = 0;
	while (*sp == ' ' || *sp == '\t')
		sp++;
	if (dev[0] != '/') {
		unsigned maj, min;

		if (vu_parse_devnum(dev, &maj, &min) < 0)
			return perr(p, "limits", key, "'%s' is neither a /dev path nor MAJOR:MINOR", dev);
	}
	if (kind == VU_IO_READ_BPS || kind == VU_IO_WRITE_BPS)
		r = vu_parse_size(sp, &v);
	else
		r = vu_parse_u64(sp, &v);
	if (r < 0 || v == 0)
		return perr(p, "limits", key, "'%s' is not a positive %s", sp,
			    kind <= VU_IO_WRITE_BPS ? "size" : "number");
	if (c->n_io == VU_GCONF_MAX_IO)
		return perr(p, "limits", key, "more than %d I/O rules", VU_GCONF_MAX_IO);
	c->io[c->n_io].kind = kind;
	snprintf(c->io[c->n_io].device, sizeof(c->io[c->n_io].device), "%s", dev);
	c->io[c->n_io].value = v;
	c->n_io++;
	return 1;
}

/* "N%" of one CPU (150% = one and a half CPUs), or a bare number of
 * microseconds per period. */
static int cpu_quota(struct parse *p, const char *key, const char *value)
{
	size_t len = strlen(value);
	uint64_t v;

	if (len > 1 && value[len - 1] == '%') {
		char buf[32];

		if (len >= sizeof(buf))
			return perr(p, "limits", key, "'%s' is not a percentage", value);
		memcpy(buf, value, len - 1);
		buf[len - 1] = 0;
		if (vu_parse_u64(buf, &v) < 0 || v == 0 || v > 100000)
			return perr(p, "limits", key, "'%s' is not a percentage (1%%-100000%%)", value);
		/* Resolved against the period once the whole file is read. */
		p->c->cpu_quota_us = v * 1000;   /* per 100 ms; rescaled below */
		p->c->cpu_quota_us |= UINT64_C(1) << 63;
		return 1;
	}
	if (vu_parse_u64(value, &v) < 0 || v < 1000 || v > 1000000000)
		return perr(p, "limits", key, "'%s' is neither N%% nor microseconds (>= 1000)", value);
	p->c->cpu_quota_us = v;
	return 1;
}

static int sec_limits(struct parse *p, const char *key, const char *value)
{
	struct vu_gconf *c = p->c;
	uint64_t v;

	if (!strcmp(key, "memory") || !strcmp(key, "memory_swap") || !strcmp(key, "disk")) {
		unsigned bit = key[0] == 'd' ? K_DISK : key[6] == '_' ? K_SWAP : K_MEM;

		if (!once(p, bit))
			return perr(p, "limits", key, "given twice");
		if (vu_parse_size(value, &v) < 0 || (v == 0 && bit != K_SWAP))
			return perr(p, "limits", key, "'%s' is not a size", value);
		if (bit == K_MEM && v < (UINT64_C(4) << 20))
			return perr(p, "limits", key, "'%s' is less than 4M", value);
		/* vunifyfs's counters are signed 64-bit (space=): refuse here
		 * what it would refuse at every start. */
		if (bit == K_DISK && v > INT64_MAX)
			return perr(p, "limits", key, "'%s' is more than 8388607T", value);
		if (bit == K_DISK)
			c->disk = v;
		else if (bit == K_SWAP) {
			c->memory_swap = v;
			c->memory_swap_set = true;
		} else
			c->memory = v;
	} else if (!strcmp(key, "cpu_weight") || !strcmp(key, "io_weight")) {
		if (!once(p, key[0] == 'c' ? K_CPUW : K_IOW))
			return perr(p, "limits", key, "given twice");
		if (vu_parse_u64(value, &v) < 0 || v < 1 || v > 10000)
			return perr(p, "limits", key, "'%s' is not a weight (1-10000)", value);
		if (key[0] == 'c')
			c->cpu_weight = (unsigned)v;
		else
			c->io_weight = (unsigned)v;
	} else if (!strcmp(key, "cpu_quota")) {
		if (!once(p, K_CPUQ))
			return perr(p, "limits", key, "given twice");
		return cpu_quota(p, key, value);
	} else if (!strcmp(key, "cpu_period")) {
		if (!once(p, K_CPUP))
			return perr(p, "limits", key, "given twice");
		if (vu_parse_u64(value, &v) < 0 || v < 1000 || v > 1000000)
			return perr(p, "limits", key, "'%s' is not microseconds (1000-1000000)", value);
		c->cpu_period_us = v;
	} else if (!strcmp(key, "pids") || !strcmp(key, "inodes")) {
		if (!once(p, key[0] == 'p' ? K_PIDS : K_INODES))
			return perr(p, "limits", key, "given twice");
		if (vu_parse_u64(value, &v) < 0 || v == 0)
			return perr(p, "limits", key, "'%s' is not a positive number", value);
		if (v > INT64_MAX)      /* vunifyfs's inodes=, and cgroup's pids.max */
			return perr(p, "limits", key, "'%s' is more than 9223372036854775807", value);
		if (key[0] == 'p')
			c->pids = v;
		else
			c->inodes = v;
	} else if (!strcmp(key, "disk_reserved")) {
		if (!once(p, K_RESV))
			return perr(p, "limits", key, "given twice");
		if (vu_parse_u64(value, &v) < 0 || v > 50)
			return perr(p, "limits", key, "'%s' is not a percentage (0-50)", value);
		c->disk_reserved = (int)v;
	} else if (!strcmp(key, "io_read_bps")) {
		return io_rule(p, key, value, VU_IO_READ_BPS);
	} else if (!strcmp(key, "io_write_bps")) {
		return io_rule(p, key, value, VU_IO_WRITE_BPS);
	} else if (!strcmp(key, "io_read_iops")) {
		return io_rule(p, key, value, VU_IO_READ_IOPS);
	} else if (!strcmp(key, "io_write_iops")) {
		return io_rule(p, key, value, VU_IO_WRITE_IOPS);
	} else {
		return perr(p, NULL, NULL, "unknown key '%s' in [limits]", key);
	}
	return 1;
}

static int ifname_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= VU_IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || isspace((unsigned char)s[i]))
			return 0;
	return 1;
}

static int sec_network(struct parse *p, const char *key, const char *value)
{
	struct vu_gconf *c = p->c;
	struct vu_gconf_addr a;

	if (!strcmp(key, "mode")) {
		if (!once(p, K_MODE))
			return perr(p, "network", key, "given twice");
		if (!strcmp(value, "none"))
			c->net_mode = VU_NET_NONE;
		else if (!strcmp(value, "host"))
			c->net_mode = VU_NET_HOST;
		else if (!strcmp(value, "veth"))
			c->net_mode = VU_NET_VETH;
		else if (!strcmp(value, "bridge"))
			c->net_mode = VU_NET_BRIDGE;
		else if (!strcmp(value, "macvlan"))
			c->net_mode = VU_NET_MACVLAN;
		else if (!strcmp(value, "ipvlan"))
			c->net_mode = VU_NET_IPVLAN;
		else
			return perr(p, "network", key, "'%s' is not none, host, veth, bridge, "
				    "macvlan or ipvlan", value);
	} else if (!strcmp(key, "address") || !strcmp(key, "host_address")) {
		bool host = key[0] == 'h';
		size_t *n = host ? &c->n_host_addrs : &c->n_addrs;

		if (vu_parse_addr(value, true, &a) < 0)
			return perr(p, "network", key, "'%s' is not ADDRESS/PREFIX", value);
		if (*n == VU_GCONF_MAX_ADDRS)
			return perr(p, "network", key, "more than %d addresses", VU_GCONF_MAX_ADDRS);
		(host ? c->host_addrs : c->addrs)[(*n)++] = a;
	} else if (!strcmp(key, "gateway")) {
		if (vu_parse_addr(value, false, &a) < 0)
			return perr(p, "network", key, "'%s' is not an address", value);
		if (!once(p, a.family == AF_INET ? K_GW4 : K_GW6))
			return perr(p, "network", key, "one gateway per address family");
		c->gateways[c->n_gateways++] = a;
	} else if (!strcmp(key, "host_ifname") || !strcmp(key, "guest_ifname")) {
		bool host = key[0] == 'h';

		if (!once(p, host ? K_HIF : K_GIF))
			return perr(p, "network", key, "given twice");
		if (!ifname_ok(value))
			return perr(p, "network", key, "'%s' is not an interface name", value);
		snprintf(host ? c->host_ifname : c->guest_ifname, VU_IFNAMSIZ, "%s", value);
	} else if (!strcmp(key, "bridge") || !strcmp(key, "link")) {
		bool br = key[0] == 'b';

		if (!once(p, br ? K_BRIDGE : K_LINK))
			return perr(p, "network", key, "given twice");
		if (!ifname_ok(value))
			return perr(p, "network", key, "'%s' is not an interface name", value);
		snprintf(br ? c->bridge : c->link, VU_IFNAMSIZ, "%s", value);
	} else if (!strcmp(key, "nat")) {
		if (!once(p, K_NAT))
			return perr(p, "network", key, "given twice");
		if (!parse_bool(value, &c->nat))
			return perr(p, "network", key, "'%s' is not yes or no", value);
	} else if (!strcmp(key, "publish")) {
		if (c->n_publish == VU_GCONF_MAX_PUBLISH)
			return perr(p, "network", key, "more than %d ports", VU_GCONF_MAX_PUBLISH);
		if (vu_parse_publish(value, &c->publish[c->n_publish]) < 0)
			return perr(p, "network", key, "'%s' is not HOSTPORT:GUESTPORT[/tcp|/udp]",
				    value);
		for (size_t i = 0; i < c->n_publish; i++)
			if (c->publish[i].host_port == c->publish[c->n_publish].host_port &&
			    c->publish[i].udp == c->publish[c->n_publish].udp)
				return perr(p, "network", key, "host port %s published twice",
					    value);
		c->n_publish++;
	} else {
		return perr(p, NULL, NULL, "unknown key '%s' in [network]", key);
	}
	return 1;
}

static int sec_security(struct parse *p, const char *key, const char *value)
{
	struct vu_gconf *c = p->c;
	char bad[64];

	if (!strcmp(key, "cap_keep") || !strcmp(key, "cap_drop")) {
		bool keep = key[4] == 'k';
		uint64_t m;

		if (!once(p, keep ? K_KEEP : K_DROP))
			return perr(p, "security", key, "given twice");
		if (parse_caps(value, &m, bad, sizeof(bad)) < 0)
			return perr(p, "security", key, "'%s' is not a capability", bad);
		if (keep)
			c->cap_keep = m;
		else
			c->cap_drop = m;
	} else if (!strcmp(key, "seccomp")) {
		if (!once(p, K_SECCOMP))
			return perr(p, "security", key, "given twice");
		if (!parse_bool(value, &c->seccomp))
			return perr(p, "security", key, "'%s' is not yes or no", value);
	} else {
		return perr(p, NULL, NULL, "unknown key '%s' in [security]", key);
	}
	return 1;
}

static int sec_mounts(struct parse *p, const char *key, const char *value)
{
	struct vu_gconf *c = p->c;
	struct vu_gconf_mount *m;
	char src[4096], mode[8] = "ro", extra;
	int n;

	if (c->n_mounts == VU_GCONF_MAX_MOUNTS)
		return perr(p, "mounts", key, "more than %d mounts", VU_GCONF_MAX_MOUNTS);
	m = &c->mounts[c->n_mounts];
	if (normalise_guest_path(key, m->target, sizeof(m->target)) < 0)
		return perr(p, "mounts", key, "the target must be an absolute path below / "
			    "without '.' or '..'");
	n = sscanf(value, "%4095s %7s %c", src, mode, &extra);
	if (n < 1 || n > 2 || src[0] != '/')
		return perr(p, "mounts", key, "'%s' is not 'SOURCE [ro|rw]' with an absolute "
			    "SOURCE", value);
	if (strcmp(mode, "ro") && strcmp(mode, "rw"))
		return perr(p, "mounts", key, "'%s' is neither ro nor rw", mode);
	for (size_t i = 0; i < c->n_mounts; i++)
		if (!strcmp(c->mounts[i].target, m->target))
			return perr(p, "mounts", key, "target given twice");
	snprintf(m->source, sizeof(m->source), "%s", src);
	m->readonly = mode[1] == 'o';
	c->n_mounts++;
	return 1;
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
	struct parse *p = user;

	if (p->failed)
		return 1;           /* keep the first message; inih goes on */
	if (!*value)
		return perr(p, section, key, "empty value");
	if (!strcmp(section, "guest"))
		return sec_guest(p, key, value);
	if (!strcmp(section, "limits"))
		return sec_limits(p, key, value);
	if (!strcmp(section, "network"))
		return sec_network(p, key, value);
	if (!strcmp(section, "security"))
		return sec_security(p, key, value);
	if (!strcmp(section, "mounts"))
		return sec_mounts(p, key, value);
	if (!*section)
		return perr(p, NULL, NULL, "'%s' outside of any [section]", key);
	{
		unsigned at = p->line;

		p->line = p->section_line;      /* the header's line, not the key's */
		perr(p, NULL, NULL, "unknown section [%s]", section);
		p->line = at;
	}
	return 0;
}

/* fgets() for inih that counts lines (inih calls it exactly once per line)
 * and reports, in order with the handler's errors, lines inih would reject:
 * too long, or neither a comment, a [section] nor a key = value pair. */
static char *reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	const char *s;
	size_t len;
	int ch;

	if (!fgets(str, num, p->f))
		return NULL;
	p->line++;
	len = strlen(str);
	if (len && str[len - 1] != '\n' && !feof(p->f)) {
		/* Skip the rest, so that the next call starts a new line. */
		while ((ch = fgetc(p->f)) != EOF && ch != '\n')
			;
		perr(p, NULL, NULL, "line too long (at most %d characters)", num - 3);
		return str;
	}
	for (s = str; *s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'; s++)
		;
	if (!*s || *s == ';' || *s == '#')
		return str;
	if (s != str)
		perr(p, NULL, NULL, "continuation lines are not supported");
	else if (*s == '[' && !strchr(s, ']'))
		perr(p, NULL, NULL, "syntax error: '[' without ']'");
	else if (*s == '[')
		p->section_line = p->line;
	else if (!strpbrk(s, "=:"))
		perr(p, NULL, NULL, "syntax error (want [section] or key = value)");
	return str;
}

/* Checks that need the whole file. */
static int finish(struct parse *p)
{
	struct vu_gconf *c = p->c;

	p->line = 0;
	if (!c->init_argv[0]) {
		c->init_argv[0] = strdup("/sbin/init");
		if (!c->init_argv[0])
			return vu_err_set(p->e, ENOMEM, "%s", p->fname);
	}
	if (c->cpu_quota_us & (UINT64_C(1) << 63)) {
		uint64_t pct_x1000 = c->cpu_quota_us & ~(UINT64_C(1) << 63);
		uint64_t period = c->cpu_period_us ? c->cpu_period_us : 100000;

		/* pct_x1000 is percent * 1000; quota = period * pct / 100. */
		c->cpu_quota_us = period * (pct_x1000 / 1000) / 100;
		if (c->cpu_quota_us < 1000)
			return vu_gconf_cerr(p->e, "%s: [limits] cpu_quota: less than 1 ms "
					  "per period", p->fname);
	}
	if (c->cpu_period_us && !c->cpu_quota_us)
		return vu_gconf_cerr(p->e, "%s: [limits] cpu_period without cpu_quota", p->fname);
	if (c->memory_swap_set && !c->memory)
		return vu_gconf_cerr(p->e, "%s: [limits] memory_swap without memory", p->fname);
	if ((c->net_mode == VU_NET_NONE || c->net_mode == VU_NET_HOST) &&
	    (c->n_addrs || c->n_host_addrs || c->n_gateways || c->host_ifname[0]))
		return vu_gconf_cerr(p->e, "%s: [network] addresses, gateway and host_ifname "
				  "need mode = veth", p->fname);
	return vu_gconf_check_network(c, p->fname, p->e);
}

int vu_gconf_parse(struct vu_gconf *c, FILE *f, const char *fname, struct vu_err *e)
{
	struct parse p = { .c = c, .f = f, .fname = fname, .e = e };
	int r;

	r = ini_parse_stream(reader, &p, handler, &p);
	if (p.failed)
		return -1;
	if (r > 0)
		return vu_gconf_cerr(e, "%s:%d: syntax error (want [section] or key = value)", fname, r);
	if (r < 0)
		return vu_err_set(e, ENOMEM, "%s", fname);
	if (ferror(f))
		return vu_err_set(e, EIO, "%s", fname);
	return finish(&p);
}

int vu_gconf_load(struct vu_gconf *c, const char *path, struct vu_err *e)
{
	FILE *f = fopen(path, "re");
	int r;

	if (!f)
		return vu_err_set(e, errno, "%s", path);
	r = vu_gconf_parse(c, f, path, e);
	fclose(f);
	return r;
}
