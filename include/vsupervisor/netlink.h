/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Just enough rtnetlink to give a guest its network: create a veth pair with
 * one end in another network namespace, add addresses and routes, bring
 * links up, delete links.  No iproute2, no libmnl.  A socket talks to the
 * network namespace it was created in.
 */
#ifndef VSUP_NETLINK_H
#define VSUP_NETLINK_H

#include <stdbool.h>
#include <sys/types.h>

#include "vunify/error.h"
#include "vsupervisor/guestconf.h"

struct vu_nl {
	int fd;
	unsigned seq;
};

int vu_nl_open(struct vu_nl *nl, struct vu_err *e);
void vu_nl_close(struct vu_nl *nl);

/* The mark of the host end of guest @name of base @base, as its alias
 * (IFLA_IFALIAS): "vunify:HASH:NAME", HASH a hash of the base's real
 * path, so that guests of the same name in two bases differ. */
#define VU_NL_MARKSZ 96
void vu_nl_mark(const char *base, const char *name, char out[VU_NL_MARKSZ]);

/* Create veth @host_name here and its peer @peer_name directly in the
 * network namespace of process @peer_pid; mark the host end with @mark
 * (checked by reading it back), or delete it again. */
int vu_nl_veth_create(struct vu_nl *nl, const char *host_name, const char *peer_name,
		      pid_t peer_pid, const char *mark, struct vu_err *e);

/* The index of bridge @name; -1 with a one-line message if there is no
 * such interface or it is not a bridge. */
int vu_nl_bridge_check(struct vu_nl *nl, const char *name, struct vu_err *e);

/* The index of link @name ([network] link); -1 if there is none or it is
 * a guest's veth (marked "vunify:..."). */
int vu_nl_link_index(struct vu_nl *nl, const char *name, struct vu_err *e);

/* Make link @name a port of the bridge whose index is @master. */
int vu_nl_set_master(struct vu_nl *nl, const char *name, int master, struct vu_err *e);

/* Create a macvlan (mode bridge) or ipvlan (mode l2), as @mode says, on
 * the link of index @link, named @name, directly in the network namespace
 * of process @pid.  Nothing is left on the host: it goes with that
 * namespace. */
int vu_nl_vlan_create(struct vu_nl *nl, enum vu_net_mode mode, int link, const char *name,
		      pid_t pid, struct vu_err *e);

/* Is host link @name ours?  0: there is none; 1: it carries @mark; -1 (e
 * EEXIST, a message that says so) when it is someone else's. */
int vu_nl_link_check(struct vu_nl *nl, const char *name, const char *mark, struct vu_err *e);

/* Delete link @name if it carries @mark; a missing link is not an error,
 * one without the mark is (as vu_nl_link_check) and stays as it was. */
int vu_nl_link_del_own(struct vu_nl *nl, const char *name, const char *mark, struct vu_err *e);

/* Delete link @name, whoever's; a missing link is not an error.  Only for
 * a link just made here. */
int vu_nl_link_del(struct vu_nl *nl, const char *name, struct vu_err *e);

int vu_nl_link_up(struct vu_nl *nl, const char *name, struct vu_err *e);

int vu_nl_addr_add(struct vu_nl *nl, const char *name, const struct vu_gconf_addr *a,
		   struct vu_err *e);

/* Default route via @gw (on whatever link reaches it). */
int vu_nl_route_default(struct vu_nl *nl, const struct vu_gconf_addr *gw, struct vu_err *e);

/* Does link @name exist? */
bool vu_nl_link_exists(const char *name);

#endif /* VSUP_NETLINK_H */
