// SPDX-License-Identifier: GPL-2.0-or-later
/* Minimal rtnetlink: see include/vsupervisor/netlink.h. */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "vsupervisor/layout.h"
#include "vsupervisor/netlink.h"

#define MSG_SPACE 4096

struct req {
	struct nlmsghdr *h;
	char buf[MSG_SPACE] __attribute__((aligned(NLMSG_ALIGNTO)));
	bool overflow;
};

static void req_init(struct req *r, uint16_t type, uint16_t flags, size_t hdrlen)
{
	memset(r->buf, 0, sizeof(r->buf));
	r->overflow = false;
	r->h = (struct nlmsghdr *)r->buf;
	r->h->nlmsg_len = NLMSG_LENGTH(hdrlen);
	r->h->nlmsg_type = type;
	r->h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
}

static void *req_payload(struct req *r)
{
	return NLMSG_DATA(r->h);
}

static struct rtattr *attr_add(struct req *r, uint16_t type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(r->h->nlmsg_len);
	struct rtattr *a = (struct rtattr *)(r->buf + off);

	if (off + RTA_SPACE(len) > sizeof(r->buf)) {
		r->overflow = true;
		return (struct rtattr *)r->buf;   /* harmless scratch; request fails */
	}
	a->rta_type = type;
	a->rta_len = (uint16_t)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	r->h->nlmsg_len = (uint32_t)(off + RTA_SPACE(len));
	return a;
}

static struct rtattr *nest_begin(struct req *r, uint16_t type)
{
	return attr_add(r, type, NULL, 0);
}

static void nest_end(struct req *r, struct rtattr *nest)
{
	if (!r->overflow)
		nest->rta_len = (uint16_t)((char *)r->buf + r->h->nlmsg_len - (char *)nest);
}

int vu_nl_open(struct vu_nl *nl, struct vu_err *e)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	nl->seq = 1;
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl->fd < 0)
		return vu_err_set(e, errno, "netlink socket");
	if (bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		vu_err_set(e, errno, "netlink bind");
		close(nl->fd);
		nl->fd = -1;
		return -1;
	}
	return 0;
}

void vu_nl_close(struct vu_nl *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
}

/* Called with each reply to a request before its acknowledgement. */
typedef void (*reply_fn)(const struct nlmsghdr *h, void *arg);

/* Send @r and wait for its acknowledgement, handing replies to @fn (if
 * any); returns 0 or -errno. */
static int talk_reply(struct vu_nl *nl, struct req *r, reply_fn fn, void *arg)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
	uint32_t seq = nl->seq++;
	ssize_t n;

	if (r->overflow)
		return -EMSGSIZE;
	r->h->nlmsg_seq = seq;
	if (sendto(nl->fd, r->buf, r->h->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	for (;;) {
		n = recv(nl->fd, buf, sizeof(buf), MSG_TRUNC);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if ((size_t)n > sizeof(buf))
			return -EMSGSIZE;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *err = NLMSG_DATA(h);

				return err->error;   /* 0 is the acknowledgement */
			}
			if (fn)
				fn(h, arg);
		}
	}
}

static int talk(struct vu_nl *nl, struct req *r)
{
	return talk_reply(nl, r, NULL, NULL);
}

static int ifindex(const char *name, struct vu_err *e)
{
	unsigned idx = if_nametoindex(name);

	if (!idx)
		return vu_err_set(e, errno, "interface %s", name);
	return (int)idx;
}

void vu_nl_mark(const char *base, const char *name, char out[VU_NL_MARKSZ])
{
	/* The hash KEY is made of (layout.h): the mark and the runtime
	 * directory tell bases apart alike. */
	snprintf(out, VU_NL_MARKSZ, "vunify:%016llx:%s", vu_layout_base_hash(base), name);
}

struct link {
	int index;                  /* 0: no reply */
	char alias[256];            /* IFALIASZ; control characters as '?' */
	char kind[32];              /* IFLA_INFO_KIND: "bridge", "veth"; "" if none */
};

/* A string attribute into @buf, cut to fit, control characters as '?':
 * anyone's alias or kind, quoted in one-line messages (a mark has no
 * control characters, so nothing made to look like one matches it). */
static void attr_str(const struct rtattr *a, char *buf, size_t size)
{
	size_t n = RTA_PAYLOAD(a);

	if (n >= size)
		n = size - 1;
	memcpy(buf, RTA_DATA(a), n);
	buf[n] = 0;
	for (char *c = buf; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
}

static void parse_linkinfo(const struct rtattr *info, struct link *k)
{
	size_t len = RTA_PAYLOAD(info);

	for (const struct rtattr *a = RTA_DATA(info); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == IFLA_INFO_KIND)
			attr_str(a, k->kind, sizeof(k->kind));
	}
}

