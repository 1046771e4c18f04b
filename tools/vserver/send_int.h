/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What `send` and `migrate` share (send.c). */
#ifndef VSERVER_SEND_INT_H
#define VSERVER_SEND_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "vunify/store.h"
#include "vunify/stream.h"
#include "vserver.h"

/* A stopped guest, ready to be sent: its guest.conf, its root (locked
 * shared, so that it cannot start meanwhile) and its base's store. */
struct vs_source {
	char *conf;
	size_t conflen;
	int top;
	struct vu_store store;
	bool store_open;
};

/* VS_OK, or the exit code after the message was told. */
int vs_source_open(struct vs *vs, struct vs_source *src);
void vs_source_close(struct vs_source *src);

/* The root of guest @name of this base, the base of an incremental send
 * or receive: stopped, locked shared (it cannot start meanwhile) in *@fd.
 * VS_OK, or the exit code after the message was told. */
int vs_base_guest_open(struct vs *vs, const char *name, int *fd);

/* Bytes sent on stderr (a terminal): vu_stream_send_opts.progress. */
struct vs_progress {
	const char *name;
	struct timespec last;
	bool shown;
};
void vs_progress(void *arg, uint64_t bytes);
void vs_progress_end(struct vs_progress *p);

/* "vserver: NAME: VERB N inodes, ...: N bytes" */
void vs_send_summary(struct vs *vs, const char *verb, const struct vu_stream_stats *st);

#endif /* VSERVER_SEND_INT_H */
