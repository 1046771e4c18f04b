/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * guest.conf: the configuration of one guest, an INI file read with libinih.
 *
 *   [guest]     hostname, domainname, init, stop_signal, stop_timeout,
 *               autostart, start_order, lxcfs
 *   [limits]    memory, memory_swap, cpu_weight, cpu_quota, cpu_period, pids,
 *               io_weight, io_read_bps, io_write_bps, io_read_iops,
 *               io_write_iops (each "DEVICE VALUE", repeatable),
 *               disk, inodes, disk_reserved (passed to vunifyfs)
 *   [network]   mode (none|host|veth|bridge|macvlan|ipvlan), address,
 *               host_address, gateway, host_ifname, guest_ifname, bridge, link,
 *               nat, publish (repeatable)
 *   [security]  cap_keep, cap_drop, seccomp
 *   [mounts]    /target/in/guest = /host/source [ro|rw]
 *
 * vserver(8) documents every key.  Any unknown section or key, any value that
 * does not parse, is an error naming the file and the line
 * ("/var/lib/vunify/guests/g1/guest.conf:7: [limits] memory: 'lots' is not
 * a size"); nothing is guessed.
 */
#ifndef VSUP_GUESTCONF_H
#define VSUP_GUESTCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vunify/error.h"
#include "vunify/size.h"       /* vu_parse_size(), for [limits] */

#define VU_GCONF_MAX_ADDRS  4
#define VU_GCONF_MAX_IO     16
#define VU_GCONF_MAX_MOUNTS 32
#define VU_GCONF_MAX_ARGS   16
#define VU_IFNAMSIZ         16   /* IFNAMSIZ, including the NUL */
/* start_order: `vserver --all start` starts lower numbers first. */
#define VU_GCONF_DEFAULT_ORDER 100u
#define VU_GCONF_MAX_ORDER     999999u
#define VU_GCONF_MAX_PUBLISH 16

enum vu_net_mode {
	VU_NET_NONE, VU_NET_HOST, VU_NET_VETH,
	VU_NET_BRIDGE,              /* a veth whose host end joins [network] bridge */
	VU_NET_MACVLAN,             /* a macvlan (mode bridge) on [network] link */
	VU_NET_IPVLAN,              /* an ipvlan (mode l2) on [network] link */
};

/* The guest's first IPv4 address (nat's and publish's), or NULL. */
struct vu_gconf;
const struct vu_gconf_addr *vu_gconf_ipv4(const struct vu_gconf *c);

/* The mode's name in guest.conf. */
const char *vu_net_mode_name(enum vu_net_mode m);

/* Modes with a veth pair, whose host end vserver makes, marks and deletes. */
static inline bool vu_net_has_veth(enum vu_net_mode m)
{
	return m == VU_NET_VETH || m == VU_NET_BRIDGE;
}

/* Modes that put the guest on a link shared with others (a bridge, the
 * host's own link): its default capabilities lose CAP_NET_RAW there. */
static inline bool vu_net_shared(enum vu_net_mode m)
{
	return m == VU_NET_BRIDGE || m == VU_NET_MACVLAN || m == VU_NET_IPVLAN;
}

/* [guest] lxcfs: auto (the default: when lxcfs is mounted), yes, no. */
enum vu_lxcfs_mode { VU_LXCFS_AUTO, VU_LXCFS_YES, VU_LXCFS_NO };

enum vu_io_kind { VU_IO_READ_BPS, VU_IO_WRITE_BPS, VU_IO_READ_IOPS, VU_IO_WRITE_IOPS };

struct vu_gconf_io {
	enum vu_io_kind kind;
	char device[128];           /* as written: /dev/PATH or MAJ:MIN */
	uint64_t value;
};

struct vu_gconf_addr {
	int family;                 /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned prefix;
};

/* publish = HOSTPORT:GUESTPORT[/tcp|udp] */
struct vu_gconf_publish {
	uint16_t host_port, guest_port;
	bool udp;
};

struct vu_gconf_mount {
	char target[256];           /* absolute, normalised, no "..", inside the guest */
	char source[4096];          /* absolute host path */
	bool readonly;
};

struct vu_gconf {
	/* [guest] */
	char hostname[65];
	char domainname[65];
	char *init_argv[VU_GCONF_MAX_ARGS + 1];  /* NULL-terminated */
	int stop_signal;
	bool stop_signal_set;        /* given in guest.conf (else: chosen by init) */
	unsigned stop_timeout;      /* seconds */
	bool autostart;             /* started by `vserver --all start` */
	unsigned start_order;       /* 0..VU_GCONF_MAX_ORDER, lower first */
	enum vu_lxcfs_mode lxcfs;   /* see vsupervisor/lxcfs.h */

	/* [limits]: 0 means "not set" for every field */
	uint64_t memory;            /* bytes */
	uint64_t memory_swap;       /* bytes of swap on top of memory */
	bool memory_swap_set;
	unsigned cpu_weight;        /* 1..10000, cgroup v2 scale */
	uint64_t cpu_quota_us;      /* per cpu_period_us */
	uint64_t cpu_period_us;
	uint64_t pids;
	unsigned io_weight;         /* 1..10000 */
	struct vu_gconf_io io[VU_GCONF_MAX_IO];
	size_t n_io;
	uint64_t disk;              /* bytes, vunifyfs -o space= */
	uint64_t inodes;            /* vunifyfs -o inodes= */
	int disk_reserved;          /* percent, -1 if not set */

	/* [network] */
	enum vu_net_mode net_mode;
	struct vu_gconf_addr addrs[VU_GCONF_MAX_ADDRS];
	size_t n_addrs;
	struct vu_gconf_addr host_addrs[VU_GCONF_MAX_ADDRS];
	size_t n_host_addrs;
	struct vu_gconf_addr gateways[2];
	size_t n_gateways;
	char host_ifname[VU_IFNAMSIZ];
	char guest_ifname[VU_IFNAMSIZ];
	char bridge[VU_IFNAMSIZ];   /* mode = bridge: the host's bridge */
	char link[VU_IFNAMSIZ];     /* mode = macvlan|ipvlan: the host's link */
	bool nat;                   /* masquerade the guest's IPv4 (veth, bridge) */
	struct vu_gconf_publish publish[VU_GCONF_MAX_PUBLISH];
	size_t n_publish;

	/* [security] */
	uint64_t cap_keep;          /* added to the default set */
	uint64_t cap_drop;          /* removed from it */
	bool seccomp;

	/* [mounts] */
	struct vu_gconf_mount mounts[VU_GCONF_MAX_MOUNTS];
	size_t n_mounts;
};

/* Fill @c with the defaults for guest @name (hostname = name, init =
 * /sbin/init, SIGINT, 30 s, no limits, network none, seccomp on). */
void vu_gconf_defaults(struct vu_gconf *c, const char *name);

/* Read @path into @c (which vu_gconf_defaults() prepared).  A missing file
 * is an error; so is anything vu_gconf_parse() rejects. */
int vu_gconf_load(struct vu_gconf *c, const char *path, struct vu_err *e);

/* Parse an open stream; @fname names it in messages. */
int vu_gconf_parse(struct vu_gconf *c, FILE *f, const char *fname, struct vu_err *e);

/* Release what parsing allocated. */
void vu_gconf_free(struct vu_gconf *c);

/* Value parsers, shared with the command line.  Numbers and sizes are
 * size.h's grammar; vu_parse_u64 is vu_parse_uint() over all of uint64_t. */
int vu_parse_u64(const char *s, uint64_t *out);
/* "MAJOR:MINOR" of a device, each a NUMBER within Linux's dev_t (12 and
 * 20 bits). */
int vu_parse_devnum(const char *s, unsigned *maj, unsigned *min);
/* A signal: "SIGINT", "INT", "RTMIN+3", "SIGRTMIN+3" or a number. */
int vu_parse_signal(const char *s, int *sig);
/* "HOSTPORT:GUESTPORT[/tcp|/udp]", ports 1-65535, tcp if not said. */
int vu_parse_publish(const char *s, struct vu_gconf_publish *pub);
/* The checks of [network] across keys (mode and the keys it needs or
 * excludes), once the file is read; @fname names it in the message. */
int vu_gconf_check_network(const struct vu_gconf *c, const char *fname, struct vu_err *e);
/* "ADDR/PREFIX" (or "ADDR" if @need_prefix is false: full-length prefix). */
int vu_parse_addr(const char *s, bool need_prefix, struct vu_gconf_addr *a);
/* A guest name: [A-Za-z0-9][A-Za-z0-9._-]{0,62}. */
bool vu_guest_name_valid(const char *name);

/* The host end's interface name for guest @name: "vu-NAME", or "vu-" and a
 * hash of the name if that would not fit IFNAMSIZ. */
void vu_gconf_default_host_ifname(const char *name, char out[VU_IFNAMSIZ]);

/* A configuration error (EINVAL): the message says it all, no strerror()
 * text.  -1.  (guestconf.c and guestconf_net.c) */
int vu_gconf_cerr(struct vu_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* VSUP_GUESTCONF_H */
