// SPDX-License-Identifier: GPL-2.0-or-later
/* Printing guest-chosen names: see include/vunify/escape.h. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "vunify/escape.h"

/*
 * The length of the valid UTF-8 character at @p (1 to 4), its code point
 * in *@cp; 0 if @p does not start one (a stray continuation byte, an
 * overlong form, a surrogate, beyond U+10FFFF, or cut short).
 */
static size_t utf8_char(const unsigned char *p, uint32_t *cp)
{
	uint32_t c = p[0], min;
	size_t n;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2, c &= 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3, c &= 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4, c &= 0x07, min = 0x10000;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;       /* also the NUL at the end */
		c = c << 6 | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* Must a valid character be escaped? */
static bool unsafe(uint32_t c)
{
	return c < 0x20 || c == 0x7f || c == '\\' || (c >= 0x80 && c <= 0x9f) ||
	       c == 0x2028 || c == 0x2029 || c == 0x200e || c == 0x200f ||
	       (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

/* The escaped form of the next character of @p into @out (at most 17
 * bytes with the NUL); returns the bytes of @p it stands for. */
static size_t esc_next(const unsigned char *p, char out[17])
{
	uint32_t c;
	size_t n = utf8_char(p, &c), o = 0;
	static const char hex[] = "0123456789abcdef";

	if (n && !unsafe(c)) {
		memcpy(out, p, n);
		out[n] = 0;
		return n;
	}
	if (!n)
		n = 1;          /* not valid UTF-8: this byte alone */
	for (size_t i = 0; i < n; i++) {
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[p[i] >> 4];
		out[o++] = hex[p[i] & 15];
	}
	out[o] = 0;
	return n;
}

void vu_esc_fputs(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char out[17];

	while (*p) {
		p += esc_next(p, out);
		fputs(out, f);
	}
}

char *vu_esc(const char *s, char *buf, size_t size)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = 0;
	char out[17];

	if (!size)
		return buf;
	buf[0] = 0;
	while (*p) {
		size_t n = esc_next(p, out), ol = strlen(out);

		if (len + ol >= size)
			break;
		memcpy(buf + len, out, ol + 1);
		len += ol;
		p += n;
	}
	return buf;
}

void vu_esc_json(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	while (*p) {
		uint32_t c;
		size_t n = utf8_char(p, &c);

		if (!n) {
			fputs("\\ufffd", f);    /* JSON has no room for raw bytes */
			p++;
			continue;
		}
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", (int)c);
		else if (unsafe(c))
			fprintf(f, "\\u%04x", (unsigned)c);
		else
			fwrite(p, 1, n, f);
		p += n;
	}
	fputc('"', f);
}

void vu_unescape_mountinfo(char *s)
{
	char *d = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*d++ = *s;
		}
	}
	*d = 0;
}
