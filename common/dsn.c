/*
 * dsn.c: the bounce and delay notice text (dsn.h).  Runs in the queue.
 * Trusts the caller's struct for its pointers, nothing in the strings
 * (the remote's text and the original's header come from the Internet):
 * every string that goes into a header field is cleaned to one line, the
 * original's header is copied line by line with bounds.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/dsn.h"
#include "common/util.h"

#define DSN_LINE_MAX	998	/* RFC 5322 2.1.1 */

void
dsn_date(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%a, %d %b %Y %H:%M:%S +0000", &tm) == 0)
		(void)str_copy(buf, "Thu, 01 Jan 1970 00:00:00 +0000", len);
}

static int
dsn_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void
dsn_xtext_decode(const char *in, char *out, size_t len)
{
	size_t o = 0;
	int hi, lo, c;

	if (len == 0)
		return;
	while (*in != '\0' && o + 1 < len) {
		c = (unsigned char)*in;
		if (c == '+' && (hi = dsn_hex(in[1])) != -1 &&
		    (lo = dsn_hex(in[2])) != -1) {
			c = hi * 16 + lo;
			in += 3;
		} else
			in++;
		out[o++] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
	out[o] = '\0';
}

/* dsn_clean: s for one header line: control bytes made '?', at most
 * len - 1 bytes. */
static void
dsn_clean(const char *s, char *out, size_t len)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < len; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' :
		    s[i];
	out[i] = '\0';
}

/* dsn_status_ok: s is class.subject.detail, class 2, 4 or 5. */
static int
dsn_status_ok(const char *s)
{
	size_t n;
	int part;

	if (s[0] != '2' && s[0] != '4' && s[0] != '5')
		return 0;
	s++;
	for (part = 0; part < 2; part++) {
		if (*s++ != '.')
			return 0;
		for (n = 0; s[n] >= '0' && s[n] <= '9'; n++)
			;
		if (n < 1 || n > 3)
			return 0;
		s += n;
	}
	return *s == '\0';
}

/* dsn_status: r's status, or the default for the action. */
static const char *
dsn_status(const struct dsn_msg *d, const struct dsn_rcpt *r)
{
	if (r->status != NULL && dsn_status_ok(r->status))
		return r->status;
	return d->action == DSN_FAILED ? "5.0.0" : "4.0.0";
}

/* dsn_copy_line: one line of the original (without its line end) as a
 * header line: NUL and CR made '?', cut at DSN_LINE_MAX, CRLF added. */
static void
dsn_copy_line(struct strbuf *out, const char *p, size_t n, int *eightbit)
{
	char buf[DSN_LINE_MAX + 2];
	size_t i;

	if (n > DSN_LINE_MAX)
		n = DSN_LINE_MAX;
	for (i = 0; i < n; i++) {
		buf[i] = p[i] == '\0' || p[i] == '\r' ? '?' : p[i];
		if ((unsigned char)p[i] >= 0x80)
			*eightbit = 1;
	}
	buf[n] = '\r';
	buf[n + 1] = '\n';
	(void)strbuf_add(out, buf, n + 2);
}

/* dsn_header_len: the bytes of the original's header section (without
 * the empty line ending it) within max: up to the first empty line, or
 * to the last line end within max when there is none. */
static size_t
dsn_header_len(const char *p, size_t len, size_t max)
{
	size_t i, last = 0;

	if (len > max)
		len = max;
	for (i = 0; i < len; i++) {
		if (p[i] != '\n')
			continue;
		/* an empty line: "\n" right after the previous line end */
		if (i == last || (i == last + 1 && p[last] == '\r'))
			return last;
		last = i + 1;
	}
	return len < max ? len : last;
}

/* dsn_copy: the lines of p[0..n) into out, CRLF. */
static void
dsn_copy(struct strbuf *out, const char *p, size_t n, int *eightbit)
{
	const char *nl;
	size_t k;

	while (n > 0) {
		nl = memchr(p, '\n', n);
		k = nl != NULL ? (size_t)(nl - p) : n;
		dsn_copy_line(out, p, k > 0 && p[k - 1] == '\r' ? k - 1 : k,
		    eightbit);
		if (nl == NULL)
			break;
		n -= k + 1;
		p += k + 1;
	}
}

