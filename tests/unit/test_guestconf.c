// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for guest.conf parsing (daemon/guestconf.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "vsupervisor/guestconf.h"

static int parse(struct vu_gconf *c, const char *text, struct vu_err *e)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int r;

	assert_non_null(f);
	vu_gconf_defaults(c, "g1");
	r = vu_gconf_parse(c, f, "guest.conf", e);
	fclose(f);
	return r;
}

/* Parsing @text fails with exactly @msg. */
static void bad(const char *text, const char *msg)
{
	struct vu_gconf c;
	struct vu_err e = { 0 };

	assert_int_equal(parse(&c, text, &e), -1);
	assert_string_equal(e.msg, msg);
	vu_gconf_free(&c);
}

static void test_defaults(void **state)
{
	struct vu_gconf c;
	struct vu_err e;

	(void)state;
	assert_int_equal(parse(&c, "", &e), 0);
	assert_string_equal(c.hostname, "g1");
	assert_string_equal(c.init_argv[0], "/sbin/init");
	assert_null(c.init_argv[1]);
	assert_int_equal(c.stop_signal, SIGINT);
	assert_int_equal(c.stop_timeout, 30);
	assert_int_equal(c.lxcfs, VU_LXCFS_AUTO);
	assert_int_equal(c.net_mode, VU_NET_NONE);
	assert_true(c.seccomp);
	assert_int_equal(c.memory, 0);
	assert_int_equal(c.pids, 0);
	assert_int_equal(c.disk_reserved, -1);
	assert_string_equal(c.guest_ifname, "eth0");
	vu_gconf_free(&c);
}

static void test_everything(void **state)
{
	static const char text[] =
		"# a comment\n"
		"; another\n"
		"[guest]\n"
		"hostname = web1.example\n"
		"domainname = example\n"
		"init = /sbin/init 2   ; inline comment\n"
		"stop_signal = SIGPWR\n"
		"stop_timeout = 90\n"
		"lxcfs = no\n"
		"\n"
		"[limits]\n"
		"memory = 512M\n"
		"memory_swap = 0\n"
		"cpu_weight = 200\n"
		"cpu_quota = 150%\n"
		"cpu_period = 50000\n"
		"pids = 1024\n"
		"io_weight = 300\n"
		"io_read_bps = /dev/sda 10M\n"
		"io_write_bps = 8:0 5M\n"
		"io_read_iops = 8:16 100\n"
		"io_write_iops = /dev/sdb 200\n"
		"disk = 10G\n"
		"inodes = 100000\n"
		"disk_reserved = 5\n"
		"[network]\n"
		"mode = veth\n"
		"address = 10.0.0.2/24\n"
		"address = fd00::2/64\n"
		"host_address = 10.0.0.1/24\n"
		"gateway = 10.0.0.1\n"
		"host_ifname = vh-web1\n"
		"guest_ifname = net0\n"
		"[security]\n"
		"cap_keep = net_admin, CAP_SYS_NICE\n"
		"cap_drop = net_raw\n"
		"seccomp = no\n"
		"[mounts]\n"
		"/srv/data/ = /var/data ro\n"
		"/opt//x = /opt/x rw\n"
		"/etc/resolv.conf = /etc/resolv.conf\n";
	struct vu_gconf c;
	struct vu_err e = { 0 };
	char buf[64];

	(void)state;
	assert_int_equal(parse(&c, text, &e), 0);
	assert_string_equal(c.hostname, "web1.example");
	assert_string_equal(c.domainname, "example");
	assert_string_equal(c.init_argv[0], "/sbin/init");
	assert_string_equal(c.init_argv[1], "2");
	assert_null(c.init_argv[2]);
	assert_int_equal(c.stop_signal, SIGPWR);
	assert_int_equal(c.stop_timeout, 90);
	assert_int_equal(c.lxcfs, VU_LXCFS_NO);
	assert_int_equal(c.memory, 512ull << 20);
	assert_true(c.memory_swap_set);
	assert_int_equal(c.memory_swap, 0);
	assert_int_equal(c.cpu_weight, 200);
	assert_int_equal(c.cpu_period_us, 50000);
	assert_int_equal(c.cpu_quota_us, 75000);     /* 150% of 50 ms */
	assert_int_equal(c.pids, 1024);
	assert_int_equal(c.io_weight, 300);
	assert_int_equal(c.n_io, 4);
	assert_string_equal(c.io[0].device, "/dev/sda");
	assert_int_equal(c.io[0].kind, VU_IO_READ_BPS);
	assert_int_equal(c.io[0].value, 10ull << 20);
	assert_string_equal(c.io[1].device, "8:0");
	assert_int_equal(c.io[1].kind, VU_IO_WRITE_BPS);
	assert_int_equal(c.io[2].kind, VU_IO_READ_IOPS);
	assert_int_equal(c.io[2].value, 100);
	assert_int_equal(c.io[3].kind, VU_IO_WRITE_IOPS);
	assert_int_equal(c.disk, 10ull << 30);
	assert_int_equal(c.inodes, 100000);
	assert_int_equal(c.disk_reserved, 5);
	assert_int_equal(c.net_mode, VU_NET_VETH);
	assert_int_equal(c.n_addrs, 2);
	assert_int_equal(c.addrs[0].family, AF_INET);
	assert_int_equal(c.addrs[0].prefix, 24);
	assert_string_equal(inet_ntop(AF_INET, c.addrs[0].addr, buf, sizeof(buf)), "10.0.0.2");
	assert_int_equal(c.addrs[1].family, AF_INET6);
	assert_int_equal(c.addrs[1].prefix, 64);
	assert_int_equal(c.n_host_addrs, 1);
	assert_int_equal(c.n_gateways, 1);
	assert_int_equal(c.gateways[0].prefix, 32);
	assert_string_equal(c.host_ifname, "vh-web1");
	assert_string_equal(c.guest_ifname, "net0");
	assert_int_equal(c.cap_keep, (1ull << 12) | (1ull << 23));   /* NET_ADMIN, SYS_NICE */
	assert_int_equal(c.cap_drop, 1ull << 13);                    /* NET_RAW */
	assert_false(c.seccomp);
	assert_int_equal(c.n_mounts, 3);
	assert_string_equal(c.mounts[0].target, "/srv/data");
	assert_string_equal(c.mounts[0].source, "/var/data");
	assert_true(c.mounts[0].readonly);
	assert_string_equal(c.mounts[1].target, "/opt/x");
	assert_false(c.mounts[1].readonly);
	assert_true(c.mounts[2].readonly);
	vu_gconf_free(&c);
}

