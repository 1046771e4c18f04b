// SPDX-License-Identifier: GPL-2.0-or-later
/* Errors with context: see include/vunify/error.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vunify/error.h"
#include "vunify/escape.h"

int vu_err_set(struct vu_err *e, int errnum, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	if (errnum && n >= 0 && (size_t)n < sizeof(e->msg))
		snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", strerror(errnum));
	e->code = errnum;
	errno = errnum;
	return -1;
}

int vu_err_prefix(struct vu_err *e, const char *fmt, ...)
{
	char old[sizeof(e->msg)];
	va_list ap;
	int n;

	memcpy(old, e->msg, sizeof(old));
	va_start(ap, fmt);
	n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(e->msg))
		snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", old);
	errno = e->code;
	return -1;
}

void vu_err_print(const struct vu_err *e, const char *prog)
{
	/* Messages carry guest-chosen names: never raw to the terminal. */
	fprintf(stderr, "%s: ", prog);
	vu_esc_fputs(stderr, e->msg[0] ? e->msg : strerror(e->code));
	fputc('\n', stderr);
}
