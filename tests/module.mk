# tests/: cmocka unit tests (tests/unit/test_*.c -> build/tests/unit/test_*)
# and C helpers for the integration tests (tests/helpers/*.c ->
# build/tests/bin/*).  tests/run runs them and every tests/*/*.t script.
TEST_BIN := $(BUILD)/tests/bin
UNIT_BIN := $(BUILD)/tests/unit

# Helpers: one program per file, linked with libvunify for shared pieces.
TEST_HELPERS := $(patsubst tests/helpers/%.c,$(TEST_BIN)/%,$(wildcard tests/helpers/*.c))
TEST_PROGRAMS += $(TEST_HELPERS)
DEPFILES += $(patsubst tests/helpers/%.c,$(OBJ)/tests/helpers/%.d,$(wildcard tests/helpers/*.c))
$(TEST_BIN)/%: $(OBJ)/tests/helpers/%.o $(LIBVUNIFY)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(LIBVUNIFY) $(LIBVUNIFY_LIBS) -lpthread

# Unit tests: tests/unit/test_NAME.c; the libraries of the piece under test
# are listed in UNIT_LIBS_NAME (default: libvunify).
UNIT_TESTS := $(patsubst tests/unit/%.c,$(UNIT_BIN)/%,$(wildcard tests/unit/test_*.c))
TEST_PROGRAMS += $(UNIT_TESTS)
DEPFILES += $(patsubst tests/unit/%.c,$(OBJ)/tests/unit/%.d,$(wildcard tests/unit/test_*.c))
EXTRA_CFLAGS_tests/unit = $(FUSE_CFLAGS)
.SECONDEXPANSION:
$(UNIT_BIN)/%: $(OBJ)/tests/unit/%.o $$(or $$(UNIT_DEPS_$$*),$(LIBVUNIFY))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(or $(UNIT_DEPS_$*),$(LIBVUNIFY)) \
		$(or $(UNIT_LIBS_$*),$(LIBVUNIFY_LIBS)) -lcmocka -lpthread
