# vserver: the context launcher (start, stop, enter, exec, ... of guests).
TOOL_DEPS_vserver := $(LIBVSUP)
TOOL_LIBS_vserver := $(LIBVSUP_LIBS)
MANPAGES += tools/vserver/vserver.8
# tests/unit/test_vsbuild.c: build's container configuration on small trees.
UNIT_DEPS_test_vsbuild := $(OBJ)/tools/vserver/build_setup.o $(LIBVUNIFY)
# tests/unit/test_vsjson.c: the JSON writer of list/status --json.
UNIT_DEPS_test_vsjson := $(OBJ)/tools/vserver/json.o $(LIBVUNIFY)
