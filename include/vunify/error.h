/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Errors with context.  A library function that fails fills a struct vu_err
 * with the errno and a message naming what it worked on ("/g1/etc:
 * Permission denied") and returns -1; callers may prefix context of their
 * own.  Only a program's main() prints it, once, behind the program name:
 *
 *     vhashify: /g1/etc: Permission denied
 */
#ifndef VUNIFY_ERROR_H
#define VUNIFY_ERROR_H

#include <stdarg.h>

struct vu_err {
	int code;          /* errno value, 0 if none */
	char msg[1024];    /* one line, no trailing newline */
};

/* Set @e to "FMT: strerror(errnum)" (or just FMT if errnum is 0); returns -1. */
int vu_err_set(struct vu_err *e, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Put "FMT: " in front of the message already in @e; returns -1. */
int vu_err_prefix(struct vu_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print "PROG: MSG" on stderr. */
void vu_err_print(const struct vu_err *e, const char *prog);

#endif /* VUNIFY_ERROR_H */