/* dsn_boundary: a boundary that the original does not hold. */
static void
dsn_boundary(const struct dsn_msg *d, char *b, size_t len)
{
	uint8_t r[12];
	size_t i;
	int tries;

	for (tries = 0; tries < 8; tries++) {
		random_bytes(r, sizeof(r));
		(void)snprintf(b, len, "=_postern-dsn-");
		for (i = 0; i < sizeof(r); i++)
			(void)snprintf(b + strlen(b), len - strlen(b), "%02x",
			    r[i]);
		if (d->orig == NULL || d->origlen < strlen(b) ||
		    memmem(d->orig, d->origlen, b, strlen(b)) == NULL)
			return;
	}
}

static void
dsn_text_part(const struct dsn_msg *d, struct strbuf *out, int headers_only)
{
	char addr[300], host[300], text[600], until[64];
	size_t i;

	(void)strbuf_printf(out, "Content-Type: text/plain; charset=us-ascii"
	    "\r\nContent-Description: Notification\r\n\r\n"
	    "This is the mail system at host %s.\r\n\r\n", d->hostname);
	if (d->action == DSN_FAILED)
		(void)strbuf_adds(out, "Your message could not be delivered "
		    "to the recipients below. This is final: the\r\nmail "
		    "system will not try again.\r\n\r\n");
	else {
		dsn_date(d->retry_until, until, sizeof(until));
		(void)strbuf_printf(out, "Your message has not been delivered "
		    "yet to the recipients below. The mail\r\nsystem keeps "
		    "trying until %s; you need not send\r\nit again. You "
		    "will be told if it fails for good.\r\n\r\n", until);
	}
	for (i = 0; i < d->nrcpt; i++) {
		const struct dsn_rcpt *r = &d->rcpts[i];

		dsn_clean(r->final, addr, sizeof(addr));
		dsn_clean(r->host != NULL ? r->host : "", host, sizeof(host));
		dsn_clean(r->text != NULL ? r->text : "", text, sizeof(text));
		(void)strbuf_printf(out, "<%s>:\r\n", addr);
		if (host[0] != '\0' && r->code != 0)
			(void)strbuf_printf(out, "    host %s said: %" PRIu32
			    " %s\r\n", host, r->code, text);
		else if (text[0] != '\0')
			(void)strbuf_printf(out, "    %s\r\n", text);
		(void)strbuf_adds(out, "\r\n");
	}
	if (headers_only && d->ret_full)
		(void)strbuf_adds(out, "The message was too large to be "
		    "returned whole: its header follows.\r\n");
}

static void
dsn_status_part(const struct dsn_msg *d, struct strbuf *out)
{
	char buf[600], date[64];
	size_t i;

	(void)strbuf_adds(out, "Content-Type: message/delivery-status\r\n"
	    "Content-Description: Delivery report\r\n\r\n");
	dsn_clean(d->hostname, buf, sizeof(buf));
	(void)strbuf_printf(out, "Reporting-MTA: dns; %s\r\n", buf);
	if (d->envid != NULL && d->envid[0] != '\0') {
		dsn_xtext_decode(d->envid, buf, sizeof(buf));
		(void)strbuf_printf(out, "Original-Envelope-Id: %s\r\n", buf);
	}
	dsn_date(d->arrival, date, sizeof(date));
	(void)strbuf_printf(out, "Arrival-Date: %s\r\n", date);
	for (i = 0; i < d->nrcpt; i++) {
		const struct dsn_rcpt *r = &d->rcpts[i];

		(void)strbuf_adds(out, "\r\n");
		if (r->orcpt != NULL && strchr(r->orcpt, ';') != NULL) {
			dsn_xtext_decode(r->orcpt, buf, sizeof(buf));
			(void)strbuf_printf(out, "Original-Recipient: %s\r\n",
			    buf);
		}
		dsn_clean(r->final, buf, sizeof(buf));
		(void)strbuf_printf(out, "Final-Recipient: rfc822; %s\r\n"
		    "Action: %s\r\nStatus: %s\r\n", buf,
		    d->action == DSN_FAILED ? "failed" : "delayed",
		    dsn_status(d, r));
		if (r->host != NULL && r->host[0] != '\0') {
			dsn_clean(r->host, buf, sizeof(buf));
			(void)strbuf_printf(out, "Remote-MTA: dns; %s\r\n",
			    buf);
		}
		if (r->code != 0) {
			dsn_clean(r->text != NULL ? r->text : "", buf,
			    sizeof(buf));
			(void)strbuf_printf(out, "Diagnostic-Code: smtp; %"
			    PRIu32 " %s\r\n", r->code, buf);
		}
		if (r->last_attempt != 0) {
			dsn_date(r->last_attempt, date, sizeof(date));
			(void)strbuf_printf(out, "Last-Attempt-Date: %s\r\n",
			    date);
		}
		if (d->action == DSN_DELAYED) {
			dsn_date(d->retry_until, date, sizeof(date));
			(void)strbuf_printf(out, "Will-Retry-Until: %s\r\n",
			    date);
		}
	}
}

