/*
 * client_reply.c: reading one SMTP reply of a remote server (RFC 5321
 * §4.2): three digits, '-' on every line but the last, the same code on
 * every line; the text joined and made printable; EHLO keywords (RFC
 * 5321 §4.1.1.1 and the extensions the relay uses).  Runs in the relay
 * role; every byte is the remote server's and hostile: the caller bounds
 * the line length, this file the line count and the text.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smtpd/client_int.h"
#include "smtpd/relayproto.h"

/* client_reply_text: append text to r->text, a space between lines,
 * bytes outside printable ASCII as '?', cut at the buffer's end. */
static void
client_reply_text(struct client_reply *r, const char *p, size_t len)
{
	size_t i;

	if (r->textlen > 0 && r->textlen + 1 < sizeof(r->text))
		r->text[r->textlen++] = ' ';
	for (i = 0; i < len && r->textlen + 1 < sizeof(r->text); i++) {
		unsigned char ch = (unsigned char)p[i];

		r->text[r->textlen++] = (ch >= 0x20 && ch <= 0x7e) ?
		    (char)ch : '?';
	}
	r->text[r->textlen] = '\0';
}

/* client_reply_word: p[0..len) starts with word (case-insensitive),
 * followed by the end, a space or, when eq, an '='. */
static int
client_reply_word(const char *p, size_t len, const char *word, int eq)
{
	size_t n = strlen(word);

	if (len < n || strncasecmp(p, word, n) != 0)
		return 0;
	return len == n || p[n] == ' ' || (eq && p[n] == '=');
}

/* client_reply_size: "SIZE" and its optional number; a number that does
 * not parse or overflows 64 bits counts as no limit. */
static void
client_reply_size(struct client_reply *r, const char *p, size_t len)
{
	uint64_t v = 0;
	size_t i = 4;

	r->caps |= CLIENT_CAP_SIZE;
	r->size_max = 0;
	if (i >= len)
		return;
	for (i++; i < len && p[i] >= '0' && p[i] <= '9'; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	if (i == len)
		r->size_max = v;
}

/* client_reply_auth: the mechanisms after "AUTH " or "AUTH=". */
static void
client_reply_auth(struct client_reply *r, const char *p, size_t len)
{
	size_t i = 5, start;

	while (i < len) {
		start = i;
		while (i < len && p[i] != ' ')
			i++;
		if (i - start == 5 && strncasecmp(p + start, "PLAIN", 5) == 0)
			r->caps |= CLIENT_CAP_AUTH_PLAIN;
		while (i < len && p[i] == ' ')
			i++;
	}
}

/* client_reply_keyword: one EHLO line after the first. */
static void
client_reply_keyword(struct client_reply *r, const char *p, size_t len)
{
	static const struct {
		const char	*word;
		unsigned	 cap;
	} kw[] = {
		{ "STARTTLS", CLIENT_CAP_STARTTLS },
		{ "PIPELINING", CLIENT_CAP_PIPELINING },
		{ "8BITMIME", CLIENT_CAP_8BITMIME },
		{ "SMTPUTF8", CLIENT_CAP_SMTPUTF8 },
		{ "REQUIRETLS", CLIENT_CAP_REQUIRETLS },
		{ "ENHANCEDSTATUSCODES", CLIENT_CAP_ENHANCED },
		{ "DSN", CLIENT_CAP_DSN },
	};
	size_t i;

	if (client_reply_word(p, len, "SIZE", 0)) {
		client_reply_size(r, p, len);
		return;
	}
	if (client_reply_word(p, len, "AUTH", 1)) {
		client_reply_auth(r, p, len);
		return;
	}
	for (i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
		if (client_reply_word(p, len, kw[i].word, 0))
			r->caps |= kw[i].cap;
}

int
client_reply_line(struct client_reply *r, const char *line, size_t len,
    int ehlo, const char **why)
{
	int code, last;

	if (len < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' ||
	    line[1] > '5' || line[2] < '0' || line[2] > '9') {
		*why = "malformed reply from the server";
		return -1;
	}
	if (len > 3 && line[3] != ' ' && line[3] != '-') {
		*why = "malformed reply from the server";
		return -1;
	}
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (r->nlines > 0 && code != r->code) {
		*why = "reply lines of different codes from the server";
		return -1;
	}
	if (++r->nlines > CLIENT_LINES_MAX) {
		*why = "reply of too many lines from the server";
		return -1;
	}
	r->code = code;
	last = len == 3 || line[3] == ' ';
	/* A bare "250" line carries no keyword (len - 4 would wrap). */
	if (ehlo && r->nlines > 1 && len > 4)
		client_reply_keyword(r, line + 4, len - 4);
	client_reply_text(r, len > 4 ? line + 4 : "", len > 4 ? len - 4 : 0);
	return last;
}

void
client_reply_dsn(const struct client_reply *r, char *dsn, size_t dsnlen)
{
	char word[RELAY_DSN_MAX];
	size_t n = 0;

	while (n + 1 < sizeof(word) && r->text[n] != '\0' &&
	    r->text[n] != ' ') {
		word[n] = r->text[n];
		n++;
	}
	word[n] = '\0';
	if (relayproto_dsn_valid(word) && word[0] - '0' == r->code / 100 &&
	    (r->text[n] == ' ' || r->text[n] == '\0')) {
		(void)snprintf(dsn, dsnlen, "%s", word);
		return;
	}
	(void)snprintf(dsn, dsnlen, "%d.0.0", r->code / 100);
}