static void parse_link(const struct nlmsghdr *h, void *arg)
{
	struct link *k = arg;
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	size_t len;

	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return;
	k->index = ifi->ifi_index;
	k->alias[0] = 0;
	k->kind[0] = 0;
	len = h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi));
	for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == IFLA_LINKINFO)
			parse_linkinfo(a, k);
		if (a->rta_type == IFLA_IFALIAS)
			attr_str(a, k->alias, sizeof(k->alias));
	}
}

/* Look link @name up: 0 (k->index 0 if there is none) or -errno. */
static int get_link(struct vu_nl *nl, const char *name, struct link *k)
{
	struct req r;
	struct ifinfomsg *ifi;
	int ret;

	memset(k, 0, sizeof(*k));
	req_init(&r, RTM_GETLINK, 0, sizeof(*ifi));
	ifi = req_payload(&r);
	ifi->ifi_family = AF_UNSPEC;
	attr_add(&r, IFLA_IFNAME, name, strlen(name) + 1);
	ret = talk_reply(nl, &r, parse_link, k);
	if (ret == -ENODEV) {
		k->index = 0;
		return 0;
	}
	return ret;
}

/* Set one attribute @type of interface @idx: 0 or -errno. */
static int link_set(struct vu_nl *nl, int idx, unsigned short type, const void *data, size_t len)
{
	struct ifinfomsg *ifi;
	struct req r;

	req_init(&r, RTM_NEWLINK, 0, sizeof(*ifi));
	ifi = req_payload(&r);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = idx;
	attr_add(&r, type, data, len);
	return talk(nl, &r);
}

static int set_alias(struct vu_nl *nl, const char *name, const char *alias, struct vu_err *e)
{
	struct link k;
	int idx = ifindex(name, e), ret;

	if (idx < 0)
		return -1;
	ret = link_set(nl, idx, IFLA_IFALIAS, alias, strlen(alias));
	if (ret < 0)
		return vu_err_set(e, -ret, "marking %s", name);
	/* Read it back: the mark is what every later deletion trusts. */
	ret = get_link(nl, name, &k);
	if (ret < 0)
		return vu_err_set(e, -ret, "reading %s back", name);
	if (k.index != idx || strcmp(k.alias, alias))
		return vu_err_set(e, EIO, "marking %s: the alias reads back as '%s'", name, k.alias);
	return 0;
}

/* The host's interface @name, named by guest.conf's [network] @key, into
 * @k; ENODEV if there is none (@why says what vserver would do with it). */
static int host_link(struct vu_nl *nl, const char *key, const char *name, const char *why,
		     struct link *k, struct vu_err *e)
{
	int ret = get_link(nl, name, k);

	if (ret < 0)
		return vu_err_set(e, -ret, "[network] %s %s: looking it up", key, name);
	if (!k->index) {
		vu_err_set(e, 0, "[network] %s %s: no such interface on the host%s", key, name, why);
		e->code = ENODEV;
		return -1;
	}
	return 0;
}

int vu_nl_bridge_check(struct vu_nl *nl, const char *name, struct vu_err *e)
{
	struct link k;

	if (host_link(nl, "bridge", name, " (vserver joins an existing bridge, it makes none)",
		      &k, e) < 0)
		return -1;
	if (strcmp(k.kind, "bridge")) {
		vu_err_set(e, 0, "[network] bridge %s is not a bridge (it is %s%s%s)", name,
			   k.kind[0] ? "a " : "a plain interface", k.kind,
			   k.kind[0] ? " interface" : "");
		e->code = EINVAL;
		return -1;
	}
	return k.index;
}

int vu_nl_link_index(struct vu_nl *nl, const char *name, struct vu_err *e)
{
	struct link k;

	if (host_link(nl, "link", name, "", &k, e) < 0)
		return -1;
	/* A guest's veth end is that guest's link, not the host's: a macvlan
	 * on it would put this guest on the other's private wire. */
	if (!strncmp(k.alias, "vunify:", 7)) {
		vu_err_set(e, 0, "[network] link %s is a guest's veth (its alias is '%.80s'), "
			   "not a link of the host's", name, k.alias);
		e->code = EINVAL;
		return -1;
	}
	return k.index;
}

int vu_nl_set_master(struct vu_nl *nl, const char *name, int master, struct vu_err *e)
{
	uint32_t m = (uint32_t)master;
	int idx = ifindex(name, e), ret;

	if (idx < 0)
		return -1;
	ret = link_set(nl, idx, IFLA_MASTER, &m, sizeof(m));
	if (ret < 0)
		return vu_err_set(e, -ret, "adding %s to its bridge", name);
	return 0;
}

