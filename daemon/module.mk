# daemon/: the per-guest supervisor that holds a running guest's context, and
# everything vserver needs around it (guest.conf, cgroups, namespaces, the
# root file system view, capabilities, seccomp, netlink).
#
# It is a library, libvsupervisor.a, linked into vserver: the supervisor is
# a process forked by `vserver start` that inherits the parsed configuration
# and the guest's lock (see include/vsupervisor/supervisor.h).
LIBVSUP_SRC := $(wildcard daemon/*.c)
LIBVSUP_OBJ := $(patsubst %.c,$(OBJ)/%.o,$(LIBVSUP_SRC))
LIBVSUP     := $(BUILD)/lib/libvsupervisor.a
LIBVSUP_LIBS := -linih -lseccomp -lcap
DEPFILES += $(LIBVSUP_OBJ:.o=.d)

# The archive depends on this file too, so that a source moved away (as
# deepwalk.c and diskusage.c moved to unify/) leaves no stale object in it.
$(LIBVSUP): $(LIBVSUP_OBJ) daemon/module.mk
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $(filter %.o,$^)

# Unit tests of the pieces above.
UNIT_DEPS_test_guestconf := $(LIBVSUP) $(LIBVUNIFY)
UNIT_LIBS_test_guestconf := $(LIBVSUP_LIBS) $(LIBVUNIFY_LIBS)
UNIT_DEPS_test_cgroup    := $(LIBVSUP) $(LIBVUNIFY)
UNIT_LIBS_test_cgroup    := $(LIBVSUP_LIBS) $(LIBVUNIFY_LIBS)
UNIT_DEPS_test_vsmisc    := $(LIBVSUP) $(LIBVUNIFY)
UNIT_LIBS_test_vsmisc    := $(LIBVSUP_LIBS) $(LIBVUNIFY_LIBS)
