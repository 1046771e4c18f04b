// SPDX-License-Identifier: GPL-2.0-or-later
/* Message callbacks: see include/vunify/report.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vunify/report.h"

void vu_report_log(const struct vu_report *r, enum vu_level level, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (!r || !r->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->log(r->arg, level, msg);
}

void vu_report_err(const struct vu_report *r, enum vu_level level, const struct vu_err *e)
{
	if (r && r->log)
		r->log(r->arg, level, e->msg[0] ? e->msg : strerror(e->code));
}
