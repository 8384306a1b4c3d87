/*
 * mailpath.c: the safe-name check and the one function that turns a
 * canonical user name into its mail directory (see mailpath.h).  Runs in
 * authctl, authd and smtpd's delivery; trusts the mail root, not the name.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/mailpath.h"

static void mailpath_why(char *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
mailpath_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* mailpath_part_check: one component (what: "local part" or "domain")
 * of len bytes at p, which starts at byte off of the whole name. */
static int
mailpath_part_check(const char *what, const char *p, size_t len,
    size_t max, size_t off, char *why, size_t whylen)
{
	unsigned char c;
	size_t i;

	if (len == 0) {
		mailpath_why(why, whylen, "empty %s", what);
		return -1;
	}
	if (len > max) {
		mailpath_why(why, whylen, "%s longer than %zu bytes", what, max);
		return -1;
	}
	if (len == 1 && p[0] == '.') {
		mailpath_why(why, whylen, "%s \".\" names the directory "
		    "itself", what);
		return -1;
	}
	if (len == 2 && p[0] == '.' && p[1] == '.') {
		mailpath_why(why, whylen, "%s \"..\" names the parent "
		    "directory", what);
		return -1;
	}
	if (p[0] == '.') {
		mailpath_why(why, whylen, "%s starts with '.' (a hidden "
		    "directory, or a Maildir++ folder)", what);
		return -1;
	}
	for (i = 0; i < len; i++) {
		c = (unsigned char)p[i];
		if (c == '/') {
			mailpath_why(why, whylen, "%s: '/' at byte %zu",
			    what, off + i + 1);
			return -1;
		}
		if (c == '\0') {
			mailpath_why(why, whylen, "%s: NUL at byte %zu", what,
			    off + i + 1);
			return -1;
		}
		if (c < 0x20 || c == 0x7f) {
			mailpath_why(why, whylen, "%s: control character "
			    "0x%02x at byte %zu", what, c, off + i + 1);
			return -1;
		}
	}
	return 0;
}

int
mailpath_name_check(const char *name, size_t len, char *why, size_t whylen)
{
	const char *at = memchr(name, '@', len);
	size_t llen;

	if (at == NULL) {
		mailpath_why(why, whylen, "no '@' between local part and "
		    "domain");
		return -1;
	}
	llen = (size_t)(at - name);
	if (memchr(at + 1, '@', len - llen - 1) != NULL) {
		mailpath_why(why, whylen, "more than one '@'");
		return -1;
	}
	if (mailpath_part_check("local part", name, llen, MAILPATH_LOCAL_MAX,
	    0, why, whylen) == -1)
		return -1;
	return mailpath_part_check("domain", at + 1, len - llen - 1,
	    MAILPATH_DOMAIN_MAX, llen + 1, why, whylen);
}

int
mailpath_dir(const char *root, const char *user, char *out, size_t outlen,
    char *why, size_t whylen)
{
	size_t rlen = strlen(root);
	const char *at;
	int n;

	if (outlen > 0)
		out[0] = '\0';
	if (root[0] != '/') {
		mailpath_why(why, whylen, "the mail root is not an absolute "
		    "path");
		return -1;
	}
	if (mailpath_name_check(user, strlen(user), why, whylen) == -1)
		return -1;
	while (rlen > 1 && root[rlen - 1] == '/')
		rlen--;
	if (rlen == 1)
		rlen = 0;	/* root "/": the result starts "/<domain>" */
	at = strchr(user, '@');
	n = snprintf(out, outlen, "%.*s/%s/%.*s", (int)rlen, root, at + 1,
	    (int)(at - user), user);
	if (n < 0 || (size_t)n >= outlen) {
		if (outlen > 0)
			out[0] = '\0';
		mailpath_why(why, whylen, "mail directory longer than %zu "
		    "bytes", outlen > 0 ? outlen - 1 : 0);
		return -1;
	}
	return 0;
}
