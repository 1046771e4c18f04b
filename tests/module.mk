# tests/: cmocka unit tests (tests/unit/test_*.c -> build/tests/unit/test_*)
# and C helpers for the integration tests (tests/helpers/*.c ->
# build/tests/bin/*).  tests/run runs them and every tests/*/*.t script.
TEST_BIN := $(BUILD)/tests/bin
UNIT_BIN := $(BUILD)/tests/unit

# Helpers: one program per file.  A helper that needs more than libc sets
# HELPER_DEPS_NAME (objects, archives) and HELPER_LIBS_NAME (link flags).
# vs_streamedit re-encodes guest streams (libvunify's stream records).
HELPER_DEPS_vs_streamedit := $(LIBVUNIFY)
HELPER_LIBS_vs_streamedit := $(LIBVUNIFY_LIBS)
TEST_HELPERS := $(patsubst tests/helpers/%.c,$(TEST_BIN)/%,$(wildcard tests/helpers/*.c))
TEST_PROGRAMS += $(TEST_HELPERS)
DEPFILES += $(patsubst tests/helpers/%.c,$(OBJ)/tests/helpers/%.d,$(wildcard tests/helpers/*.c))
.SECONDEXPANSION:
$(TEST_BIN)/%: $(OBJ)/tests/helpers/%.o $$(HELPER_DEPS_$$*)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(HELPER_DEPS_$*) $(HELPER_LIBS_$*) -lpthread

# Unit tests: tests/unit/test_NAME.c; the libraries of the piece under test
# are listed in UNIT_LIBS_NAME (default: libvunify).
UNIT_TESTS := $(patsubst tests/unit/%.c,$(UNIT_BIN)/%,$(wildcard tests/unit/test_*.c))
TEST_PROGRAMS += $(UNIT_TESTS)
DEPFILES += $(patsubst tests/unit/%.c,$(OBJ)/tests/unit/%.d,$(wildcard tests/unit/test_*.c))
EXTRA_CFLAGS_tests/unit = $(FUSE_CFLAGS)
$(UNIT_BIN)/%: $(OBJ)/tests/unit/%.o $$(or $$(UNIT_DEPS_$$*),$(LIBVUNIFY))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(or $(UNIT_DEPS_$*),$(LIBVUNIFY)) \
		$(or $(UNIT_LIBS_$*),$(LIBVUNIFY_LIBS)) -lcmocka -lpthread
