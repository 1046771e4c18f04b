// SPDX-License-Identifier: GPL-2.0-or-later
/* Inode number set: see include/vunify/objset.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "vunify/objset.h"

void vu_objset_init(struct vu_objset *s)
{
	memset(s, 0, sizeof(*s));
}

static size_t slot_of(uint64_t key, size_t cap)
{
	return XXH3_64bits(&key, sizeof(key)) & (cap - 1);
}

static void put(uint64_t *slot, size_t cap, uint64_t key)
{
	size_t i = slot_of(key, cap);

	while (slot[i] && slot[i] != key)
		i = (i + 1) & (cap - 1);
	slot[i] = key;
}

int vu_objset_add(struct vu_objset *s, uint64_t ino)
{
	if (vu_objset_has(s, ino))
		return 0;
	if ((s->n + 1) * 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		uint64_t *slot = calloc(cap, sizeof(*slot));

		if (!slot) {
			errno = ENOMEM;
			return -1;
		}
		for (size_t i = 0; i < s->cap; i++)
			if (s->slot[i])
				put(slot, cap, s->slot[i]);
		free(s->slot);
		s->slot = slot;
		s->cap = cap;
	}
	put(s->slot, s->cap, ino + 1);
	s->n++;
	return 0;
}

bool vu_objset_has(const struct vu_objset *s, uint64_t ino)
{
	uint64_t key = ino + 1;
	size_t i;

	if (!s->cap)
		return false;
	for (i = slot_of(key, s->cap); s->slot[i]; i = (i + 1) & (s->cap - 1))
		if (s->slot[i] == key)
			return true;
	return false;
}

void vu_objset_free(struct vu_objset *s)
{
	free(s->slot);
	memset(s, 0, sizeof(*s));
}
