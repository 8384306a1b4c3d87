/*
 * httpresp.c: the bounded HTTP/1.x response parser (httpresp.h) for the
 * MTA-STS policy fetch.  Runs in the relay processes and the fuzz
 * target; every byte is hostile: lines are gathered into a fixed buffer
 * and parsed whole, the body into another, and every number is checked
 * before it can overflow.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/httpresp.h"

static int resp_fail(struct http_resp *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static int
resp_fail(struct http_resp *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	r->state = HTTP_FAILED;
	return -1;
}

void
http_resp_init(struct http_resp *r)
{
	memset(r, 0, sizeof(*r));
	r->state = HTTP_STATUS;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* resp_status: "HTTP/1.x NNN[ reason]"; only 200 goes on. */
static int
resp_status(struct http_resp *r, const char *s, size_t n)
{
	if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || !is_digit(s[7]) ||
	    s[8] != ' ' || !is_digit(s[9]) || !is_digit(s[10]) ||
	    !is_digit(s[11]) || (n > 12 && s[12] != ' '))
		return resp_fail(r, "not an HTTP/1 response");
	r->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	if (r->status >= 300 && r->status < 400)
		return resp_fail(r, "a redirect (%d), which MTA-STS does not "
		    "follow", r->status);
	if (r->status != 200)
		return resp_fail(r, "the server answered %d", r->status);
	r->state = HTTP_HEADER;
	return 0;
}

/* value_is: v (n bytes) is the token w, case ignored, optionally
 * followed by OWS and ";" parameters when params is set. */
static int
value_is(const char *v, size_t n, const char *w, int params)
{
	size_t wl = strlen(w);

	if (n < wl || strncasecmp(v, w, wl) != 0)
		return 0;
	while (wl < n && is_ows(v[wl]))
		wl++;
	return wl == n || (params && v[wl] == ';');
}

static int
resp_length(struct http_resp *r, const char *v, size_t n)
{
	uint64_t x = 0;
	size_t i;

	if (n == 0 || n > 19)
		return resp_fail(r, "a malformed Content-Length");
	for (i = 0; i < n; i++) {
		if (!is_digit(v[i]))
			return resp_fail(r, "a malformed Content-Length");
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	if (r->has_length && x != r->length)
		return resp_fail(r, "two different Content-Lengths");
	r->has_length = 1;
	r->length = x;
	return 0;
}

/* resp_header: one "name: value" line of the header. */
static int
resp_header(struct http_resp *r, const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n), *v;
	size_t nl, vl;

	if (++r->nheaders > HTTP_HEADERS_MAX)
		return resp_fail(r, "more than %d header lines",
		    HTTP_HEADERS_MAX);
	if (is_ows(s[0]))
		return resp_fail(r, "a folded header line");
	if (colon == NULL || colon == s)
		return resp_fail(r, "a malformed header line");
	nl = (size_t)(colon - s);
	if (is_ows(s[nl - 1]))
		return resp_fail(r, "a space before a header's colon");
	v = colon + 1;
	vl = n - nl - 1;
	while (vl > 0 && is_ows(*v)) {
		v++;
		vl--;
	}
	while (vl > 0 && is_ows(v[vl - 1]))
		vl--;
	if (nl == 12 && strncasecmp(s, "Content-Type", nl) == 0)
		r->text_plain = value_is(v, vl, "text/plain", 1);
	else if (nl == 14 && strncasecmp(s, "Content-Length", nl) == 0)
		return resp_length(r, v, vl);
	else if (nl == 17 && strncasecmp(s, "Transfer-Encoding", nl) == 0) {
		if (r->chunked || !value_is(v, vl, "chunked", 0))
			return resp_fail(r, "a transfer coding other than "
			    "chunked");
		r->chunked = 1;
	}
	return 0;
}

/* resp_headers_end: the empty line: how the body is delimited. */
static int
resp_headers_end(struct http_resp *r)
{
	if (!r->text_plain)
		return resp_fail(r, "a Content-Type other than text/plain");
	if (r->chunked && r->has_length)
		return resp_fail(r, "both Content-Length and chunked");
	if (r->has_length && r->length > HTTP_BODY_MAX)
		return resp_fail(r, "a body larger than %d bytes",
		    HTTP_BODY_MAX);
	if (r->chunked)
		r->state = HTTP_CHUNK_SIZE;
	else if (r->has_length && r->length == 0)
		r->state = HTTP_DONE;
	else
		r->state = HTTP_BODY;
	return 0;
}