int vu_nl_vlan_create(struct vu_nl *nl, enum vu_net_mode mode, int link, const char *name,
		      pid_t pid, struct vu_err *e)
{
	bool mac = mode == VU_NET_MACVLAN;
	struct req r;
	struct ifinfomsg *ifi;
	struct rtattr *linkinfo, *data;
	uint32_t l = (uint32_t)link, p = (uint32_t)pid;
	uint32_t macmode = MACVLAN_MODE_BRIDGE;
	uint16_t ipmode = IPVLAN_MODE_L2;
	int ret;

	/* Made directly in the guest's namespace: it never has a name on
	 * the host, and it goes with that namespace. */
	req_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifi));
	ifi = req_payload(&r);
	ifi->ifi_family = AF_UNSPEC;
	attr_add(&r, IFLA_IFNAME, name, strlen(name) + 1);
	attr_add(&r, IFLA_LINK, &l, sizeof(l));
	attr_add(&r, IFLA_NET_NS_PID, &p, sizeof(p));
	linkinfo = nest_begin(&r, IFLA_LINKINFO);
	attr_add(&r, IFLA_INFO_KIND, mac ? "macvlan" : "ipvlan", mac ? 7 : 6);
	data = nest_begin(&r, IFLA_INFO_DATA);
	if (mac)
		attr_add(&r, IFLA_MACVLAN_MODE, &macmode, sizeof(macmode));
	else
		attr_add(&r, IFLA_IPVLAN_MODE, &ipmode, sizeof(ipmode));
	nest_end(&r, data);
	nest_end(&r, linkinfo);
	ret = talk(nl, &r);
	/* An unknown link kind: the module is missing (or not built). */
	if (ret == -EOPNOTSUPP)
		return vu_err_set(e, -ret, "creating the guest's %s: this kernel has no %s "
				  "(CONFIG_%s; modprobe %s)", mac ? "macvlan" : "ipvlan",
				  mac ? "macvlan" : "ipvlan", mac ? "MACVLAN" : "IPVLAN",
				  mac ? "macvlan" : "ipvlan");
	if (ret < 0)
		return vu_err_set(e, -ret, "creating the guest's %s on the host's link",
				  mac ? "macvlan" : "ipvlan");
	return 0;
}

int vu_nl_veth_create(struct vu_nl *nl, const char *host_name, const char *peer_name,
		      pid_t peer_pid, const char *mark, struct vu_err *e)
{
	struct req r;
	struct ifinfomsg *ifi, peer = { .ifi_family = AF_UNSPEC };
	struct rtattr *linkinfo, *data, *peerattr;
	uint32_t pid = (uint32_t)peer_pid;
	int ret;

	req_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifi));
	ifi = req_payload(&r);
	ifi->ifi_family = AF_UNSPEC;
	attr_add(&r, IFLA_IFNAME, host_name, strlen(host_name) + 1);
	linkinfo = nest_begin(&r, IFLA_LINKINFO);
	attr_add(&r, IFLA_INFO_KIND, "veth", 4);
	data = nest_begin(&r, IFLA_INFO_DATA);
	peerattr = nest_begin(&r, VETH_INFO_PEER);
	/* The peer's attributes follow an ifinfomsg of its own. */
	{
		size_t off = NLMSG_ALIGN(r.h->nlmsg_len);

		if (off + sizeof(peer) > sizeof(r.buf)) {
			r.overflow = true;
		} else {
			memcpy(r.buf + off, &peer, sizeof(peer));
			r.h->nlmsg_len = (uint32_t)(off + NLMSG_ALIGN(sizeof(peer)));
		}
	}
	attr_add(&r, IFLA_IFNAME, peer_name, strlen(peer_name) + 1);
	attr_add(&r, IFLA_NET_NS_PID, &pid, sizeof(pid));
	nest_end(&r, peerattr);
	nest_end(&r, data);
	nest_end(&r, linkinfo);
	ret = talk(nl, &r);
	if (ret < 0)
		return vu_err_set(e, -ret, "creating veth %s", host_name);
	/* The kernel takes no alias with the creation: set it now, and undo
	 * the creation (ours: NLM_F_EXCL) if that fails. */
	if (set_alias(nl, host_name, mark, e) < 0) {
		struct vu_err e2;

		vu_nl_link_del(nl, host_name, &e2);
		return -1;
	}
	return 0;
}

