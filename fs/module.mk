# vunifyfs: the copy-on-write unification filesystem (FUSE, low-level API).
# It shares the on-disk contract (include/vunify/format.h) and the copy core
# (VU_CORE_OBJ, unify/module.mk: copying data and metadata, the atomic swap)
# with the tools, compiled in as objects of their own, not all of libvunify:
# the filesystem daemon links nothing it does not use, and never sqlite.
VUNIFYFS_OBJ := $(patsubst %.c,$(OBJ)/%.o,$(wildcard fs/*.c))
VUNIFYFS_OBJ += $(VU_CORE_OBJ)
# Everything but main(), for the unit tests of fs internals.
VUNIFYFS_LIB_OBJ := $(filter-out $(OBJ)/fs/main.o,$(VUNIFYFS_OBJ))
EXTRA_CFLAGS_fs = $(FUSE_CFLAGS)
VUNIFYFS_LIBS = $(FUSE_LIBS) -luring -lxxhash -lpthread

$(eval $(call vu_program,vunifyfs,$(VUNIFYFS_OBJ),,$(VUNIFYFS_LIBS)))
MANPAGES += fs/vunifyfs.8

# Unit tests of fs internals link the filesystem's objects (all but main).
UNIT_DEPS_test_fs_node = $(VUNIFYFS_LIB_OBJ)
UNIT_LIBS_test_fs_node = $(VUNIFYFS_LIBS)
UNIT_DEPS_test_fs_options = $(VUNIFYFS_LIB_OBJ)
UNIT_LIBS_test_fs_options = $(VUNIFYFS_LIBS)
UNIT_DEPS_test_fs_copy = $(VUNIFYFS_LIB_OBJ)
UNIT_LIBS_test_fs_copy = $(VUNIFYFS_LIBS)
UNIT_DEPS_test_format = $(VUNIFYFS_LIB_OBJ)
UNIT_LIBS_test_format = $(VUNIFYFS_LIBS)
UNIT_DEPS_test_fs_log = $(VUNIFYFS_LIB_OBJ)
UNIT_LIBS_test_fs_log = $(VUNIFYFS_LIBS)