/* dsn_full_ok: the whole original can be returned. */
static int
dsn_full_ok(const struct dsn_msg *d)
{
	return d->ret_full && d->orig_complete && d->origlen <= DSN_FULL_MAX &&
	    memchr(d->orig, '\0', d->origlen) == NULL;
}

int
dsn_build(const struct dsn_msg *d, struct strbuf *out, int *eightbit)
{
	char boundary[64], date[64], sender[300], host[300];
	uint8_t r[8];
	size_t hlen, i;
	int full;

	*eightbit = 0;
	if (d->nrcpt == 0 || d->nrcpt > DSN_RCPT_MAX ||
	    d->hostname == NULL || d->hostname[0] == '\0' ||
	    d->sender == NULL || d->sender[0] == '\0')
		return -1;
	full = d->orig != NULL && dsn_full_ok(d);
	dsn_boundary(d, boundary, sizeof(boundary));
	dsn_date(d->now, date, sizeof(date));
	dsn_clean(d->sender, sender, sizeof(sender));
	dsn_clean(d->hostname, host, sizeof(host));
	random_bytes(r, sizeof(r));
	(void)strbuf_printf(out, "From: Mail Delivery System "
	    "<MAILER-DAEMON@%s>\r\nTo: <%s>\r\nSubject: %s\r\nDate: %s\r\n"
	    "Message-ID: <%s.%02x%02x%02x%02x%02x%02x%02x%02x.dsn@%s>\r\n"
	    "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/report; report-type=delivery-status;\r\n"
	    "\tboundary=\"%s\"\r\n\r\n"
	    "This is a MIME-encapsulated delivery status notification.\r\n"
	    "\r\n--%s\r\n", host, sender, d->action == DSN_FAILED ?
	    "Undelivered Mail Returned to Sender" :
	    "Delayed Mail (still being retried)", date,
	    d->id != NULL ? d->id : "", r[0], r[1], r[2], r[3], r[4], r[5],
	    r[6], r[7], host, boundary, boundary);
	dsn_text_part(d, out, !full);
	(void)strbuf_printf(out, "--%s\r\n", boundary);
	dsn_status_part(d, out);
	(void)strbuf_printf(out, "\r\n--%s\r\n", boundary);
	hlen = full ? d->origlen : d->orig != NULL ?
	    dsn_header_len(d->orig, d->origlen, DSN_HDRS_MAX) : 0;
	for (i = 0; i < hlen && !*eightbit; i++)
		if ((unsigned char)d->orig[i] >= 0x80)
			*eightbit = 1;
	(void)strbuf_printf(out, "Content-Type: %s\r\nContent-Description: "
	    "%s\r\n%s\r\n", full ? "message/rfc822" : "text/rfc822-headers",
	    full ? "Undelivered message" : "Undelivered message header",
	    *eightbit ? "Content-Transfer-Encoding: 8bit\r\n" : "");
	dsn_copy(out, d->orig, hlen, eightbit);
	(void)strbuf_printf(out, "\r\n--%s--\r\n", boundary);
	return out->error ? -1 : 0;
}