int vu_nl_link_del(struct vu_nl *nl, const char *name, struct vu_err *e)
{
	struct req r;
	struct ifinfomsg *ifi;
	int ret;

	req_init(&r, RTM_DELLINK, 0, sizeof(*ifi));
	ifi = req_payload(&r);
	ifi->ifi_family = AF_UNSPEC;
	attr_add(&r, IFLA_IFNAME, name, strlen(name) + 1);
	ret = talk(nl, &r);
	if (ret < 0 && ret != -ENODEV)
		return vu_err_set(e, -ret, "deleting interface %s", name);
	return 0;
}

static int foreign(const char *name, const struct link *k, struct vu_err *e)
{
	if (k->alias[0])
		vu_err_set(e, 0, "host interface %s exists and is not this guest's veth "
			   "(its alias is '%.80s'); vserver changes or deletes only interfaces it "
			   "made: choose another [network] host_ifname", name, k->alias);
	else
		vu_err_set(e, 0, "host interface %s exists and is not this guest's veth "
			   "(it has no vunify mark); vserver changes or deletes only interfaces it "
			   "made: choose another [network] host_ifname", name);
	e->code = EEXIST;
	return -1;
}

/* Look @name up into @k: 1 if it carries @mark, 0 if there is no such
 * interface, -1 (with the error) if it fails or is not ours. */
static int own_link(struct vu_nl *nl, const char *name, const char *mark, struct link *k,
		    struct vu_err *e)
{
	int ret = get_link(nl, name, k);

	if (ret < 0)
		return vu_err_set(e, -ret, "looking up interface %s", name);
	if (!k->index)
		return 0;
	if (strcmp(k->alias, mark))
		return foreign(name, k, e);
	return 1;
}

int vu_nl_link_check(struct vu_nl *nl, const char *name, const char *mark, struct vu_err *e)
{
	struct link k;

	return own_link(nl, name, mark, &k, e);
}

int vu_nl_link_del_own(struct vu_nl *nl, const char *name, const char *mark, struct vu_err *e)
{
	struct req r;
	struct ifinfomsg *ifi;
	struct link k;
	int ret = own_link(nl, name, mark, &k, e);

	if (ret <= 0)
		return ret;
	/* By index: the link whose mark was just read, whatever its name. */
	req_init(&r, RTM_DELLINK, 0, sizeof(*ifi));
	ifi = req_payload(&r);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = k.index;
	ret = talk(nl, &r);
	if (ret < 0 && ret != -ENODEV)
		return vu_err_set(e, -ret, "deleting interface %s", name);
	return 0;
}

int vu_nl_link_up(struct vu_nl *nl, const char *name, struct vu_err *e)
{
	struct req r;
	struct ifinfomsg *ifi;
	int idx = ifindex(name, e), ret;

	if (idx < 0)
		return -1;
	req_init(&r, RTM_NEWLINK, 0, sizeof(*ifi));
	ifi = req_payload(&r);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = idx;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	ret = talk(nl, &r);
	if (ret < 0)
		return vu_err_set(e, -ret, "bringing %s up", name);
	return 0;
}

int vu_nl_addr_add(struct vu_nl *nl, const char *name, const struct vu_gconf_addr *a,
		   struct vu_err *e)
{
	struct req r;
	struct ifaddrmsg *ifa;
	size_t alen = a->family == AF_INET ? 4 : 16;
	int idx = ifindex(name, e), ret;

	if (idx < 0)
		return -1;
	req_init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifa));
	ifa = req_payload(&r);
	ifa->ifa_family = (uint8_t)a->family;
	ifa->ifa_prefixlen = (uint8_t)a->prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)idx;
	attr_add(&r, IFA_LOCAL, a->addr, alen);
	attr_add(&r, IFA_ADDRESS, a->addr, alen);
	/* IPv6 duplicate address detection would hold the address back for
	 * a second or two; the link is a point-to-point pipe of ours. */
	if (a->family == AF_INET6) {
		uint32_t flags = IFA_F_NODAD;

		attr_add(&r, IFA_FLAGS, &flags, sizeof(flags));
	}
	ret = talk(nl, &r);
	if (ret < 0)
		return vu_err_set(e, -ret, "adding an address to %s", name);
	return 0;
}

int vu_nl_route_default(struct vu_nl *nl, const struct vu_gconf_addr *gw, struct vu_err *e)
{
	struct req r;
	struct rtmsg *rt;
	size_t alen = gw->family == AF_INET ? 4 : 16;
	int ret;

	req_init(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, sizeof(*rt));
	rt = req_payload(&r);
	rt->rtm_family = (uint8_t)gw->family;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_BOOT;
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	attr_add(&r, RTA_GATEWAY, gw->addr, alen);
	ret = talk(nl, &r);
	if (ret < 0)
		return vu_err_set(e, -ret, "adding the default route");
	return 0;
}

bool vu_nl_link_exists(const char *name)
{
	return if_nametoindex(name) != 0;
}