static void test_errors(void **state)
{
	(void)state;
	bad("[guest]\nfoo = 1\n", "guest.conf:2: unknown key 'foo' in [guest]");
	bad("x = 1\n", "guest.conf:1: 'x' outside of any [section]");
	bad("[guest]\n\n[nope]\n\na = b\n", "guest.conf:3: unknown section [nope]");
	bad("[limits]\nmemory = 12Q\n", "guest.conf:2: [limits] memory: '12Q' is not a size");
	bad("[limits]\nmemory =\n", "guest.conf:2: [limits] memory: empty value");
	bad("[limits]\npids = 0\n", "guest.conf:2: [limits] pids: '0' is not a positive number");
	bad("[limits]\npids = 5\npids = 6\n", "guest.conf:3: [limits] pids: given twice");
	/* Numbers and sizes: size.h's strict grammar, and what vunifyfs can count. */
	bad("[limits]\ninodes = 1e9\n", "guest.conf:2: [limits] inodes: '1e9' is not a positive number");
	bad("[limits]\npids = +5\n", "guest.conf:2: [limits] pids: '+5' is not a positive number");
	bad("[limits]\ninodes = 9223372036854775808\n",
	    "guest.conf:2: [limits] inodes: '9223372036854775808' is more than 9223372036854775807");
	bad("[limits]\npids = 18446744073709551616\n",
	    "guest.conf:2: [limits] pids: '18446744073709551616' is not a positive number");
	bad("[limits]\ndisk = 8388608T\n", "guest.conf:2: [limits] disk: '8388608T' is more than 8388607T");
	bad("[limits]\ndisk = 20000000000G\n", "guest.conf:2: [limits] disk: '20000000000G' is not a size");
	bad("[limits]\nmemory = 1.5G\n", "guest.conf:2: [limits] memory: '1.5G' is not a size");
	bad("[limits]\nio_write_iops = 8:0x 100\n",
	    "guest.conf:2: [limits] io_write_iops: '8:0x' is neither a /dev path nor MAJOR:MINOR");
	bad("[limits]\nio_write_iops = 4096:0 100\n",
	    "guest.conf:2: [limits] io_write_iops: '4096:0' is neither a /dev path nor MAJOR:MINOR");
	bad("[limits]\nio_write_iops = -8:0 100\n",
	    "guest.conf:2: [limits] io_write_iops: '-8:0' is neither a /dev path nor MAJOR:MINOR");
	bad("[limits]\ncpu_weight = 10001\n",
	    "guest.conf:2: [limits] cpu_weight: '10001' is not a weight (1-10000)");
	bad("[limits]\ncpu_quota = 0%\n",
	    "guest.conf:2: [limits] cpu_quota: '0%' is not a percentage (1%-100000%)");
	bad("[limits]\nio_read_bps = sda 1M\n",
	    "guest.conf:2: [limits] io_read_bps: 'sda' is neither a /dev path nor MAJOR:MINOR");
	bad("[limits]\nio_write_iops = 8:0 1k\n",
	    "guest.conf:2: [limits] io_write_iops: '1k' is not a positive number");
	bad("[limits]\ndisk_reserved = 60\n",
	    "guest.conf:2: [limits] disk_reserved: '60' is not a percentage (0-50)");
	bad("[network]\nmode = nat\n",
	    "guest.conf:2: [network] mode: 'nat' is not none, host, veth, bridge, macvlan or ipvlan");
	bad("[network]\nmode = bridge\n",
	    "guest.conf: [network] mode = bridge needs bridge = BRIDGE");
	bad("[network]\nmode = veth\nbridge = br0\n",
	    "guest.conf: [network] bridge needs mode = bridge");
	bad("[network]\nmode = macvlan\n",
	    "guest.conf: [network] mode = macvlan needs link = HOST_INTERFACE");
	bad("[network]\nmode = ipvlan\naddress = 10.0.0.2/24\n",
	    "guest.conf: [network] mode = ipvlan needs link = HOST_INTERFACE");
	bad("[network]\nmode = bridge\nbridge = br0\nlink = eth0\n",
	    "guest.conf: [network] link needs mode = macvlan or ipvlan");
	bad("[network]\nmode = bridge\nbridge = br0\nhost_address = 10.0.0.1/24\n",
	    "guest.conf: [network] host_address needs mode = veth (mode = bridge has no host "
	    "end of its own to address)");
	bad("[network]\nmode = macvlan\nlink = eth0\nhost_ifname = vu-x\n",
	    "guest.conf: [network] host_ifname needs mode = veth or bridge (mode = macvlan "
	    "makes no host interface)");
	bad("[network]\nmode = macvlan\nlink = eth0\nlink = eth1\n",
	    "guest.conf:4: [network] link: given twice");
	bad("[network]\nmode = veth\naddress = 10.0.0.2/24\npublish = 80:80\n",
	    "guest.conf: [network] publish needs nat = yes");
	bad("[network]\nmode = macvlan\nlink = eth0\naddress = 10.0.0.2/24\nnat = yes\n",
	    "guest.conf: [network] nat = yes needs mode = veth or bridge (the host routes for "
	    "the guest only there)");
	bad("[network]\nmode = veth\naddress = fd00::2/64\nnat = yes\n",
	    "guest.conf: [network] nat = yes needs an IPv4 address");
	bad("[network]\nnat = maybe\n", "guest.conf:2: [network] nat: 'maybe' is not yes or no");
	bad("[network]\npublish = 80\n",
	    "guest.conf:2: [network] publish: '80' is not HOSTPORT:GUESTPORT[/tcp|/udp]");
	bad("[network]\npublish = 0:80\n",
	    "guest.conf:2: [network] publish: '0:80' is not HOSTPORT:GUESTPORT[/tcp|/udp]");
	bad("[network]\npublish = 80:65536\n",
	    "guest.conf:2: [network] publish: '80:65536' is not HOSTPORT:GUESTPORT[/tcp|/udp]");
	bad("[network]\npublish = 80:80/sctp\n",
	    "guest.conf:2: [network] publish: '80:80/sctp' is not HOSTPORT:GUESTPORT[/tcp|/udp]");
	bad("[network]\npublish = 80:80\npublish = 80:81/tcp\n",
	    "guest.conf:3: [network] publish: host port 80:81/tcp published twice");
	bad("[network]\nmode = bridge\nbridge = a/b\n",
	    "guest.conf:3: [network] bridge: 'a/b' is not an interface name");
	bad("[network]\naddress = 10.0.0.2\n",
	    "guest.conf:2: [network] address: '10.0.0.2' is not ADDRESS/PREFIX");
	bad("[network]\nhost_ifname = a/b\n",
	    "guest.conf:2: [network] host_ifname: 'a/b' is not an interface name");
	bad("[network]\nhost_ifname = abcdefghijklmnop\n",
	    "guest.conf:2: [network] host_ifname: 'abcdefghijklmnop' is not an interface name");
	bad("[network]\naddress = 10.0.0.2/24\n",
	    "guest.conf: [network] addresses, gateway and host_ifname need mode = veth");
	bad("[security]\ncap_keep = chown frob\n",
	    "guest.conf:2: [security] cap_keep: 'frob' is not a capability");
	bad("[mounts]\nrel/path = /x\n", "guest.conf:2: [mounts] rel/path: the target must be an "
	    "absolute path below / without '.' or '..'");
	bad("[mounts]\n/ = /x\n", "guest.conf:2: [mounts] /: the target must be an "
	    "absolute path below / without '.' or '..'");
	bad("[mounts]\n/a = /x ro extra\n",
	    "guest.conf:2: [mounts] /a: '/x ro extra' is not 'SOURCE [ro|rw]' with an absolute SOURCE");
	bad("[mounts]\n/a = /x\n/a/ = /y\n", "guest.conf:3: [mounts] /a/: target given twice");
	bad("[guest]\ninit = /bin/sh\ninit = /sbin/init\n", "guest.conf:3: [guest] init: given twice");
	bad("[guest]\nlxcfs = maybe\n", "guest.conf:2: [guest] lxcfs: 'maybe' is not auto, yes or no");
	bad("[guest]\nlxcfs = yes\nlxcfs = no\n", "guest.conf:3: [guest] lxcfs: given twice");
	bad("[guest]\nstop_signal = SIGNOPE\n",
	    "guest.conf:2: [guest] stop_signal: 'SIGNOPE' is not a signal");
	bad("[guest]\nhostname = bad name\n",
	    "guest.conf:2: [guest] hostname: 'bad name' is not a valid host name");
	bad("[guest]\nno equals here\n",
	    "guest.conf:2: syntax error (want [section] or key = value)");
	bad("[guest\n", "guest.conf:1: syntax error: '[' without ']'");
	bad("[guest]\n  indented = 1\n", "guest.conf:2: continuation lines are not supported");
	/* The first error wins, whatever its kind. */
	bad("[guest]\nfoo = 1\ngarbage\n", "guest.conf:2: unknown key 'foo' in [guest]");
	bad("[guest]\ngarbage\nfoo = 1\n",
	    "guest.conf:2: syntax error (want [section] or key = value)");
	bad("[limits]\ncpu_period = 20000\n", "guest.conf: [limits] cpu_period without cpu_quota");
	bad("[limits]\nmemory_swap = 1G\n", "guest.conf: [limits] memory_swap without memory");
}

