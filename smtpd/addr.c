/*
 * addr.c: the SMTP path parser (see addr.h).  Runs in smtpd's net process
 * on bytes straight from the client; every index is checked against the
 * length it was given, nothing is allocated.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smtpd/addr.h"

/* A cursor over the path being parsed. */
struct addr_cur {
	const unsigned char	*s;
	size_t			 len;
	size_t			 i;
	int			 flags;
	int			 utf8;	/* saw an octet above 0x7f */
};

/* addr_cont: a UTF-8 continuation octet. */
static int
addr_cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

/*
 * addr_utf8_len: the length (2..4) of the strict UTF-8 sequence of a
 * non-ASCII character at s (n octets available), or 0 when there is
 * none: the first octet's range fixes the second's (RFC 3629 section 4),
 * which rules out overlong forms, surrogates and values past U+10FFFF.
 */
static int
addr_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t k, j;

	if (c >= 0xc2 && c <= 0xdf)
		k = 2;
	else if (c >= 0xe0 && c <= 0xef)
		k = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		k = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < k || s[1] < lo || s[1] > hi)
		return 0;
	for (j = 2; j < k; j++)
		if (!addr_cont(s[j]))
			return 0;
	return (int)k;
}

static int
addr_peek(const struct addr_cur *c)
{
	return c->i < c->len ? c->s[c->i] : -1;
}

/* addr_utf8: take one non-ASCII character at the cursor where the
 * grammar allows one: its length, or a negative SMTP_ADDR_E*. */
static int
addr_utf8(struct addr_cur *c)
{
	int k;

	if (!(c->flags & SMTP_ADDR_UTF8))
		return SMTP_ADDR_EUTF8;
	if ((k = addr_utf8_len(c->s + c->i, c->len - c->i)) == 0)
		return SMTP_ADDR_ESYNTAX;
	c->utf8 = 1;
	c->i += (size_t)k;
	return k;
}

/* addr_atext: RFC 5322 atext, as RFC 5321 uses it in Atom. */
static int
addr_atext(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || (ch > 0 && ch < 0x80 &&
	    strchr("!#$%&'*+-/=?^_`{|}~", ch) != NULL);
}

static int
addr_letdig(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9');
}

/* addr_dot_string: 1 when the n octets at s are a Dot-string (ASCII
 * only: UTF-8 content of a quoted string stays quoted). */
static int
addr_dot_string(const unsigned char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.' && i + 1 < n && s[i + 1] == '.')
			return 0;
		if (s[i] != '.' && !addr_atext(s[i]))
			return 0;
	}
	return 1;
}

/* addr_ipv4: 1 when the n octets at s are a dotted quad of Snum. */
static int
addr_ipv4(const unsigned char *s, size_t n)
{
	size_t i = 0;
	int part, digits, val;

	for (part = 0; part < 4; part++) {
		if (part > 0) {
			if (i >= n || s[i] != '.')
				return 0;
			i++;
		}
		for (digits = 0, val = 0; i < n && s[i] >= '0' &&
		    s[i] <= '9' && digits < 3; digits++, i++)
			val = val * 10 + (s[i] - '0');
		if (digits == 0 || val > 255)
			return 0;
	}
	return i == n;
}

/* addr_literal: an address literal at the cursor ('[' seen), into out
 * (lowercased).  0 or SMTP_ADDR_ESYNTAX. */
static int
addr_literal(struct addr_cur *c, char *out, size_t *outlen)
{
	const unsigned char *p = c->s + c->i + 1;
	char buf[INET6_ADDRSTRLEN + 8];
	unsigned char a6[16];
	size_t n = 0, k;

	while (c->i + 1 + n < c->len && p[n] != ']')
		n++;
	if (c->i + 1 + n >= c->len || n == 0 || n + 2 > SMTP_DOMAIN_MAX)
		return SMTP_ADDR_ESYNTAX;
	if (n > 5 && strncasecmp((const char *)p, "IPv6:", 5) == 0) {
		if (n - 5 >= sizeof(buf))
			return SMTP_ADDR_ESYNTAX;
		memcpy(buf, p + 5, n - 5);
		buf[n - 5] = '\0';
		/* inet_pton stops at a NUL: check every octet first */
		if (strspn(buf, "0123456789abcdefABCDEF:.") != n - 5 ||
		    inet_pton(AF_INET6, buf, a6) != 1)
			return SMTP_ADDR_ESYNTAX;
	} else if (!addr_ipv4(p, n))
		return SMTP_ADDR_ESYNTAX;
	out[0] = '[';
	for (k = 0; k < n; k++)
		out[k + 1] = (p[k] >= 'A' && p[k] <= 'Z') ? (char)(p[k] + 32) :
		    (char)p[k];
	out[n + 1] = ']';
	out[n + 2] = '\0';
	*outlen = n + 2;
	c->i += n + 2;
	return 0;
}

