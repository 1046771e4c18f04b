# tests/fuzz/: libFuzzer targets, one per parser of untrusted or admin input
# (tests/fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput), and their seed
# and regression corpus (tests/fuzz/corpus/NAME/).
#
#   make check   replays every corpus through its target, built with $(CC)
#                and replay.c as build/tests/unit/test_fuzz_NAME: no clang
#   make fuzz    builds every target with clang, libFuzzer, ASan and UBSan
#                into build/fuzz/ and runs each for FUZZ_TIME seconds
#                (default 60), one after the other; FUZZ_TARGETS="a b"
#                picks some.  New inputs go to build/fuzz/new/NAME/, crashes
#                to build/fuzz/crashes/; the committed corpus is not touched.
#
# A target that needs project code lists it in FUZZ_DEPS_NAME (objects,
# archives) and its link flags in FUZZ_LIBS_NAME; both builds use them.
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TARGETS ?= $(FUZZ_NAMES)
FUZZ_TIME ?= 60
FUZZ_CC ?= clang
FUZZ_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
               -fno-sanitize-recover=all -fsanitize=fuzzer-no-link

FUZZ_DEPS_opts := $(VUNIFYFS_LIB_OBJ)
FUZZ_LIBS_opts = $(VUNIFYFS_LIBS)
FUZZ_DEPS_mark := $(LIBVUNIFY)
FUZZ_LIBS_mark := $(LIBVUNIFY_LIBS)
FUZZ_DEPS_exclude := $(LIBVUNIFY)
FUZZ_LIBS_exclude := $(LIBVUNIFY_LIBS)
FUZZ_DEPS_index := $(LIBVUNIFY)
FUZZ_LIBS_index := $(LIBVUNIFY_LIBS)
FUZZ_DEPS_guestconf := $(LIBVSUP) $(LIBVUNIFY)
FUZZ_LIBS_guestconf := $(LIBVSUP_LIBS) $(LIBVUNIFY_LIBS)
FUZZ_DEPS_stream := $(LIBVUNIFY)
FUZZ_LIBS_stream := $(LIBVUNIFY_LIBS) -lpthread
FUZZ_DEPS_control := $(LIBVSUP) $(LIBVUNIFY)
FUZZ_LIBS_control := $(LIBVSUP_LIBS) $(LIBVUNIFY_LIBS) -lpthread

EXTRA_CFLAGS_tests/fuzz = $(FUSE_CFLAGS)
DEPFILES += $(patsubst %.c,$(OBJ)/%.d,$(wildcard tests/fuzz/*.c))
# Reached only through pattern rules: keep them, or make deletes them.
.SECONDARY: $(patsubst %.c,$(OBJ)/%.o,$(wildcard tests/fuzz/*.c))

# The corpus replays, run by tests/run like the unit tests.
FUZZ_REPLAYS := $(patsubst %,$(UNIT_BIN)/test_fuzz_%,$(FUZZ_NAMES))
TEST_PROGRAMS += $(FUZZ_REPLAYS)
$(UNIT_BIN)/test_fuzz_%: $(OBJ)/tests/fuzz/fuzz_%.o $(OBJ)/tests/fuzz/replay.o $$(FUZZ_DEPS_$$*)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(OBJ)/tests/fuzz/replay.o $(FUZZ_DEPS_$*) $(FUZZ_LIBS_$*)

# The libFuzzer binaries; built by a sub-make with BUILD=build/fuzz and
# CC=clang, so that everything they link is instrumented.
.PHONY: fuzz fuzzers
fuzzers: $(patsubst %,$(BUILD)/fuzzers/fuzz_%,$(FUZZ_TARGETS))
$(BUILD)/fuzzers/fuzz_%: $(OBJ)/tests/fuzz/fuzz_%.o $$(FUZZ_DEPS_$$*)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_DEPS_$*) $(FUZZ_LIBS_$*)

fuzz:
	$(MAKE) BUILD=$(BUILD)/fuzz CC=$(FUZZ_CC) WERROR=0 CFLAGS='$(FUZZ_CFLAGS)' \
		FUZZ_TARGETS='$(FUZZ_TARGETS)' fuzzers
	tests/fuzz/run-fuzz $(BUILD)/fuzz $(FUZZ_TIME) $(FUZZ_TARGETS)
