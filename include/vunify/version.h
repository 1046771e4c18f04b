/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one version of vunify, printed by every command's --version. */
#ifndef VUNIFY_VERSION_H
#define VUNIFY_VERSION_H

#ifndef VUNIFY_VERSION
#define VUNIFY_VERSION "0.1"
#endif

#endif /* VUNIFY_VERSION_H */