/*
 * addr_domain: a Domain at the cursor into out (SMTP_DOMAIN_MAX + 1
 * bytes, lowercased): sub-domains of Let-dig [Ldh-str], a U-label's
 * non-ASCII characters counting as letters (RFC 6531 section 3.3), or
 * an address literal.  0 or a negative SMTP_ADDR_E*.
 */
static int
addr_domain(struct addr_cur *c, char *out)
{
	size_t n = 0, start = c->i, label;
	int ch, rc, last;

	if (addr_peek(c) == '[')
		return addr_literal(c, out, &n);
	for (;;) {
		label = 0;
		last = 0;
		while ((ch = addr_peek(c)) != -1) {
			if (ch >= 0x80) {
				if ((rc = addr_utf8(c)) < 0)
					return rc;
				label += (size_t)rc;
				last = 'a';
				continue;
			}
			if (!addr_letdig(ch) && !(ch == '-' && label > 0))
				break;
			c->i++;
			label++;
			last = ch;
		}
		if (label == 0 || last == '-')
			return SMTP_ADDR_ESYNTAX;
		if (label > 63)
			return SMTP_ADDR_ELONG;
		if (addr_peek(c) != '.')
			break;
		c->i++;
	}
	n = c->i - start;
	if (n > SMTP_DOMAIN_MAX)
		return SMTP_ADDR_ELONG;
	memcpy(out, c->s + start, n);
	out[n] = '\0';
	for (label = 0; label < n; label++)
		if (out[label] >= 'A' && out[label] <= 'Z')
			out[label] += 32;
	return 0;
}

/* addr_quoted: a Quoted-string at the cursor ('"' seen), its content
 * unescaped into buf (SMTP_PATH_MAX bytes): the content's length, or a
 * negative SMTP_ADDR_E*. */
static int
addr_quoted(struct addr_cur *c, unsigned char *buf)
{
	size_t n = 0;
	int ch, rc;

	c->i++;
	while ((ch = addr_peek(c)) != '"') {
		if (ch == -1 || n + 4 >= SMTP_PATH_MAX)
			return ch == -1 ? SMTP_ADDR_ESYNTAX : SMTP_ADDR_ELONG;
		if (ch >= 0x80) {
			size_t at = c->i;

			if ((rc = addr_utf8(c)) < 0)
				return rc;
			memcpy(buf + n, c->s + at, (size_t)rc);
			n += (size_t)rc;
			continue;
		}
		if (ch == '\\') {
			c->i++;
			ch = addr_peek(c);
			if (ch < 32 || ch > 126)
				return SMTP_ADDR_ESYNTAX;
		} else if (ch < 32 || ch > 126)
			return SMTP_ADDR_ESYNTAX;
		buf[n++] = (unsigned char)ch;
		c->i++;
	}
	c->i++;
	return (int)n;
}

/* addr_local: a Local-part at the cursor into a->local, in the one
 * spelling of addr.h.  0 or a negative SMTP_ADDR_E*. */
