/*
 * fuzz_mime.c: libFuzzer target for the MIME parser (common/mime*.c) and
 * what it feeds: parse any bytes as a message, render every ENVELOPE and
 * the BODYSTRUCTURE and BODY, fetch sections (fixed ones and one spelled
 * by the input) whole and in pieces, decode and search.  Besides memory
 * safety it checks the contracts: the renderings follow the RFC 3501
 * grammar, BODY[] is RFC822.SIZE octets, a partial fetch is the slice of
 * the whole, parts nest inside their parents, the header alone gives the
 * same ENVELOPE.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/charset.h"
#include "common/mime.h"
#include "common/strbuf.h"
#include "tests/unit/imap_grammar.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_parts(const struct mime_msg *m)
{
	const struct mime_part *p, *par;
	uint32_t i;

	for (i = 0; i < m->nparts; i++) {
		p = &m->parts[i];
		if (p->hdr.off + p->hdr.len != p->body.off ||
		    p->body.off + p->body.len > m->len ||
		    p->body.wire_len < p->body.len ||
		    p->body.wire_off + p->body.wire_len > m->wire_len)
			abort();
		if (p->parent == MIME_NONE)
			continue;
		par = &m->parts[p->parent];
		if (p->parent >= i || p->hdr.off < par->body.off ||
		    p->body.off + p->body.len > par->body.off + par->body.len)
			abort();
	}
}

static void
fuzz_section(const struct mime_msg *m, const char *spec, size_t len,
    struct strbuf *a, struct strbuf *b)
{
	struct mime_section sec;
	size_t start, count;

	if (mime_section_parse(spec, len, &sec) == -1)
		return;
	strbuf_reset(a);
	if (mime_section_write(m, &sec, 0, SIZE_MAX, a) == -1)
		abort();
	if (sec.nparts == 0 && sec.what == MIME_SEC_ALL &&
	    a->len != m->wire_len)
		abort();
	start = a->len / 3;
	count = a->len / 2 + 1;
	strbuf_reset(b);
	if (mime_section_write(m, &sec, start, count, b) == -1)
		abort();
	if (start < a->len && (b->len != (count < a->len - start ? count :
	    a->len - start) || memcmp(a->buf + start, b->buf, b->len) != 0))
		abort();
}

/* The header alone gives the same ENVELOPE as the whole message. */
static void
fuzz_header_only(const struct mime_msg *m, struct strbuf *a, struct strbuf *b)
{
	struct mime_msg h;

	if (mime_parse(&h, m->buf, mime_header_size(m->buf, m->len)) == -1)
		return;
	strbuf_reset(a);
	strbuf_reset(b);
	if (mime_envelope_write(m, 0, a) == -1 ||
	    mime_envelope_write(&h, 0, b) == -1 || a->len != b->len ||
	    memcmp(a->buf, b->buf, a->len) != 0 ||
	    h.parts[0].hdr.len != m->parts[0].hdr.len)
		abort();
	mime_free(&h);
}

static void
fuzz_search(const struct mime_msg *m, const uint8_t *buf, size_t len)
{
	struct charset_match cm;
	size_t n = len < 6 ? len : 6;

	if (charset_match_init(&cm, (const char *)buf + len - n, n) == -1)
		abort();
	mime_search_header(m, 0, "subject", &cm);
	mime_search_header(m, 0, NULL, &cm);
	mime_search_body(m, &cm);
	mime_search_text(m, &cm);
	charset_match_free(&cm);
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	static const char *specs[] = { "", "HEADER", "TEXT", "1", "2",
	    "1.1", "1.2.MIME", "2.HEADER", "1.TEXT",
	    "HEADER.FIELDS (From Subject)", "HEADER.FIELDS.NOT (To)" };
	struct mime_msg m;
	struct strbuf a, b;
	const char *nl;
	uint32_t i;
	size_t k;

	if (mime_parse(&m, (const char *)buf, len) == -1)
		return 0;
	fuzz_parts(&m);
	strbuf_init(&a, 1 << 26);
	strbuf_init(&b, 1 << 26);
	for (i = 0; i < m.nparts; i++) {
		if (i != 0 && mime_message_root(&m, i) == MIME_NONE)
			continue;
		strbuf_reset(&a);
		if (mime_envelope_write(&m, mime_message_root(&m, i), &a) == -1 ||
		    !imap_grammar_envelope(a.buf, a.len))
			abort();
	}
	fuzz_header_only(&m, &a, &b);
	for (k = 0; k < 2; k++) {
		strbuf_reset(&a);
		if (mime_body_write(&m, 0, (int)k, &a) == -1 ||
		    !imap_grammar_body(a.buf, a.len, (int)k))
			abort();
	}
	for (k = 0; k < sizeof(specs) / sizeof(specs[0]); k++)
		fuzz_section(&m, specs[k], strlen(specs[k]), &a, &b);
	/* The first line, if short, as a section spec of its own. */
	nl = memchr(buf, '\n', len < 64 ? len : 64);
	if (nl != NULL)
		fuzz_section(&m, (const char *)buf, (size_t)(nl -
		    (const char *)buf), &a, &b);
	fuzz_search(&m, buf, len);
	for (i = 0; i < m.nparts; i++) {
		strbuf_reset(&a);
		if (mime_part_filename(&m, i, &a) == -1)
			abort();
	}
	strbuf_reset(&a);
	mime_header_decode((const char *)buf, len < 4096 ? len : 4096, &a);
	strbuf_free(&a);
	strbuf_free(&b);
	mime_free(&m);
	return 0;
}