/* resp_chunk_size: "1*HEXDIG [; extensions]". */
static int
resp_chunk_size(struct http_resp *r, const char *s, size_t n)
{
	uint64_t x = 0;
	size_t i;
	int d;

	for (i = 0; i < n && i < 9; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'f')
			d = (s[i] | 0x20) - 'a' + 10;
		else
			break;
		x = x * 16 + (uint64_t)d;
	}
	if (i == 0 || i == 9 || (i < n && s[i] != ';' && !is_ows(s[i])))
		return resp_fail(r, "a malformed chunk size");
	if (x > HTTP_BODY_MAX - r->bodylen)
		return resp_fail(r, "a body larger than %d bytes",
		    HTTP_BODY_MAX);
	r->chunk_left = x;
	r->state = x == 0 ? HTTP_TRAILER : HTTP_CHUNK_DATA;
	return 0;
}

/* resp_line: a whole line (no line end) in the current state. */
static int
resp_line(struct http_resp *r, const char *s, size_t n)
{
	if (memchr(s, '\r', n) != NULL || memchr(s, '\0', n) != NULL)
		return resp_fail(r, "a stray CR or NUL in a line");
	switch (r->state) {
	case HTTP_STATUS:
		return resp_status(r, s, n);
	case HTTP_HEADER:
		return n == 0 ? resp_headers_end(r) : resp_header(r, s, n);
	case HTTP_CHUNK_SIZE:
		return resp_chunk_size(r, s, n);
	case HTTP_CHUNK_END:
		if (n != 0)
			return resp_fail(r, "a chunk longer than its size");
		r->state = HTTP_CHUNK_SIZE;
		return 0;
	case HTTP_TRAILER:
		if (n == 0)
			r->state = HTTP_DONE;
		else if (++r->nheaders > HTTP_HEADERS_MAX)
			return resp_fail(r, "more than %d header lines",
			    HTTP_HEADERS_MAX);
		return 0;
	default:
		return resp_fail(r, "internal error: a line in state %d",
		    (int)r->state);
	}
}

/* resp_body: body bytes at buf (len); how many were taken. */
static size_t
resp_body(struct http_resp *r, const unsigned char *buf, size_t len)
{
	size_t n = len, room = HTTP_BODY_MAX - r->bodylen;

	if (r->state == HTTP_CHUNK_DATA && n > r->chunk_left)
		n = (size_t)r->chunk_left;
	if (r->state == HTTP_BODY && r->has_length &&
	    n > r->length - r->bodylen)
		n = (size_t)(r->length - r->bodylen);
	if (n > room) {
		resp_fail(r, "a body larger than %d bytes", HTTP_BODY_MAX);
		return len;
	}
	memcpy(r->body + r->bodylen, buf, n);
	r->bodylen += n;
	if (r->state == HTTP_CHUNK_DATA) {
		r->chunk_left -= n;
		if (r->chunk_left == 0)
			r->state = HTTP_CHUNK_END;
	} else if (r->has_length && r->bodylen == r->length)
		r->state = HTTP_DONE;
	return n;
}

int
http_resp_feed(struct http_resp *r, const unsigned char *buf, size_t len)
{
	size_t i = 0, n;

	while (i < len && r->state != HTTP_DONE && r->state != HTTP_FAILED) {
		if (r->state == HTTP_BODY || r->state == HTTP_CHUNK_DATA) {
			i += resp_body(r, buf + i, len - i);
			continue;
		}
		if (buf[i] != '\n') {
			if (r->linelen == sizeof(r->line))
				return resp_fail(r, "a line longer than %d "
				    "bytes", HTTP_LINE_MAX);
			r->line[r->linelen++] = (char)buf[i++];
			continue;
		}
		i++;
		n = r->linelen;
		if (n > 0 && r->line[n - 1] == '\r')
			n--;
		r->linelen = 0;
		if (resp_line(r, r->line, n) == -1)
			return -1;
	}
	if (r->state == HTTP_FAILED)
		return -1;
	return r->state == HTTP_DONE ? 1 : 0;
}

int
http_resp_eof(struct http_resp *r)
{
	if (r->state == HTTP_DONE)
		return 1;
	if (r->state == HTTP_BODY && !r->has_length) {
		r->state = HTTP_DONE;
		return 1;
	}
	if (r->state != HTTP_FAILED)
		resp_fail(r, "the connection ended before the response did");
	return -1;
}
