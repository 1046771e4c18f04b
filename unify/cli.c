// SPDX-License-Identifier: GPL-2.0-or-later
/* Command-line helpers: see include/vunify/cli.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vunify/cli.h"
#include "vunify/escape.h"
#include "vunify/size.h"
#include "vunify/version.h"

void vu_cli_clear(struct vu_cli *c)
{
	if (c->line_drawn) {
		fputs("\r\033[K", stderr);
		c->line_drawn = false;
	}
}

static void cli_log(void *arg, enum vu_level level, const char *msg)
{
	struct vu_cli *c = arg;

	if (level == VU_LOG_ERROR)
		c->errors_logged++;
	else if ((int)level > c->verbose + 1)
		return;                 /* WARN by default, INFO with -v, DEBUG with -vv */
	vu_cli_clear(c);
	/* Messages carry guest-chosen names: never raw to the terminal. */
	fprintf(stderr, "%s: ", c->prog);
	vu_esc_fputs(stderr, msg);
	fputc('\n', stderr);
}

static void human(char *buf, size_t size, double v)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

static void cli_progress(void *arg, const struct vu_progress *p, bool last)
{
	struct vu_cli *c = arg;
	char done[32], total[32], rate[32], eta[32] = "";
	double t = p->elapsed > 0.001 ? p->elapsed : 0.001;

	if (!c->progress || c->verbose < 0)
		return;
	human(done, sizeof(done), (double)p->bytes);
	human(rate, sizeof(rate), p->bytes / t);
	if (p->files_total) {
		human(total, sizeof(total), (double)p->bytes_total);
		if (p->bytes_total > p->bytes && p->bytes > 0) {
			double left = (p->bytes_total - p->bytes) / (p->bytes / t);

			snprintf(eta, sizeof(eta), ", ETA %d:%02d", (int)left / 60, (int)left % 60);
		}
		fprintf(stderr, "\r\033[K%s: %" PRIu64 "/%" PRIu64 " files, %s of %s, %.0f files/s, %s/s%s",
			p->phase, p->files, p->files_total, done, total, p->files / t, rate, eta);
	} else {
		fprintf(stderr, "\r\033[K%s: %" PRIu64 " files, %s, %.0f files/s", p->phase, p->files,
			done, p->files / t);
	}
	c->line_drawn = true;
	if (last)
		vu_cli_clear(c);
	fflush(stderr);
}

void vu_cli_init(struct vu_cli *c, const char *prog)
{
	memset(c, 0, sizeof(*c));
	c->prog = prog;
	c->progress = isatty(STDERR_FILENO);
	c->rep.log = cli_log;
	c->rep.progress = cli_progress;
	c->rep.arg = c;
}

int vu_cli_hash_init(struct vu_cli_hash *h, int argc, bool defaults)
{
	memset(h, 0, sizeof(*h));
	h->defaults = defaults;
	h->protect = true;
	h->min_size = 1;
	h->rules = calloc((size_t)argc + 1, sizeof(*h->rules));
	h->kinds = calloc((size_t)argc + 1, 1);
	if (!h->rules || !h->kinds) {
		vu_cli_hash_free(h);
		return -1;
	}
	return 0;
}

int vu_cli_hash_opt(struct vu_cli *cli, struct vu_cli_hash *h, int c, const char *arg)
{
	uint64_t v;

	switch (c) {
	case 's': h->store = arg; break;
	case 'x': case 'X':
		h->rules[h->nrules] = arg;
		h->kinds[h->nrules++] = (char)c;
		break;
	/* The last of the two wins, as with any pair of on/off options. */
	case VU_CLI_OPT_NO_DEFAULT: h->defaults = h->protect = false; break;
	case VU_CLI_OPT_DEFAULT: h->defaults = h->protect = true; break;
	case 'm':
		/* The size grammar of every command (size.h): "1T" and "4KiB"
		 * as for vunifyfs space=, and no silent overflow. */
		if (vu_parse_size(arg, &h->min_size) < 0) {
			vu_cli_error(cli->prog, "--min-size %s: %s", arg, errno == ERANGE ?
				     "too large" : "not a size (a number with K, M, G, T or P)");
			return -1;
		}
		break;
	case 'j':
		if (vu_parse_uint(arg, 1, VU_CLI_MAX_JOBS, &v) < 0) {
			vu_cli_error(cli->prog, "--jobs %s: not a number of threads from 1 to %d",
				     arg, VU_CLI_MAX_JOBS);
			return -1;
		}
		h->jobs = (unsigned)v;
		break;
	case 'q': cli->verbose = -1; break;
	case 'v': if (cli->verbose >= 0) cli->verbose++; break;
	case VU_CLI_OPT_PROGRESS: cli->progress = true; break;
	case VU_CLI_OPT_NO_PROGRESS: cli->progress = false; break;
	case VU_CLI_OPT_JSON: h->json = true; break;
	case 'V':
		printf("%s %s\n", cli->prog, VUNIFY_VERSION);
		exit(0);
	default:
		return 0;
	}
	return 1;
}

int vu_cli_hash_excludes(const struct vu_cli_hash *h, struct vu_exclude *ex, struct vu_err *e)
{
	if (vu_exclude_init(ex, h->defaults, e) < 0)
		goto fail;
	/* Without the other defaults (vclone's way), the protected files
	 * still come first: they are what host tools edit in place. */
	if (!h->defaults && h->protect)
		for (size_t i = 0; vu_exclude_protected[i]; i++)
			if (vu_exclude_add(ex, vu_exclude_protected[i], e) < 0)
				goto fail;
	for (int i = 0; i < h->nrules; i++)
		if ((h->kinds[i] == 'x' ? vu_exclude_add(ex, h->rules[i], e) :
		     vu_exclude_add_file(ex, h->rules[i], e)) < 0)
			goto fail;
	if (vu_exclude_finish(ex, e) < 0)
		goto fail;
	return 0;
fail:
	vu_exclude_free(ex);   /* the caller gets nothing to free on error */
	return -1;
}

void vu_cli_hash_free(struct vu_cli_hash *h)
{
	free(h->rules);
	free(h->kinds);
	h->rules = NULL;
	h->kinds = NULL;
}

void vu_cli_error(const char *prog, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: ", prog);
	vu_esc_fputs(stderr, msg);
	fputc('\n', stderr);
}

void vu_cli_json_str(FILE *f, const char *s)
{
	vu_esc_json(f, s);
}
