/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * [network] nat = yes and publish: one nftables table per guest, "table ip
 * vunify-HASH-NAME" (HASH and NAME as in the veth's mark, see netlink.h),
 * written with the nft(8) program: added (replaced, atomically) when the
 * guest starts, deleted when it stops and by the cleanup after a dead
 * supervisor.  vserver touches no other table, chain or rule: the guest's
 * rules never mix with the host's firewall, and deleting the table removes
 * exactly them.
 *
 * Why nft(8) and not libnftnl/libmnl: the rules are a dozen lines, written
 * twice per guest life; nft's own parser checks them and its messages name
 * what is wrong, and the program is what an administrator uses to look at
 * them (nft list table ip vunify-...).  libnftnl would mean hundreds of
 * lines of expression building for the same effect, and a second
 * netlink encoder to keep right.
 */
#ifndef VSUP_NAT_H
#define VSUP_NAT_H

#include "vunify/error.h"
#include "vsupervisor/guestconf.h"
#include "vsupervisor/layout.h"

#define VU_NAT_TABLESZ 128

/* The guest's table name: "vunify-HASH-NAME". */
void vu_nat_table(const char *base, const char *name, char out[VU_NAT_TABLESZ]);

/* Is nft(8) installed?  NULL, or its path. */
const char *vu_nat_nft(void);

/* Add (or replace) the table of guest @l with configuration @c: masquerade
 * what its IPv4 addresses send out of other interfaces than its own link
 * (@ifname: the veth's host end, or the bridge), DNAT each publish to its
 * first IPv4 address. */
int vu_nat_add(const struct vu_layout *l, const struct vu_gconf *c, const char *ifname,
	       struct vu_err *e);

/* Delete the table of guest @l; a missing table is not an error. */
int vu_nat_del(const struct vu_layout *l, struct vu_err *e);

#endif /* VSUP_NAT_H */