static int
addr_local(struct addr_cur *c, struct smtp_addr *a)
{
	unsigned char q[SMTP_PATH_MAX];
	size_t start = c->i, n, k, o;
	int ch, rc;

	if (addr_peek(c) == '"') {
		if ((rc = addr_quoted(c, q)) < 0)
			return rc;
		if (c->i - start > SMTP_LOCAL_MAX)
			return SMTP_ADDR_ELONG;
		n = (size_t)rc;
		if (n == 0)
			return SMTP_ADDR_ESYNTAX;
		if (addr_dot_string(q, n)) {
			memcpy(a->local, q, n);
			a->local[n] = '\0';
			return 0;
		}
		o = 0;
		a->local[o++] = '"';
		for (k = 0; k < n; k++) {
			if (q[k] == '"' || q[k] == '\\')
				a->local[o++] = '\\';
			a->local[o++] = (char)q[k];
		}
		a->local[o++] = '"';
		a->local[o] = '\0';
		return 0;
	}
	for (;;) {
		k = 0;
		while ((ch = addr_peek(c)) != -1) {
			if (ch >= 0x80) {
				if ((rc = addr_utf8(c)) < 0)
					return rc;
			} else if (addr_atext(ch))
				c->i++;
			else
				break;
			k++;
		}
		if (k == 0)
			return SMTP_ADDR_ESYNTAX;
		if (addr_peek(c) != '.')
			break;
		c->i++;
	}
	n = c->i - start;
	if (n > SMTP_LOCAL_MAX)
		return SMTP_ADDR_ELONG;
	memcpy(a->local, c->s + start, n);
	a->local[n] = '\0';
	return 0;
}

/* addr_route: an optional source route "@a,@b:" at the cursor, checked
 * and dropped.  0 or a negative SMTP_ADDR_E*. */
static int
addr_route(struct addr_cur *c)
{
	char skip[SMTP_DOMAIN_MAX + 1];
	int rc;

	if (addr_peek(c) != '@')
		return 0;
	for (;;) {
		c->i++;
		if ((rc = addr_domain(c, skip)) < 0)
			return rc;
		if (addr_peek(c) == ':') {
			c->i++;
			return 0;
		}
		if (addr_peek(c) != ',')
			return SMTP_ADDR_ESYNTAX;
		c->i++;
		if (addr_peek(c) != '@')
			return SMTP_ADDR_ESYNTAX;
	}
}

/* addr_special: "<>" for MAIL, "<postmaster>" for RCPT: the octets
 * taken, or 0 when the path is neither. */
static int
addr_special(const char *s, size_t len, int flags, struct smtp_addr *a)
{
	if ((flags & SMTP_ADDR_MAIL) && len >= 2 && s[1] == '>')
		return 2;
	if ((flags & SMTP_ADDR_RCPT) && len >= 12 && s[11] == '>' &&
	    strncasecmp(s + 1, "postmaster", 10) == 0) {
		memcpy(a->addr, "postmaster", sizeof("postmaster"));
		memcpy(a->local, "postmaster", sizeof("postmaster"));
		return 12;
	}
	return 0;
}

int
smtp_addr_parse(const char *s, size_t len, int flags, struct smtp_addr *a)
{
	struct addr_cur c = { (const unsigned char *)s, len, 1, flags, 0 };
	int rc, n;

	memset(a, 0, sizeof(*a));
	if (len == 0 || s[0] != '<')
		return SMTP_ADDR_ESYNTAX;
	if ((rc = addr_special(s, len, flags, a)) > 0)
		return rc;
	if ((rc = addr_route(&c)) < 0 || (rc = addr_local(&c, a)) < 0)
		goto fail;
	if (addr_peek(&c) != '@') {
		rc = SMTP_ADDR_ESYNTAX;
		goto fail;
	}
	c.i++;
	if ((rc = addr_domain(&c, a->domain)) < 0)
		goto fail;
	if (addr_peek(&c) != '>') {
		rc = SMTP_ADDR_ESYNTAX;
		goto fail;
	}
	c.i++;
	if (c.i > SMTP_PATH_MAX) {
		rc = SMTP_ADDR_ELONG;
		goto fail;
	}
	n = snprintf(a->addr, sizeof(a->addr), "%s@%s", a->local, a->domain);
	if (n < 0 || (size_t)n >= sizeof(a->addr)) {
		rc = SMTP_ADDR_ELONG;
		goto fail;
	}
	a->utf8 = c.utf8;
	return (int)c.i;
fail:
	memset(a, 0, sizeof(*a));
	return rc;
}
