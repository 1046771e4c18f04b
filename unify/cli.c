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

int vu_cli_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 0: break;
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	default: return -1;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

int vu_cli_uint(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < 1 || v > 65536)
		return -1;
	*out = (unsigned)v;
	return 0;
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
