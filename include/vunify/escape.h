/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Printing names that a guest chose.
 *
 * File names in a guest tree are the guest's: any bytes but '/' and NUL.
 * Printed raw on the admin's terminal, they can set its title, change
 * colours, fill the clipboard (OSC 52), clear the screen, or forge lines
 * that look like our own output.  So every message the tools print goes
 * through vu_esc_fputs(), and every JSON string through vu_esc_json():
 *
 *   text   bytes of a valid UTF-8 character are printed as they are,
 *          except these, printed as \xNN per byte:
 *            C0 controls (0x00-0x1f), DEL (0x7f), the backslash itself
 *            (so that the output is unambiguous), C1 controls (U+0080 to
 *            U+009F, and any byte 0x80-0x9f that is not part of a valid
 *            character), every byte that is not valid UTF-8, and the
 *            invisible characters that reorder or break lines (U+2028,
 *            U+2029, the bidirectional controls U+200E, U+200F,
 *            U+202A-U+202E and U+2066-U+2069)
 *   JSON   a valid JSON string: '"' and '\' escaped, every character the
 *          text form escapes written as \uXXXX (the value is the exact
 *          name), and a byte that is not valid UTF-8 -- which JSON
 *          cannot carry -- as U+FFFD
 */
#ifndef VUNIFY_ESCAPE_H
#define VUNIFY_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

/* Write @s, escaped (text form). */
void vu_esc_fputs(FILE *f, const char *s);

/* Escape @s into @buf (text form), NUL-terminated; cut short (at a whole
 * escape) if @size is too small.  Returns @buf. */
char *vu_esc(const char *s, char *buf, size_t size);

/* Write @s as a JSON string, quotes included. */
void vu_esc_json(FILE *f, const char *s);

/* The other direction, for what the kernel escaped: undo the octal escapes
 * of a /proc/self/mountinfo field (\040 for a space, \011 tab, \012
 * newline, \134 backslash) in place.  The one unescaper of every mountinfo
 * reader (the tree locks, the cgroup and guest mount lookups, vunifyfs). */
void vu_unescape_mountinfo(char *s);

#endif /* VUNIFY_ESCAPE_H */
