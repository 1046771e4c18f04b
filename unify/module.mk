# libvunify: the store, index, hashing, exclude rules and the link machinery
# shared by vhashify, vclone, vserver and (for the mark) vunifyfs.
LIBVUNIFY_SRC := $(wildcard unify/*.c)
LIBVUNIFY_OBJ := $(patsubst %.c,$(OBJ)/%.o,$(LIBVUNIFY_SRC))
# The copy core (include/vunify/copy.h) and what it needs, and the inode set
# the usage counts share: vunifyfs compiles these into itself too, so they
# use only the C library, xxhash and each other (no sqlite, no other part
# of libvunify).
VU_CORE_SRC := unify/copy.c unify/xattr.c unify/meta.c unify/error.c unify/escape.c \
               unify/objset.c
VU_CORE_OBJ := $(patsubst %.c,$(OBJ)/%.o,$(VU_CORE_SRC))
LIBVUNIFY     := $(BUILD)/lib/libvunify.a
# Link flags a program that uses libvunify needs (static archive: only the
# objects a program references are pulled in, --as-needed drops the rest).
LIBVUNIFY_LIBS := -Wl,--as-needed -lsqlite3 -lxxhash -lattr -lpthread
DEPFILES += $(LIBVUNIFY_OBJ:.o=.d)

# The archive depends on this file too: a source removed leaves no stale
# object in it.
$(LIBVUNIFY): $(LIBVUNIFY_OBJ) unify/module.mk
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $(filter %.o,$^)