static void test_net_modes(void **state)
{
	struct vu_gconf c;
	struct vu_err e = { 0 };

	assert_int_equal(parse(&c, "[network]\nmode = bridge\nbridge = br0\n"
				  "address = 10.0.0.2/24\ngateway = 10.0.0.1\nhost_ifname = vh0\n",
			       &e), 0);
	assert_int_equal(c.net_mode, VU_NET_BRIDGE);
	assert_string_equal(c.bridge, "br0");
	assert_string_equal(c.host_ifname, "vh0");
	assert_int_equal(c.n_addrs, 1);
	assert_true(vu_net_has_veth(c.net_mode) && vu_net_shared(c.net_mode));
	vu_gconf_free(&c);
	assert_int_equal(parse(&c, "[network]\nmode = macvlan\nlink = eth0\n"
				  "address = 10.0.0.3/24\n", &e), 0);
	assert_int_equal(c.net_mode, VU_NET_MACVLAN);
	assert_string_equal(c.link, "eth0");
	assert_false(vu_net_has_veth(c.net_mode));
	assert_true(vu_net_shared(c.net_mode));
	vu_gconf_free(&c);
	assert_int_equal(parse(&c, "[network]\nmode = ipvlan\nlink = bond0\n", &e), 0);
	assert_int_equal(c.net_mode, VU_NET_IPVLAN);
	assert_string_equal(vu_net_mode_name(c.net_mode), "ipvlan");
	vu_gconf_free(&c);
	assert_int_equal(parse(&c, "[network]\nmode = veth\naddress = fd00::2/64\n"
				  "address = 10.0.0.2/24\nnat = yes\npublish = 8080:80\n"
				  "publish = 53:5353/udp\npublish = 53:53/tcp\n", &e), 0);
	assert_true(c.nat);
	assert_int_equal(c.n_publish, 3);
	assert_int_equal(c.publish[0].host_port, 8080);
	assert_int_equal(c.publish[0].guest_port, 80);
	assert_false(c.publish[0].udp);
	assert_true(c.publish[1].udp);
	assert_int_equal(c.publish[1].guest_port, 5353);
	assert_false(c.publish[2].udp);
	assert_ptr_equal(vu_gconf_ipv4(&c), &c.addrs[1]);
	vu_gconf_free(&c);
	assert_false(vu_net_shared(VU_NET_VETH));
	assert_true(vu_net_has_veth(VU_NET_VETH));
}

