/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest stream: one guest tree (and its guest.conf) as a byte stream,
 * for `vserver NAME send` and `vserver NAME receive` -- to a file, through
 * a pipe, later over ssh (migrate) and as a backup.
 *
 * A tree's unified files travel as object ids plus, once per id, the
 * object itself; everything else travels as itself.  The receiver links
 * unified files to the objects of its own store, so objects it already
 * holds cost it nothing; a sender that knows what the receiver holds may
 * leave those objects out of the stream (the receiver then takes them
 * from its store, and refuses the stream if it does not have them).
 *
 * FORMAT, version 2 (version 1 is version 2 without header flags; a stream
 * that uses no flag is written as version 1, and both are read).  Integers are little endian; "str" is a u32 length
 * and that many bytes (no NUL); "ts" is an i64 seconds and a u32
 * nanoseconds; "xattrs" is a u32 count, then per attribute, sorted by
 * name (strcmp), a str name and a str value.
 *
 *   header  "vunifyST" (8 bytes), u32 version (1 or 2), u32 flags (0 in
 *           version 1; see VU_STREAM_H_*), u64 XXH64 of those 16 bytes
 *           (seed 0)                                             24 bytes
 *   records, each:
 *           u32 type, u32 payload length (at most VU_STREAM_PAYLOAD_MAX),
 *           the payload, u64 XXH64 of type, length and payload with the
 *           record's own stream offset as the seed: a flipped bit, a
 *           record moved, dropped or repeated fails its check.
 *
 * Records, in this order:
 *   CONFIG         (0 or 1) the guest's guest.conf, the payload as is
 *   BASE           (1 iff VU_STREAM_H_INCREMENTAL) str, the base guest's name
 *   INODE          the manifest: one per inode of the tree, in walk order
 *   LINK             (a directory before what it holds), see below
 *   MANIFEST_END   u64 inodes, u64 links
 *   OBJECT / FILE  with their DATA records, in any order (and BASE_FILE,
 *   DATA             incremental streams only)
 *   END            u64 records before it, u64 objects sent, u64 files sent
 *                  (FILE and BASE_FILE records)
 *   and then the end of the stream: anything after END is refused.
 *
 *   INODE   u64 ino (1, 2, 3, ... in order: stream numbers, not the
 *           sender's), u64 parent ino (0 for ino 1, the top, which is a
 *           directory), str name (empty for the top), u32 mode (type and
 *           permission bits, set-id bits as the source had them), u32 uid,
 *           u32 gid, u32 flags, u64 size, ts atime, ts mtime, u32 rdev
 *           major, u32 rdev minor, str symlink target (empty unless a
 *           symlink), xattrs (never the mark nor the usage record), and
 *           with flag VU_STREAM_F_OBJECT (a unified regular file) 16 bytes
 *           of object id.  Each name of a unified file is an INODE of its
 *           own (to its guest they are separate files).
 *   LINK    u64 parent ino, str name, u64 ino: another name for an inode
 *           already made (a hardlink the guest made; never a directory
 *           nor a unified file).
 *   OBJECT  16 bytes id, u32 key flags (key.h), u64 size, u32 mode,
 *           u32 uid, u32 gid, ts atime, ts mtime, xattrs; its content
 *           follows as DATA.  The receiver computes the id of what it got
 *           (key.h) and refuses the stream unless it equals the id sent.
 *   FILE    u64 ino of a private regular file; its content follows as
 *           DATA.  Every private regular file of size > 0 has one.
 *   DATA    u64 offset, bytes (at most VU_STREAM_DATA_MAX): offsets rise,
 *           ranges do not overlap, and what no DATA covers is a hole.
 *   BASE_FILE  u64 ino of a private regular file, u64 XXH64 (seed 0) of
 *           its content (holes read as zeros): its content is that of the
 *           base guest's regular file at the same path (the manifest's
 *           names of the inode), which the sender compared byte for byte.
 *
 * Names are 1..255 bytes, without '/' or NUL, not "." or "..", and not
 * reserved (format.h); xattr values at most 64 KiB, 1024 per inode;
 * symlink targets at most 4095 bytes; the manifest at most
 * VU_STREAM_MANIFEST_MAX bytes of them.  All names of one object agree on
 * its mode, owner, size and mtime, and its OBJECT record with them.  A stream that breaks any rule is
 * refused with the offset of the record at fault.
 *
 * HEADER FLAGS (version 2).
 *   VU_STREAM_H_OMITS  the sender was given the receiver's have-list (below)
 *           and left out the OBJECT records (and their DATA) of the objects
 *           on it; the manifest still names every unified file's object id.
 *           Only a receiver that wrote a have-list accepts such a stream
 *           (vu_stream_recv_opts.objects_from_store); it takes each object
 *           left out from its store, and links a name to it only after
 *           reading the instance and finding that its content has that id
 *           and the stat the manifest gives (else the stream is refused,
 *           and nothing is left behind).  Without the flag every object
 *           named must be in the stream.
 *
 *   VU_STREAM_H_INCREMENTAL  only what changed since a base guest (a
 *           snapshot, or an earlier state of the guest the receiver has
 *           under the name the BASE record gives).  The manifest is whole:
 *           the received guest is exactly the one described (files the
 *           base has and the stream does not name are not there; metadata,
 *           xattrs and hardlink groups are the manifest's), only contents
 *           are taken from the base -- private files by BASE_FILE (copied,
 *           never linked: the two guests stay independent), and objects the
 *           base's tree links to are left out.  A receiver takes such a
 *           stream only onto the base its operator names, copies each
 *           BASE_FILE from its copy of the base and refuses the stream if
 *           the size or hash differ; an object left out is taken from its
 *           store only if its base links to that id, with the check
 *           VU_STREAM_H_OMITS describes.
 *
 * HAVE-LIST: what a receiver writes to the sender before the stream (over
 * ssh, `vserver migrate`): "vunifyHV" (8 bytes), u32 version (1), u32 0,
 * u64 count, count ids of 16 bytes in ascending order (each once), u64
 * XXH64 of all that (seed 0).  At most VU_HAVE_MAX ids.
 *
 * RECEIVING.  The stream is untrusted input.  The tree is built under
 * PARENT/NAME, where PARENT is a directory that only this receiver uses
 * (vserver's is behind the barrier); every entry is made with *at() calls
 * relative to directory descriptors opened with O_NOFOLLOW, so no name
 * of the stream reaches outside.  Objects are staged in PARENT (below
 * VU_STREAM_STAGE) and each one's id is verified as it arrives; the store
 * is touched only after END was read and checked: a refused stream has
 * not changed the store.  On any error (a bad or truncated stream, a
 * failed write, an interruption) everything made is removed again,
 * instances of objects this receive added to the store included.
 */
#ifndef VUNIFY_STREAM_H
#define VUNIFY_STREAM_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vunify/error.h"
#include "vunify/session.h"
#include "vunify/store.h"

#define VU_STREAM_MAGIC       "vunifyST"
#define VU_STREAM_VERSION     2u
#define VU_STREAM_HEADER_LEN  24
#define VU_STREAM_DATA_MAX    (1u << 20)
#define VU_STREAM_PAYLOAD_MAX (VU_STREAM_DATA_MAX + 64)
#define VU_STREAM_STAGE       ".vunify-receive-objects"

enum vu_stream_type {
	VU_SREC_CONFIG = 1,
	VU_SREC_INODE = 2,
	VU_SREC_LINK = 3,
	VU_SREC_MANIFEST_END = 4,
	VU_SREC_OBJECT = 5,
	VU_SREC_FILE = 6,
	VU_SREC_DATA = 7,
	VU_SREC_END = 8,
	VU_SREC_BASE = 9,            /* version 2, VU_STREAM_H_INCREMENTAL */
	VU_SREC_BASE_FILE = 10,
};

#define VU_STREAM_F_OBJECT 0x1u

/* Header flags (version 2). */
#define VU_STREAM_H_OMITS  0x1u
#define VU_STREAM_H_INCREMENTAL 0x2u
#define VU_STREAM_H_KNOWN  (VU_STREAM_H_OMITS | VU_STREAM_H_INCREMENTAL)

#define VU_HAVE_MAGIC      "vunifyHV"
#define VU_HAVE_MAX        (1ull << 28)

/* Limits of what a stream may ask of a receiver. */
#define VU_STREAM_NAME_MAX    255
#define VU_STREAM_TARGET_MAX  4095
#define VU_STREAM_XATTR_N     1024
#define VU_STREAM_XATTR_VAL   65536
#define VU_STREAM_DEPTH_MAX   1024
#define VU_STREAM_INODES_MAX  (1ull << 28)
#define VU_STREAM_MANIFEST_MAX (1ull << 30)   /* bytes of names, targets, xattrs */

/* --- encoding a payload ------------------------------------------------- */

struct vu_sbuf {
	uint8_t *p;
	size_t len, cap;
	bool oom;                    /* an append failed: the buffer is unusable */
};

void vu_sbuf_reset(struct vu_sbuf *b);
void vu_sbuf_free(struct vu_sbuf *b);
void vu_sbuf_u32(struct vu_sbuf *b, uint32_t v);
void vu_sbuf_u64(struct vu_sbuf *b, uint64_t v);
void vu_sbuf_raw(struct vu_sbuf *b, const void *p, size_t n);
/* u32 length, then the bytes */
void vu_sbuf_str(struct vu_sbuf *b, const void *p, size_t n);

/* --- decoding a payload -------------------------------------------------- */

/* A cursor over one payload.  Reading past its end sets @bad and yields
 * zeros / NULL, so a decoder reads on and checks @bad once. */
struct vu_scur {
	const uint8_t *p;
	size_t len, pos;
	bool bad;
};

uint32_t vu_scur_u32(struct vu_scur *c);
uint64_t vu_scur_u64(struct vu_scur *c);
const void *vu_scur_raw(struct vu_scur *c, size_t n);
/* A str of at most @max bytes: its bytes (NULL if bad), length in *@n. */
const void *vu_scur_str(struct vu_scur *c, size_t max, size_t *n);
/* The whole payload was read, and nothing was wrong with it. */
bool vu_scur_done(const struct vu_scur *c);

/* --- records -------------------------------------------------------------- */

struct vu_swriter {
	int fd;
	uint64_t off;                /* bytes written */
	uint64_t records;
	struct vu_sbuf frame;
	/* Called with the bytes written after each record (or NULL). */
	void (*progress)(void *arg, uint64_t bytes);
	void *progress_arg;
};

/* Write the header: version 1 (no flags), or 2 with @flags. */
int vu_swriter_start(struct vu_swriter *w, int fd, struct vu_err *e);
int vu_swriter_start_flags(struct vu_swriter *w, int fd, uint32_t flags, struct vu_err *e);
int vu_swriter_put(struct vu_swriter *w, uint32_t type, const void *p, size_t len,
		   struct vu_err *e);
void vu_swriter_free(struct vu_swriter *w);

struct vu_sreader {
	int fd;
	uint64_t off;                /* bytes read */
	uint64_t rec_off;            /* the offset of the last record */
	uint64_t records;
	uint32_t version, flags;     /* of the header */
	volatile sig_atomic_t *stop; /* set: reading stops with EINTR */
	uint8_t *buf;
};

/* Read and check the header; errors name the offset. */
int vu_sreader_start(struct vu_sreader *r, int fd, volatile sig_atomic_t *stop,
		     struct vu_err *e);
/* The next record: 1 with *@type and @c set, 0 at a clean end of the
 * stream (only between records), -1 with "offset N: ..." in @e. */
int vu_sreader_next(struct vu_sreader *r, uint32_t *type, struct vu_scur *c, struct vu_err *e);
/* After END: 0 if the stream ends here, else -1 naming the offset. */
int vu_sreader_end(struct vu_sreader *r, struct vu_err *e);
void vu_sreader_free(struct vu_sreader *r);

/* --- send and receive ------------------------------------------------------ */

struct vu_stream_stats {
	uint64_t bytes;              /* of the stream */
	uint64_t inodes, links;
	uint64_t files, file_bytes;  /* private regular files sent/received */
	uint64_t objects, object_bytes; /* objects sent/received */
	uint64_t unified;            /* names of unified files */
	uint64_t objects_had;        /* received: the store already had them */
	uint64_t objects_left_out;   /* sent: on the have-list, not sent */
	uint64_t base_files, base_file_bytes;  /* incremental: taken from the base */
	uint64_t objects_new;        /* received: new instances made */
};

struct vu_stream_send_opts {
	const void *conf;            /* guest.conf, or NULL */
	size_t conflen;
	const char *label;           /* the tree, for messages */
	volatile sig_atomic_t *stop;
	/* The receiver's have-list (sorted, vu_have_read), or NULL: with it,
	 * the stream has VU_STREAM_H_OMITS and leaves those objects out. */
	const struct vu_id *have;
	size_t nhave;
	void (*progress)(void *arg, uint64_t bytes);   /* see vu_swriter */
	void *progress_arg;
	/* Incremental (base_name set): the base guest's name and root; the
	 * objects its tree links to are left out, and private files with the
	 * content of its file at the same path are sent as BASE_FILE. */
	int basefd;
	const char *base_name;
};

/* Send the tree at @topfd (a stopped guest's root; its unified files are
 * objects of @store) to @out. */
int vu_stream_send(int topfd, struct vu_store *store, int out,
		   const struct vu_stream_send_opts *o, struct vu_stream_stats *st,
		   struct vu_err *e);

struct vu_stream_recv_opts {
	volatile sig_atomic_t *stop;
	/* Accept a stream that leaves out objects this store has (migrate,
	 * after telling the sender what it has).  Off, every object must be
	 * in the stream: a stream's author could otherwise put any object of
	 * this store, known by its id, into a guest of theirs. */
	bool objects_from_store;
	/* The CONFIG record is required (need_conf) and handed to check_conf
	 * as soon as it is read, before anything is made: -1 refuses. */
	bool need_conf;
	int (*check_conf)(void *arg, const void *conf, size_t len, struct vu_err *e);
	void *arg;
	void *conf;                  /* out: the CONFIG payload (malloc'd) or NULL */
	size_t conflen;
	/* An incremental stream is received only onto the base guest the
	 * operator names (base_name, which the stream's BASE record must
	 * name, and basefd, its root); base_name NULL: full streams only. */
	int basefd;
	const char *base_name;
};

/* Receive a tree from @in as @parentfd/@name (which must not exist),
 * linking its unified files into @s's store (a session open for writing). */
int vu_stream_receive(int in, int parentfd, const char *name, struct vu_session *s,
		      struct vu_stream_recv_opts *o, struct vu_stream_stats *st,
		      struct vu_err *e);

/* --- the have-list and objects (stream_have.c) --------------------------- */

/* Write the have-list of @store (every id it holds an instance of). */
int vu_have_write(struct vu_store *store, int fd, struct vu_err *e);
/* Read a have-list: *@ids (malloc'd, sorted) and *@n; errors name the
 * offset. */
int vu_have_read(int fd, struct vu_id **ids, size_t *n, struct vu_err *e);
bool vu_have_has(const struct vu_id *ids, size_t n, const struct vu_id *id);

/* Does the content of object @fd (stat @stx) have id @id?  Tried with the
 * key flags an object can be made with; 1 yes (*@flags set), 0 no, -1
 * error.  @buf is VU_STREAM_DATA_MAX bytes. */
int vu_stream_object_id_ok(int fd, const struct statx *stx, const struct vu_id *id,
			   void *buf, int *flags, struct vu_err *e, const char *what);

/* --- incremental streams (stream_incr.c) ----------------------------------- */

/* The ids of the objects the tree at @basefd links to (sorted, each once). */
int vu_stream_base_ids(int basefd, const char *label, struct vu_id **ids, size_t *n,
		       struct vu_err *e);
/* The regular file at @path ("/a/b") below @basefd, read-only, reached
 * without following symlinks; -1 with errno. */
int vu_stream_base_open(int basefd, const char *path);
/* From @off of a file of @size bytes: where its next data begins and the
 * hole after it begins (both @size at the end; all data where holes are
 * not reported).  -1 with errno. */
int vu_stream_next_data(int fd, uint64_t off, uint64_t size, uint64_t *data, uint64_t *hole);
/* XXH64 (seed 0) of @fd's @size bytes, holes as zeros; with @out >= 0 the
 * content is also written there (holes left) and @out truncated to @size. */
int vu_stream_content_hash(int fd, uint64_t size, int out, void *buf, size_t bufsize,
			   uint64_t *hash);

#endif /* VUNIFY_STREAM_H */
