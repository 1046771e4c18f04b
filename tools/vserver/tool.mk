# vserver: the context launcher (start, stop, enter, exec, ... of guests).
TOOL_DEPS_vserver := $(LIBVSUP)
TOOL_LIBS_vserver := $(LIBVSUP_LIBS)
MANPAGES += tools/vserver/vserver.8
