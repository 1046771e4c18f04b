// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vserver: start, stop and enter guests.
 *
 *   vserver [--base DIR] NAME start|stop|restart|enter|exec|running|status|
 *                             build|delete [ARGS...]
 *   vserver [--base DIR] list|info
 *   vserver [--base DIR] --all start|stop|status
 *
 * See vserver(8).  Exit codes: 0 ok, 1 failure, 2 usage, 3 guest not
 * running, 5 no such guest (exec: the command's own status).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsupervisor/join.h"
#include "vunify/version.h"
#include "vserver.h"

static const struct {
	const char *name;
	int (*run)(struct vs *vs);
} verbs[] = {
	{ "start", vs_start },
	{ "stop", vs_stop },
	{ "restart", vs_restart },
	{ "enter", vs_enter },
	{ "console", vs_console },
	{ "exec", vs_exec },
	{ "running", vs_running },
	{ "status", vs_status },
	{ "build", vs_build },
	{ "snapshot", vs_snapshot },
	{ "send", vs_send },
	{ "receive", vs_receive },
	{ "migrate", vs_migrate },
	{ "delete", vs_delete },
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vserver [--base DIR] NAME COMMAND [ARGS...]\n"
		"       vserver [--base DIR] list [-l] [--json]\n"
		"       vserver [--base DIR] info       the base's key, runtime directory, cgroup\n"
		"       vserver [--base DIR] --all start|stop|status\n"
		"                             the autostart guests, by start_order\n"
		"\n"
		"commands:\n"
		"  start                      boot the guest (init runs when this returns)\n"
		"  stop [--timeout S]         shut it down; kill what is left after S seconds\n"
		"  restart [--timeout S]      stop (if running), then start\n"
		"  enter [-u USER[:GROUP]] [-w DIR] [-e VAR=VAL]...\n"
		"                             a login shell in the guest\n"
		"  console                    attach to the guest's console (Ctrl-] detaches)\n"
		"  exec [-u USER[:GROUP]] [-w DIR] [-e VAR=VAL]... CMD [ARG...]\n"
		"                             run CMD in the guest; its exit status is ours\n"
		"  running                    exit 0 if running, 3 if not\n"
		"  status [--json]            state, init, processes, memory, CPU, disk\n"
		"  build -m debootstrap [--suite S] [--mirror URL] [--variant V]\n"
		"        [--include PKG,...] [--cache DIR] [-q] [-- DEBOOTSTRAP-ARGS]\n"
		"                             create the guest: Debian from scratch, unified\n"
		"  build [-m template|clone] --template NAME|DIR [-q]\n"
		"                             create the guest: a vclone of the template\n"
		"  build                      create the guest with an empty root\n"
		"  snapshot NEW [-q]          a copy-on-write copy of the stopped guest as NEW\n"
		"  send [--to-file FILE|-] [--incremental-from SNAP]\n"
		"                             the stopped guest as a stream (stdout or FILE)\n"
		"  receive [--from-file FILE|-] [--incremental-from SNAP] [--trust-config]\n"
		"                             make the guest from a stream (stdin or FILE)\n"
		"  migrate [USER@]HOST[:BASE] [--keep] [--trust-config] [--ssh-opt OPT]...\n"
		"          [--remote-vserver PATH]\n"
		"                             move the guest to HOST over ssh (only the\n"
		"                             objects HOST lacks travel)\n"
		"  delete                     remove a stopped guest\n"
		"\n"
		"BASE is /var/lib/vunify, $VUNIFY_BASE or --base.  Exit codes: 0 ok,\n"
		"1 failure, 2 usage, 3 not running, 5 no such guest.  See vserver(8).\n");
}

static int usage_error(const char *what)
{
	fprintf(stderr, "vserver: %s (usage: vserver [--base DIR] NAME COMMAND [ARGS...], "
		"vserver --help)\n", what);
	return VS_USAGE;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "base", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	struct vs vs = { .prog = "vserver" };
	const char *base = NULL;
	bool all = false;
	struct vu_err e;
	int c;

	/* vserver exec/enter executes this program again to join the guest
	 * (see vsupervisor/join.h); nothing of the normal start may run then. */
	if (argc > 1 && !strcmp(argv[1], VU_JOIN_GUEST_ARG))
		vu_join_guest_main(argc, argv);
	/* Options stop at the guest name: what follows belongs to the command. */
	while ((c = getopt_long(argc, argv, "+b:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			base = optarg;
			break;
		case 'h':
			usage(stdout);
			return VS_OK;
		case 'V':
			printf("vserver %s\n", VUNIFY_VERSION);
			return VS_OK;
		case 'a':
			all = true;
			break;
		default:
			return usage_error("bad option");
		}
	}
	if (vu_layout_base(vs.base, base, &e) < 0)
		return vs_fail(&vs, VS_USAGE, &e);
	if (all) {
		vs.argc = argc - optind;
		vs.argv = argv + optind;
		return vs_all(&vs);
	}
	if (optind >= argc)
		return usage_error("no guest name given");
	if (!strcmp(argv[optind], "list") || !strcmp(argv[optind], "info")) {
		vs.argc = argc - optind;
		vs.argv = argv + optind;
		return argv[optind][0] == 'l' ? vs_list(&vs) : vs_show_info(&vs);
	}
	vs.name = argv[optind];
	if (optind + 1 >= argc)
		return usage_error("no command given");
	if (vu_layout_init(&vs.l, vs.base, vs.name, &e) < 0)
		return vs_fail(&vs, VS_USAGE, &e);
	vs.argc = argc - optind - 1;
	vs.argv = argv + optind + 1;
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(vs.argv[0], verbs[i].name))
			return verbs[i].run(&vs);
	fprintf(stderr, "vserver: %s: unknown command '%s' (see vserver --help)\n", vs.name,
		vs.argv[0]);
	return VS_USAGE;
}
