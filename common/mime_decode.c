/*
 * mime_decode.c: decoding for SEARCH: RFC 2047 encoded words in header
 * values, and the base64 and quoted-printable transfer encodings of
 * bodies, all tolerant of broken input (see mime.h).  Runs in the mail
 * process; every byte is untrusted.  Output goes through fixed buffers
 * into a charset.h sink, so memory does not grow with the input.
 */
#include <string.h>

#include "common/mime.h"

/* An encoded word is at most 75 characters (RFC 2047 section 2); longer
 * ones are accepted up to this, so that finding one stays linear. */
#define MIME_WORD_MAX	1024

static int
mime_b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return c == '=' ? -2 : -1;
}

static int
mime_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void
mime_decoder_init(struct mime_decoder *d, enum mime_cte cte, const char *p,
    size_t len)
{
	d->p = (const unsigned char *)p;
	d->end = d->p + len;
	d->cte = cte;
	d->bits = 0;
	d->nbits = 0;
}

static size_t
mime_decode_b64(struct mime_decoder *d, unsigned char *out, size_t outlen)
{
	size_t n = 0;
	int v;

	while (d->p < d->end && n < outlen) {
		v = mime_b64_value(*d->p++);
		if (v == -1)
			continue;
		if (v == -2) {
			d->bits = 0;
			d->nbits = 0;
			continue;
		}
		d->bits = (d->bits << 6 | (uint32_t)v) & 0xffffff;
		d->nbits += 6;
		if (d->nbits >= 8) {
			d->nbits -= 8;
			out[n++] = (unsigned char)(d->bits >> d->nbits);
		}
	}
	return n;
}

static size_t
mime_decode_qp(struct mime_decoder *d, unsigned char *out, size_t outlen)
{
	const unsigned char *q;
	size_t n = 0;
	int hi, lo;

	while (d->p < d->end && n < outlen) {
		if (*d->p != '=') {
			out[n++] = *d->p++;
			continue;
		}
		if (d->end - d->p >= 3 && (hi = mime_hex(d->p[1])) >= 0 &&
		    (lo = mime_hex(d->p[2])) >= 0) {
			out[n++] = (unsigned char)(hi << 4 | lo);
			d->p += 3;
			continue;
		}
		for (q = d->p + 1; q < d->end && (*q == ' ' || *q == '\t');
		    q++)
			;
		if (q < d->end && *q == '\r')
			q++;
		if (q == d->end || *q == '\n') {
			d->p = q < d->end ? q + 1 : q;
			continue;
		}
		out[n++] = *d->p++;
	}
	return n;
}

size_t
mime_decoder_read(struct mime_decoder *d, unsigned char *out, size_t outlen)
{
	size_t n;

	switch (d->cte) {
	case MIME_CTE_BASE64:
		return mime_decode_b64(d, out, outlen);
	case MIME_CTE_QP:
		return mime_decode_qp(d, out, outlen);
	default:
		n = (size_t)(d->end - d->p);
		if (n > outlen)
			n = outlen;
		memcpy(out, d->p, n);
		d->p += n;
		return n;
	}
}

/* ---- RFC 2047 ---- */

struct mime_word {
	const char	*charset;
	size_t		 charset_len;
	int		 b;		/* B, else Q */
	const char	*text;
	size_t		 text_len;
	const char	*end;		/* after "?=" */
};

/*
 * An encoded word starting at p ("=?"), within [p, end)?  noterm[0..1]
 * is the span the last failed search for "?=" covered: no "?=" starts
 * in it, so a later search that starts inside resumes at its end, and
 * the whole value is read at most twice however many "=?" it holds.
 */
static int
mime_word_parse(const char *p, const char *end, struct mime_word *w,
    const char *noterm[2])
{
	const char *q, *lim = end - p > MIME_WORD_MAX ? p + MIME_WORD_MAX :
	    end;

	if (lim - p < 8 || p[0] != '=' || p[1] != '?')
		return 0;
	w->charset = p + 2;
	if ((q = memchr(w->charset, '?', (size_t)(lim - w->charset))) == NULL ||
	    q == w->charset || lim - q < 4 || q[2] != '?')
		return 0;
	w->charset_len = (size_t)(q - w->charset);
	if (q[1] == 'B' || q[1] == 'b')
		w->b = 1;
	else if (q[1] == 'Q' || q[1] == 'q')
		w->b = 0;
	else
		return 0;
	w->text = q + 3;
	q = w->text >= noterm[0] && w->text < noterm[1] ? noterm[1] : w->text;
	for (; q + 1 < lim; q++)
		if (q[0] == '?' && q[1] == '=')
			break;
	if (q + 1 >= lim) {
		noterm[0] = w->text;
		noterm[1] = lim - 1;
		return 0;
	}
	w->text_len = (size_t)(q - w->text);
	w->end = q + 2;
	return 1;
}

