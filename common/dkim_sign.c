/*
 * dkim_sign.c: the DKIM-Signature field for one message (RFC 6376 §5):
 * rsa-sha256, relaxed/relaxed, the fields §5.4.1 recommends that are
 * present, From once more than present, t= (and x= when asked).
 *
 * Runs in the relay (and in tests).  It never holds a private key: the
 * hash is signed by the caller's function (the keyholder's channel).  The
 * message is the sender's and hostile; it only ever gets hashed.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/base64.h"
#include "common/dkim.h"
#include "common/util.h"

#define SIGN_LINE	76	/* fold the h= list and b= near this column */

/* RFC 6376 §5.4.1, and the MIME fields that change how a body reads. */
static const char *const sign_fields[] = {
	"from", "reply-to", "subject", "date", "to", "cc", "resent-date",
	"resent-from", "resent-sender", "resent-to", "resent-cc",
	"in-reply-to", "references", "list-id", "list-help",
	"list-unsubscribe", "list-subscribe", "list-post", "list-owner",
	"list-archive", "message-id", "mime-version", "content-type",
	"content-transfer-encoding",
};

/* An appender to the caller's buffer; a full buffer sets over. */
struct sign_out {
	char	*buf;
	size_t	 cap, len, col;
	int	 over;
};

static void out_add(struct sign_out *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
out_add(struct sign_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->over)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len) {
		o->over = 1;
		return;
	}
	o->len += (size_t)n;
	o->col += (size_t)n;
}

/* out_fold: a new continuation line when len more bytes would pass
 * SIGN_LINE. */
static void
out_fold(struct sign_out *o, size_t len)
{
	if (o->col + len > SIGN_LINE) {
		out_add(o, "\r\n\t");
		o->col = 1;
	}
}

int
dkim_signer_init(struct dkim_signer *s, const char *domain,
    const char *selector, int64_t now, int64_t lifetime)
{
	if (!dkim_name_ok(domain) || !dkim_name_ok(selector) ||
	    strlen(domain) + strlen(selector) + sizeof("._domainkey.") - 1 >
	    DNS_NAME_MAX)
		return -1;
	dkim_msg_init(&s->msg);
	dkim_body_init(&s->body, 1, -1);
	(void)str_copy(s->domain, domain, sizeof(s->domain));
	(void)str_copy(s->selector, selector, sizeof(s->selector));
	s->now = now;
	s->expire = lifetime > 0 ? now + lifetime : -1;
	return 0;
}

void
dkim_signer_feed(struct dkim_signer *s, const void *data, size_t len)
{
	size_t off = 0;

	if (dkim_msg_done(&s->msg) == 0)
		off = dkim_msg_feed(&s->msg, data, len);
	if (dkim_msg_done(&s->msg) == 1)
		dkim_body_feed(&s->body, (const char *)data + off, len - off);
}

/* sign_names: the h= list: each listed field as often as present, From
 * once more.  Returns the count. */
static size_t
sign_names(const struct dkim_msg *m, struct dkim_hname *names)
{
	size_t i, k, n = 0, count;

	for (i = 0; i < sizeof(sign_fields) / sizeof(sign_fields[0]); i++) {
		count = i == 0;		/* From: oversigned */
		for (k = 0; k < m->nfields; k++)
			if (dkim_msg_field_is(m, k, sign_fields[i]))
				count++;
		for (; count > 0 && n < DKIM_HNAMES_MAX; count--) {
			names[n].name = sign_fields[i];
			names[n++].len = strlen(sign_fields[i]);
		}
	}
	return n;
}

/* sign_head: the field up to "b=", without the signature. */
static void
sign_head(struct dkim_signer *s, struct sign_out *o,
    const struct dkim_hname *names, size_t n, const char *bh)
{
	size_t i;

	out_add(o, "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;");
	out_fold(o, strlen(s->domain) + 4);
	out_add(o, " d=%s;", s->domain);
	out_fold(o, strlen(s->selector) + 4);
	out_add(o, " s=%s;", s->selector);
	out_fold(o, 16);
	out_add(o, " t=%" PRId64 ";", s->now);
	if (s->expire != -1) {
		out_fold(o, 16);
		out_add(o, " x=%" PRId64 ";", s->expire);
	}
	out_fold(o, 4 + names[0].len);
	out_add(o, " h=%s", names[0].name);
	for (i = 1; i < n; i++) {
		out_fold(o, names[i].len + 2);
		out_add(o, ":%s", names[i].name);
	}
	out_add(o, ";");
	out_fold(o, SIGN_LINE);
	out_add(o, " bh=%s;", bh);
	out_fold(o, SIGN_LINE);
	out_add(o, " b=");
}

/* sign_b: the signature, folded, and the final CRLF. */
static void
sign_b(struct sign_out *o, const unsigned char *sig, size_t siglen)
{
	char b64[BASE64_LEN(DKIM_SIG_BYTES_MAX) + 1];
	size_t len, off, n;

	len = base64_encode(sig, siglen, b64, sizeof(b64));
	for (off = 0; off < len; off += n) {
		n = len - off;
		if (o->col >= SIGN_LINE)
			out_fold(o, 1);
		if (n > SIGN_LINE - o->col)
			n = SIGN_LINE - o->col;
		out_add(o, "%.*s", (int)n, b64 + off);
	}
	out_add(o, "\r\n");
}

static int
sign_err(char *err, size_t errlen, const char *why)
{
	(void)snprintf(err, errlen, "%s", why);
	return -1;
}

int
dkim_signer_finish(struct dkim_signer *s, dkim_sign_fn fn, void *arg,
    char *out, size_t cap, size_t *outlen, char *err, size_t errlen)
{
	struct dkim_hname names[DKIM_HNAMES_MAX];
	unsigned char bh[32], hash[32], sig[DKIM_SIG_BYTES_MAX];
	char bh64[BASE64_LEN(32) + 1];
	struct sign_out o = { out, cap, 0, 0, 0 };
	br_sha256_context sha;
	uint64_t total;
	size_t n, siglen = sizeof(sig);

	if (dkim_msg_end(&s->msg) != 1)
		return sign_err(err, errlen, "header section too large or "
		    "malformed");
	for (n = 0; n < s->msg.nfields; n++)
		if (dkim_msg_field_is(&s->msg, n, "from"))
			break;
	if (n == s->msg.nfields)
		return sign_err(err, errlen, "no From field");
	n = sign_names(&s->msg, names);
	dkim_body_final(&s->body, bh, &total);
	(void)base64_encode(bh, sizeof(bh), bh64, sizeof(bh64));
	sign_head(s, &o, names, n, bh64);
	if (o.over)
		return sign_err(err, errlen, "signature field too long");
	br_sha256_init(&sha);
	dkim_msg_hash_fields(&s->msg, &sha, 1, names, n, -1);
	dkim_head_canon(&sha, 1, out, o.len, 0);
	br_sha256_out(&sha, hash);
	if (fn(arg, hash, sig, &siglen) == -1 || siglen == 0 ||
	    siglen > sizeof(sig))
		return sign_err(err, errlen, "the key could not sign");
	sign_b(&o, sig, siglen);
	if (o.over)
		return sign_err(err, errlen, "signature field too long");
	*outlen = o.len;
	return 0;
}
