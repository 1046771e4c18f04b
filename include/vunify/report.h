/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How library code tells the program what happens during a long run
 * without printing anything itself: messages and progress go to callbacks
 * that the program's main() provides (and that decide what to print).
 * Callbacks are only ever called from the thread that called into the
 * library.
 */
#ifndef VUNIFY_REPORT_H
#define VUNIFY_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "vunify/error.h"

enum vu_level {
	VU_LOG_ERROR = 0,            /* something failed (counted in the errors) */
	VU_LOG_WARN,                 /* worth knowing, not a failure */
	VU_LOG_INFO,                 /* what was done (-v) */
	VU_LOG_DEBUG,                /* why (-vv) */
};

struct vu_progress {
	const char *phase;           /* "scanning", "hashing", "cloning", ... */
	uint64_t files, bytes;       /* done so far */
	uint64_t files_total, bytes_total; /* 0 if not known */
	double elapsed;              /* seconds since the phase began */
};

struct vu_report {
	void (*log)(void *arg, enum vu_level level, const char *msg);
	void (*progress)(void *arg, const struct vu_progress *p, bool last);
	void *arg;
};

void vu_report_log(const struct vu_report *r, enum vu_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void vu_report_err(const struct vu_report *r, enum vu_level level, const struct vu_err *e);

#endif /* VUNIFY_REPORT_H */