/* Decode the word's text into out (at least text_len bytes). */
static size_t
mime_word_decode(const struct mime_word *w, unsigned char *out)
{
	struct mime_decoder d;
	size_t i, n = 0;
	int hi, lo;
	unsigned char c;

	if (w->b) {
		mime_decoder_init(&d, MIME_CTE_BASE64, w->text, w->text_len);
		return mime_decoder_read(&d, out, w->text_len);
	}
	for (i = 0; i < w->text_len; i++) {
		c = (unsigned char)w->text[i];
		if (c == '_')
			c = ' ';
		else if (c == '=' && i + 2 < w->text_len &&
		    (hi = mime_hex((unsigned char)w->text[i + 1])) >= 0 &&
		    (lo = mime_hex((unsigned char)w->text[i + 2])) >= 0) {
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		out[n++] = c;
	}
	return n;
}

/* The state of one header value's decoding. */
struct mime_hdec {
	struct charset_dec	 text, word;
	struct charset_sink	*sink;
	const char		*ws;		/* blanks after a word */
	int			 in_word;
};

static void
mime_hdec_word(struct mime_hdec *h, const struct mime_word *w)
{
	unsigned char buf[MIME_WORD_MAX];
	int id = charset_find(w->charset, w->charset_len);

	/* The same charset goes on: a character may span two words. */
	if (!h->in_word || id != h->word.id) {
		charset_dec_flush(&h->word, h->sink);
		charset_dec_flush(&h->text, h->sink);
		charset_dec_init(&h->word, id);
	}
	charset_dec_feed(&h->word, buf, mime_word_decode(w, buf), h->sink);
	h->in_word = 1;
	h->ws = NULL;
}

/* Text [p, end) that is not an encoded word. */
static void
mime_hdec_text(struct mime_hdec *h, const char *p, const char *end)
{
	const char *s;

	if (h->in_word) {
		charset_dec_flush(&h->word, h->sink);
		for (s = h->ws; s != NULL && s < p; s++)
			if (*s == ' ' || *s == '\t')
				charset_dec_feed(&h->text,
				    (const unsigned char *)s, 1, h->sink);
		h->in_word = 0;
		h->ws = NULL;
	}
	charset_dec_feed(&h->text, (const unsigned char *)p,
	    (size_t)(end - p), h->sink);
}

void
mime_header_decode_sink(const char *p, size_t len, struct charset_sink *sink)
{
	const char *end = p + len, *s, *noterm[2] = { p, p };
	struct mime_hdec h;
	struct mime_word w;

	memset(&h, 0, sizeof(h));
	h.sink = sink;
	charset_dec_init(&h.text, CHARSET_UNKNOWN);
	charset_dec_init(&h.word, CHARSET_UNKNOWN);
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' ||
	    *p == '\n'))
		p++;
	while (p < end) {
		if (*p == '\r' || *p == '\n') {
			p++;
		} else if (*p == ' ' || *p == '\t') {
			/* Blanks after an encoded word wait: dropped when
			 * another word follows (RFC 2047 section 6.2). */
			if (!h.in_word)
				mime_hdec_text(&h, p, p + 1);
			else if (h.ws == NULL)
				h.ws = p;
			p++;
		} else if (*p == '=' && mime_word_parse(p, end, &w, noterm)) {
			mime_hdec_word(&h, &w);
			p = w.end;
		} else {
			for (s = p + 1; s < end && *s != ' ' && *s != '\t' &&
			    *s != '\r' && *s != '\n' && *s != '='; s++)
				;
			mime_hdec_text(&h, p, s);
			p = s;
		}
	}
	charset_dec_flush(&h.word, sink);
	charset_dec_flush(&h.text, sink);
}

static void
mime_utf8_put(void *ctx, uint32_t cp)
{
	char u[4];

	strbuf_add(ctx, u, charset_utf8_encode(cp, u));
}

int
mime_header_decode(const char *p, size_t len, struct strbuf *sb)
{
	struct charset_sink sink = { mime_utf8_put, sb };
	size_t n, mark = sb->len;

	mime_header_decode_sink(p, len, &sink);
	/* Drop trailing blanks (those after a last encoded word never
	 * went out; those after text did). */
	for (n = sb->len; n > mark && (sb->buf[n - 1] == ' ' ||
	    sb->buf[n - 1] == '\t'); n--)
		;
	strbuf_truncate(sb, n);
	return sb->error ? -1 : 0;
}
