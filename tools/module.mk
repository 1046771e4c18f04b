# tools/: one directory per command: tools/NAME/*.c -> build/bin/NAME, linked
# with libvunify.  A command that needs more sets TOOL_LIBS_NAME (link flags),
# TOOL_DEPS_NAME (extra objects or archives) and EXTRA_CFLAGS_tools/NAME in
# tools/NAME/tool.mk, and lists its man page in MANPAGES there.
-include $(wildcard tools/*/tool.mk)
VU_TOOLS := $(patsubst tools/%/,%,$(sort $(dir $(wildcard tools/*/*.c))))
$(foreach t,$(VU_TOOLS),$(eval $(call vu_program,$(t),$(patsubst %.c,$(OBJ)/%.o,$(wildcard tools/$(t)/*.c)),$(TOOL_DEPS_$(t)) $(LIBVUNIFY),$(TOOL_LIBS_$(t)) $(LIBVUNIFY_LIBS))))