static void test_long_line(void **state)
{
	char text[1024];
	int n;

	(void)state;
	n = snprintf(text, sizeof(text), "[guest]\ninit = /sbin/init ");
	memset(text + n, 'x', 400);
	snprintf(text + n + 400, sizeof(text) - (size_t)n - 400, "\nhostname = ok\n");
	bad(text, "guest.conf:2: line too long (at most 197 characters)");
}

static void test_values(void **state)
{
	uint64_t v;
	int sig;
	struct vu_gconf_addr a;

	(void)state;
	assert_int_equal(vu_parse_size("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(vu_parse_size("4k", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(vu_parse_size("2GiB", &v), 0);
	assert_int_equal(v, 2ull << 30);
	assert_int_equal(vu_parse_size("1T", &v), 0);
	assert_int_equal(v, 1ull << 40);
	assert_int_equal(vu_parse_size("3MB", &v), 0);
	assert_int_equal(v, 3ull << 20);
	assert_int_equal(vu_parse_size("-1", &v), -1);
	assert_int_equal(vu_parse_size("1X", &v), -1);
	assert_int_equal(vu_parse_size("", &v), -1);
	assert_int_equal(vu_parse_size("99999999999999T", &v), -1);
	{
		unsigned maj = 0, min = 0;

		assert_int_equal(vu_parse_devnum("8:0", &maj, &min), 0);
		assert_true(maj == 8 && min == 0);
		assert_int_equal(vu_parse_devnum("4095:1048575", &maj, &min), 0);
		assert_true(maj == 4095 && min == 1048575);
		assert_int_equal(vu_parse_devnum("4096:0", &maj, &min), -1);
		assert_int_equal(vu_parse_devnum("8:1048576", &maj, &min), -1);
		assert_int_equal(vu_parse_devnum("8:", &maj, &min), -1);
		assert_int_equal(vu_parse_devnum(":0", &maj, &min), -1);
		assert_int_equal(vu_parse_devnum("8:0:0", &maj, &min), -1);
		assert_int_equal(vu_parse_devnum(" 8:0", &maj, &min), -1);
		assert_int_equal(vu_parse_devnum("8:-0", &maj, &min), -1);
	}
	assert_int_equal(vu_parse_signal("SIGINT", &sig), 0);
	assert_int_equal(sig, SIGINT);
	assert_int_equal(vu_parse_signal("pwr", &sig), 0);
	assert_int_equal(sig, SIGPWR);
	assert_int_equal(vu_parse_signal("15", &sig), 0);
	assert_int_equal(sig, 15);
	assert_int_equal(vu_parse_signal("SIGRTMIN+3", &sig), 0);
	assert_int_equal(sig, SIGRTMIN + 3);
	assert_int_equal(vu_parse_signal("RTMIN", &sig), 0);
	assert_int_equal(sig, SIGRTMIN);
	assert_int_equal(vu_parse_signal("0", &sig), -1);
	assert_int_equal(vu_parse_signal("RTMIN+99", &sig), -1);
	assert_int_equal(vu_parse_addr("192.168.1.1/33", true, &a), -1);
	assert_int_equal(vu_parse_addr("::1/128", true, &a), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_int_equal(vu_parse_addr("::1/x", true, &a), -1);
	assert_int_equal(vu_parse_addr("10.1.2.3", false, &a), 0);
	assert_int_equal(a.prefix, 32);
}

static void test_names(void **state)
{
	char ifn[VU_IFNAMSIZ], ifn2[VU_IFNAMSIZ];

	(void)state;
	assert_true(vu_guest_name_valid("g1"));
	assert_true(vu_guest_name_valid("web-1.example_x"));
	assert_false(vu_guest_name_valid(""));
	assert_false(vu_guest_name_valid("."));
	assert_false(vu_guest_name_valid(".."));
	assert_false(vu_guest_name_valid("-x"));
	assert_false(vu_guest_name_valid("a/b"));
	assert_false(vu_guest_name_valid("a b"));
	assert_false(vu_guest_name_valid("0123456789012345678901234567890123456789012345678901234567890123"));
	vu_gconf_default_host_ifname("short", ifn);
	assert_string_equal(ifn, "vu-short");
	vu_gconf_default_host_ifname("twelve-chars", ifn);
	assert_string_equal(ifn, "vu-twelve-chars");
	vu_gconf_default_host_ifname("a-much-longer-guest-name", ifn);
	assert_int_equal(strlen(ifn), 14);
	assert_memory_equal(ifn, "vu-a-m", 6);
	vu_gconf_default_host_ifname("a-much-longer-guest-name2", ifn2);
	assert_string_not_equal(ifn, ifn2);
}

/* [guest] autostart and start_order (vserver --all). */
static void test_autostart(void **state)
{
	struct vu_gconf c;
	struct vu_err e = { 0 };

	(void)state;
	assert_int_equal(parse(&c, "", &e), 0);
	assert_false(c.autostart);
	assert_int_equal(c.start_order, VU_GCONF_DEFAULT_ORDER);
	vu_gconf_free(&c);
	assert_int_equal(parse(&c, "[guest]\nautostart = yes\nstart_order = 0\n", &e), 0);
	assert_true(c.autostart);
	assert_int_equal(c.start_order, 0);
	vu_gconf_free(&c);
	assert_int_equal(parse(&c, "[guest]\nautostart = off\nstart_order = 999999\n", &e), 0);
	assert_false(c.autostart);
	assert_int_equal(c.start_order, 999999);
	vu_gconf_free(&c);
	bad("[guest]\nautostart = maybe\n",
	    "guest.conf:2: [guest] autostart: 'maybe' is not yes or no");
	bad("[guest]\nautostart = yes\nautostart = no\n",
	    "guest.conf:3: [guest] autostart: given twice");
	bad("[guest]\nstart_order = 1000000\n",
	    "guest.conf:2: [guest] start_order: '1000000' is not a number (0-999999)");
	bad("[guest]\nstart_order = -1\n",
	    "guest.conf:2: [guest] start_order: '-1' is not a number (0-999999)");
	bad("[guest]\nstart_order = 1\nstart_order = 2\n",
	    "guest.conf:3: [guest] start_order: given twice");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_everything),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_net_modes),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_autostart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
