// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vserver NAME exec [-u USER[:GROUP]] [-w DIR] [-e VAR=VAL]... CMD [ARG...]:
 * run CMD in the guest, pass its status on.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vsupervisor/join.h"
#include "vserver.h"

int vs_join(struct vs *vs, struct vu_join *j)
{
	struct vu_gconf c;
	struct vu_err e;
	int r;

	if ((r = vs_need_guest(vs)) != VS_OK)
		return r;
	if (!vu_layout_running(&vs->l))
		return vs_failf(vs, VS_STOPPED, "not running");
	if ((r = vs_load_conf(vs, &c)) != VS_OK)
		return r;
	j->l = &vs->l;
	j->conf = &c;
	r = vu_join_run(j, &e);
	vu_gconf_free(&c);
	if (r == -2)
		return vs_fail(vs, e.code, &e);
	if (r < 0)
		return vs_fail(vs, e.code == ECONNREFUSED || e.code == ENOENT ? VS_STOPPED : VS_FAIL,
			       &e);
	return r;
}

int vs_join_opts(struct vs *vs, const char *verb, struct vu_join *j, char **env)
{
	int c;

	/* Options end at the command (or "--"): its own are its own. */
	optind = 0;
	opterr = 0;
	while ((c = getopt(vs->argc, vs->argv, "+u:w:e:")) != -1) {
		switch (c) {
		case 'u':
			j->user = optarg;
			break;
		case 'w':
			j->workdir = optarg;
			break;
		case 'e':
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return vs_failf(vs, VS_USAGE, "%s -e: '%s' is not VAR=VALUE", verb,
						optarg);
			env[j->n_env++] = optarg;
			break;
		default:
			return vs_failf(vs, VS_USAGE, "%s: bad option '%s'", verb,
					vs->argv[optind - 1]);
		}
	}
	j->env = env;
	return VS_OK;
}

int vs_exec(struct vs *vs)
{
	struct vu_join j = { 0 };
	char **env;
	int r;

	env = calloc((size_t)vs->argc, sizeof(char *));
	if (!env)
		return vs_failf(vs, VS_FAIL, "out of memory");
	if ((r = vs_join_opts(vs, "exec", &j, env)) != VS_OK)
		goto out;
	if (optind >= vs->argc) {
		r = vs_failf(vs, VS_USAGE, "exec: no command given");
		goto out;
	}
	j.argv = vs->argv + optind;
	/* A terminal on both ends: the command gets a pty (of the guest's). */
	j.pty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	r = vs_join(vs, &j);
out:
	free(env);
	return r;
}
