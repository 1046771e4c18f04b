// SPDX-License-Identifier: GPL-2.0-or-later
/* Capability sets of guest processes: see include/vsupervisor/secpolicy.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "vsupervisor/secpolicy.h"

#define BIT(c) (UINT64_C(1) << (c))

uint64_t vu_caps_default(enum vu_net_mode mode)
{
	uint64_t caps = BIT(CAP_CHOWN) | BIT(CAP_DAC_OVERRIDE) | BIT(CAP_FOWNER) |
			BIT(CAP_FSETID) | BIT(CAP_KILL) | BIT(CAP_SETGID) | BIT(CAP_SETUID) |
			BIT(CAP_SETPCAP) | BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_SYS_CHROOT) |
			BIT(CAP_AUDIT_WRITE) | BIT(CAP_SETFCAP);

	/* With CAP_NET_RAW a guest forges packets (any source, any MAC).  On
	 * a veth of its own they arrive at the host's end, to be routed or
	 * filtered like anything else from the guest; on a bridge or the
	 * host's own link they reach the neighbours directly, so there the
	 * guest does without.  Host mode shares the host's stack: no sniffing. */
	if (mode != VU_NET_HOST && !vu_net_shared(mode))
		caps |= BIT(CAP_NET_RAW);
	return caps;
}

uint64_t vu_caps_of(const struct vu_gconf *c)
{
	return (vu_caps_default(c->net_mode) | c->cap_keep) & ~c->cap_drop;
}

void vu_caps_format(uint64_t caps, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (int i = 0; i < 64 && n < len; i++) {
		char *name;

		if (!(caps & BIT(i)))
			continue;
		name = cap_to_name((cap_value_t)i);
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "," : "",
				      name && !strncmp(name, "cap_", 4) ? name + 4 : name);
		cap_free(name);
	}
}

static int last_cap(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int last = CAP_LAST_CAP;

	if (f) {
		if (fscanf(f, "%d", &last) != 1)
			last = CAP_LAST_CAP;
		fclose(f);
	}
	return last;
}

int vu_caps_bound(uint64_t keep, struct vu_err *e)
{
	int last = last_cap();

	for (int c = 0; c <= last && c < 64; c++) {
		if (keep & BIT(c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return vu_err_set(e, errno, "dropping capability %d from the bounding set", c);
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return vu_err_set(e, errno, "clearing the ambient capabilities");
	return 0;
}

int vu_caps_set(uint64_t keep, struct vu_err *e)
{
	cap_t c = cap_init();
	int last = last_cap(), r = 0;

	if (!c)
		return vu_err_set(e, errno, "cap_init");
	for (int i = 0; i <= last && i < 64; i++) {
		cap_value_t v = i;

		if (!(keep & BIT(i)))
			continue;
		if (cap_set_flag(c, CAP_EFFECTIVE, 1, &v, CAP_SET) < 0 ||
		    cap_set_flag(c, CAP_PERMITTED, 1, &v, CAP_SET) < 0) {
			r = vu_err_set(e, errno, "cap_set_flag");
			goto out;
		}
	}
	if (cap_set_proc(c) < 0)
		r = vu_err_set(e, errno, "setting the capability sets");
out:
	cap_free(c);
	return r;
}
