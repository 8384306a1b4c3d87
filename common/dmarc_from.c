/*
 * dmarc_from.c: the RFC5322.From domain DMARC judges (RFC 7489 3.1,
 * 6.6.1).  Runs in the check role on the arriving message's header
 * block, which is hostile: the From value is reduced, within a bounded
 * copy, to its address parts (comments dropped, quoted strings blanked
 * so that an '@' or '<' inside them counts for nothing), then each
 * mailbox's domain is taken after its last '@'.
 */
#include <string.h>
#include <strings.h>

#include "common/dmarc.h"
#include "common/mailhdr.h"

#define DMARC_FROM_MAX	8192	/* longest From value read */

/* The value with comments removed and quoted strings replaced by "q";
 * the length, or -1 when too long or a comment or quote is open. */
static int
dmarc_from_clean(const char *v, size_t n, char *out, size_t cap)
{
	size_t i, o = 0, depth = 0;
	int quoted = 0;

	if (n >= cap)
		return -1;
	for (i = 0; i < n; i++) {
		char c = v[i];

		if ((quoted || depth > 0) && c == '\\') {
			i++;
			continue;
		}
		if (quoted) {
			quoted = c != '"';
			continue;
		}
		if (c == '(')
			depth++;
		else if (c == ')' && depth > 0)
			depth--;
		else if (depth == 0 && c == '"') {
			quoted = 1;
			out[o++] = 'q';
		} else if (depth == 0)
			out[o++] = c;
	}
	if (quoted || depth > 0)
		return -1;
	out[o] = '\0';
	return (int)o;
}

static int
dmarc_from_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* One mailbox s[0..n): its domain into dom; 1 found, 0 empty, -1 bad. */
static int
dmarc_from_mailbox(const char *s, size_t n, char dom[DNS_NAME_MAX + 1])
{
	const char *lt, *gt, *at, *end;
	size_t i, dl;

	while (n > 0 && dmarc_from_blank(*s))
		s++, n--;
	while (n > 0 && dmarc_from_blank(s[n - 1]))
		n--;
	if (n == 0)
		return 0;
	if ((lt = memchr(s, '<', n)) != NULL) {
		if ((gt = memchr(lt, '>', n - (size_t)(lt - s))) == NULL)
			return -1;
		s = lt + 1;
		n = (size_t)(gt - s);
	}
	for (at = NULL, i = 0; i < n; i++)
		if (s[i] == '@')
			at = s + i;
	if (at == NULL)
		return -1;
	at++;
	end = s + n;
	while (at < end && dmarc_from_blank(*at))
		at++;
	while (end > at && dmarc_from_blank(end[-1]))
		end--;
	dl = (size_t)(end - at);
	if (dl == 0 || dl > DNS_NAME_MAX)
		return -1;
	for (i = 0; i < dl; i++) {
		char c = at[i];

		if ((unsigned char)c <= ' ' || c == 0x7f || c == '<' ||
		    c == '>')
			return -1;
		dom[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	dom[dl] = '\0';
	return 1;
}

/* Every mailbox of the cleaned value: the one domain they share. */
static int
dmarc_from_list(const char *s, size_t n, char out[DNS_NAME_MAX + 1])
{
	char dom[DNS_NAME_MAX + 1];
	size_t i, start = 0;
	int found = 0, rc, angle = 0;

	for (i = 0; i <= n; i++) {
		if (i < n && s[i] == '<')
			angle = 1;
		else if (i < n && s[i] == '>')
			angle = 0;
		if (i < n && (angle || (s[i] != ',' && s[i] != ';' &&
		    s[i] != ':')))
			continue;
		if (i < n && s[i] == ':') {
			/* a group's display name */
			start = i + 1;
			continue;
		}
		if ((rc = dmarc_from_mailbox(s + start, i - start, dom)) == -1)
			return -1;
		if (rc == 1) {
			if (found && strcmp(dom, out) != 0)
				return -1;
			memcpy(out, dom, strlen(dom) + 1);
			found = 1;
		}
		start = i + 1;
	}
	return found ? 0 : -1;
}

int
dmarc_from_domain(const char *hdr, size_t len, char out[DNS_NAME_MAX + 1])
{
	struct mailhdr_field f, from = { 0, 0, NULL, 0, NULL, 0 };
	char clean[DMARC_FROM_MAX];
	size_t pos = 0, nfrom = 0;
	int n;

	while (mailhdr_next(hdr, len, &pos, &f) == 1)
		if (mailhdr_name_is(&f, "From") && nfrom++ == 0)
			from = f;
	if (nfrom != 1)
		return -1;
	if ((n = dmarc_from_clean(from.value, from.valuelen, clean,
	    sizeof(clean))) == -1)
		return -1;
	return dmarc_from_list(clean, (size_t)n, out);
}
