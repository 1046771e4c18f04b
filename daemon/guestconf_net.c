// SPDX-License-Identifier: GPL-2.0-or-later
/* guest.conf's [network] beyond the key parser: the modes' names, the
 * publish values, the checks across keys (see guestconf.h, vserver(8)). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vsupervisor/guestconf.h"


const char *vu_net_mode_name(enum vu_net_mode m)
{
	static const char *const names[] = { "none", "host", "veth", "bridge", "macvlan",
					     "ipvlan" };

	return (unsigned)m < sizeof(names) / sizeof(names[0]) ? names[m] : "?";
}

const struct vu_gconf_addr *vu_gconf_ipv4(const struct vu_gconf *c)
{
	for (size_t i = 0; i < c->n_addrs; i++)
		if (c->addrs[i].family == AF_INET)
			return &c->addrs[i];
	return NULL;
}

int vu_parse_publish(const char *s, struct vu_gconf_publish *pub)
{
	char buf[32], *colon, *slash;
	uint64_t h, g;

	if (strlen(s) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", s);
	pub->udp = false;
	slash = strchr(buf, '/');
	if (slash) {
		*slash++ = 0;
		if (!strcmp(slash, "udp"))
			pub->udp = true;
		else if (strcmp(slash, "tcp"))
			return -1;
	}
	colon = strchr(buf, ':');
	if (!colon)
		return -1;
	*colon++ = 0;
	if (vu_parse_uint(buf, 1, 65535, &h) < 0 || vu_parse_uint(colon, 1, 65535, &g) < 0)
		return -1;
	pub->host_port = (uint16_t)h;
	pub->guest_port = (uint16_t)g;
	return 0;
}

/* The keys of the modes after veth each name the one host interface that
 * mode uses, and only that mode may have them; nat and publish need a
 * routed mode and an IPv4 address. */
int vu_gconf_check_network(const struct vu_gconf *c, const char *fname, struct vu_err *e)
{
	const char *mode = vu_net_mode_name(c->net_mode);

	if (c->net_mode == VU_NET_BRIDGE && !c->bridge[0])
		return vu_gconf_cerr(e, "%s: [network] mode = bridge needs bridge = BRIDGE", fname);
	if (c->net_mode != VU_NET_BRIDGE && c->bridge[0])
		return vu_gconf_cerr(e, "%s: [network] bridge needs mode = bridge", fname);
	if ((c->net_mode == VU_NET_MACVLAN || c->net_mode == VU_NET_IPVLAN) && !c->link[0])
		return vu_gconf_cerr(e, "%s: [network] mode = %s needs link = HOST_INTERFACE",
			    fname, mode);
	if (c->net_mode != VU_NET_MACVLAN && c->net_mode != VU_NET_IPVLAN && c->link[0])
		return vu_gconf_cerr(e, "%s: [network] link needs mode = macvlan or ipvlan", fname);
	/* The host end of a bridged veth is a bridge port: an address on it
	 * would be ignored by the host's stack, so it is refused. */
	if (c->net_mode != VU_NET_VETH && c->n_host_addrs)
		return vu_gconf_cerr(e, "%s: [network] host_address needs mode = veth (mode = %s "
				  "has no host end of its own to address)", fname, mode);
	if (!vu_net_has_veth(c->net_mode) && c->host_ifname[0])
		return vu_gconf_cerr(e, "%s: [network] host_ifname needs mode = veth or bridge "
				  "(mode = %s makes no host interface)", fname, mode);
	if (c->n_publish && !c->nat)
		return vu_gconf_cerr(e, "%s: [network] publish needs nat = yes", fname);
	if (c->nat && !vu_net_has_veth(c->net_mode))
		return vu_gconf_cerr(e, "%s: [network] nat = yes needs mode = veth or bridge "
				  "(the host routes for the guest only there)", fname);
	if (c->nat && !vu_gconf_ipv4(c))
		return vu_gconf_cerr(e, "%s: [network] nat = yes needs an IPv4 address", fname);
	return 0;
}
