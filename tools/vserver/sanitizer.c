// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vserver under AddressSanitizer (make SANITIZE=address): no leak check.
 *
 * LeakSanitizer stops the world at exit by ptrace-attaching to the
 * process's threads from a helper task.  vserver's processes cannot allow
 * that: the joining process is made non-dumpable and lives in the guest's
 * PID namespace, the supervisor drops capabilities and installs a seccomp
 * filter, and there LSan hangs (measured: every `vserver exec` then waited
 * for its 60 s timeout).  The default options are read before
 * ASAN_OPTIONS, which tests/run sets without detect_leaks, so this turns
 * the leak check off for vserver alone; every other ASan check stays on.
 * A normal build compiles this file to nothing.
 */
#if defined(__SANITIZE_ADDRESS__)
const char *__asan_default_options(void);

__attribute__((used, visibility("default")))
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif
