/*
 * fuzz_imap.c: libFuzzer target for the code in imapd that reads a
 * client's bytes: the command reader (imapd/reader.c) fed the input as a
 * byte stream, every command it frames parsed (imapd/parse*.c) in the
 * state the first input byte picks (not authenticated: the net process;
 * authenticated or selected: the mail process), with LIST patterns run
 * through imapd/listmatch.c.  The first byte also picks small or default
 * limits, UTF8=ACCEPT, whether external literals are refused and a small
 * chunk size: the stream is read twice, whole and in those chunks, and
 * both readings MUST tell the same story.  Checks the results'
 * invariants (strings inside the buffer, search trees without cycles,
 * printable errors) and aborts on a violation.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imapd/listmatch.h"
#include "imapd/parse.h"
#include "imapd/reader.h"

/* Limits scaled to fuzz inputs (a few KiB), so that every one of them
 * can be reached: small, and large enough for any input not to hit them. */
static char fz_buf[8192 + 4096 + 1];
static struct imap_cmd fz_cmd;

static const struct imap_reader_limits fz_small = { 200, 100, 1000, 500 };
static const struct imap_reader_limits fz_big = {
	8192, 4096, 100000000, 100000000
};

static void
fz_str(const struct imap_str *s, const char *buf, size_t len)
{
	char out[64];
	long n;

	if (s->kind > IMAP_STR_EXTERNAL)
		abort();
	if (s->kind == IMAP_STR_ATOM || s->kind == IMAP_STR_QUOTED ||
	    s->kind == IMAP_STR_LITERAL) {
		if (s->p < buf || s->p + s->len > buf + len || s->size > s->len)
			abort();
		n = imap_str_copy(s, out, sizeof(out));
		if (n >= 0 && ((uint64_t)n != s->size || out[n] != '\0'))
			abort();
	}
}

static void
fz_set(const struct imap_seqset *set, const char *buf, size_t len)
{
	struct imap_range r[64];
	struct imap_seq_iter it;
	uint32_t lo, hi, max, count = 0;
	long nr, i;

	if (set->p == NULL)
		return;
	if (set->p < buf || set->p + set->len > buf + len)
		abort();
	for (max = 0; max < 3; max++) {
		imap_seq_iter_init(&it, set, max * 1000);
		count = 0;
		while (imap_seq_next(&it, &lo, &hi)) {
			if (lo > hi || ++count > set->nranges)
				abort();
			/* Membership is linear: test the first ranges only. */
			if (count < 16 &&
			    (!imap_seq_contains(set, max * 1000, lo) ||
			    !imap_seq_contains(set, max * 1000, hi)))
				abort();
		}
		if (!set->saved && count != set->nranges)
			abort();
		nr = imap_seq_ranges(set, max * 1000, r, 64);
		for (i = 1; i < nr; i++)
			if (r[i].lo <= r[i - 1].hi || r[i].lo > r[i].hi)
				abort();
		for (i = 0; i < nr && i < 16; i++)
			if (!imap_ranges_contains(r, (size_t)nr, r[i].lo) ||
			    !imap_seq_contains(set, max * 1000, r[i].hi))
				abort();
	}
}

/* fz_tree: walk the search tree from node i; every node at most once. */
static void
fz_tree(const struct imap_cmd *c, int i, uint8_t *seen, const char *buf,
    size_t len)
{
	const struct imap_snode *n;

	for (; i != -1; i = c->u.search.nodes[i].next) {
		if (i < 0 || i >= c->u.search.nnodes || seen[i])
			abort();
		seen[i] = 1;
		n = &c->u.search.nodes[i];
		fz_str(&n->s1, buf, len);
		fz_str(&n->s2, buf, len);
		fz_set(&n->set, buf, len);
		if (n->child != -1)
			fz_tree(c, n->child, seen, buf, len);
	}
}

static void
fz_list(const struct imap_cmd *c)
{
	static const char *names[] = { "INBOX", "a", "a/b", "a/b/c", "Sent",
	    "x%y" };
	const struct imap_str *p;
	size_t i, k;

	for (i = 0; i < c->u.list.npat; i++) {
		p = &c->u.list.pat[i];
		if (p->kind == IMAP_STR_EXTERNAL)
			continue;
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
			if (listmatch(p->p, p->len, names[k], strlen(names[k]),
			    '/') == -1 ||
			    listmatch_children(p->p, p->len, names[k],
			    strlen(names[k]), '/') == -1)
				abort();
		}
	}
}

static void
fz_check(const struct imap_cmd *c, int rc, const char *buf, size_t len)
{
	uint8_t seen[IMAP_SEARCH_NODES_MAX] = { 0 };
	size_t i;

	if (rc != IMAP_PARSE_OK) {
		if (rc != IMAP_PARSE_BAD && rc != IMAP_PARSE_NO)
			abort();
		if (c->err[0] == '\0' || strlen(c->err) >= IMAP_ERR_MAX)
			abort();
		for (i = 0; c->err[i] != '\0'; i++)
			if (c->err[i] < 0x20 || c->err[i] > 0x7e)
				abort();
		return;
	}
	if (c->tag[0] == '\0' || c->verb < 0 || c->verb >= IMAP_NVERBS)
		abort();
	switch (c->verb) {
	case IMAP_LOGIN:
		fz_str(&c->u.login.user, buf, len);
		fz_str(&c->u.login.pass, buf, len);
		break;
	case IMAP_LIST:
	case IMAP_LSUB:
		fz_list(c);
		break;
	case IMAP_SEARCH:
		fz_tree(c, 0, seen, buf, len);
		break;
	case IMAP_FETCH:
		fz_set(&c->u.fetch.set, buf, len);
		if (c->u.fetch.natts == 0 ||
		    c->u.fetch.natts > IMAP_FETCH_ATTS_MAX)
			abort();
		for (i = 0; i < c->u.fetch.natts; i++)
			if (c->u.fetch.atts[i].hdr_first +
			    c->u.fetch.atts[i].nhdrs > c->u.fetch.nhdrs)
				abort();
		for (i = 0; i < c->u.fetch.nhdrs; i++)
			fz_str(&c->u.fetch.hdrs[i], buf, len);
		break;
	case IMAP_STORE:
		fz_set(&c->u.store.set, buf, len);
		break;
	case IMAP_COPY:
	case IMAP_MOVE:
		fz_set(&c->u.copy.set, buf, len);
		fz_str(&c->u.copy.mailbox, buf, len);
		break;
	case IMAP_APPEND:
		fz_str(&c->u.append.msg, buf, len);
		break;
	case IMAP_SELECT:
	case IMAP_EXAMINE:
		fz_set(&c->u.select.known_uids, buf, len);
		fz_set(&c->u.select.match_seq, buf, len);
		fz_set(&c->u.select.match_uid, buf, len);
		break;
	}
}

/* fz_mix: FNV-1a over n octets into h. */
static uint64_t
fz_mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ c[i]) * UINT64_C(0x100000001b3);
	return h;
}

/*
 * fz_stream: the input as a client's byte stream through the reader, in
 * chunks of chunk octets, each command parsed and checked.  Returns a
 * hash of what happened (events, commands, literal records, data
 * lengths), which MUST NOT depend on the chunk size.
 */
static uint64_t
fz_stream(const char *in, size_t left, size_t chunk, uint8_t mode,
    int state, int flags)
{
	static struct imap_reader r;
	char tag[IMAP_TAG_MAX + 1];
	uint64_t h = UINT64_C(0xcbf29ce484222325), data = 0;
	const char *start = in, *end = in + left;
	size_t used, n;
	int ev, rc;

	imap_reader_init(&r, fz_buf, mode & 8 ? 400 : sizeof(fz_buf),
	    mode & 8 ? &fz_small : &fz_big);
	while (left > 0) {
		n = left < chunk ? left : chunk;
		ev = imap_reader_feed(&r, in, n, &used);
		if (used > n || (ev == IMAP_RD_MORE && used != n))
			abort();
		in += used;
		left -= used;
		if (r.len >= r.bufsize)
			abort();
		if (ev == IMAP_RD_LITERAL_DATA) {
			if (r.data < start || r.data + r.datalen > end)
				abort();
			data += r.datalen;
			continue;
		}
		if (ev == IMAP_RD_MORE)
			continue;
		h = fz_mix(h, &data, sizeof(data));
		data = 0;
		h = fz_mix(h, &ev, sizeof(ev));
		switch (ev) {
		case IMAP_RD_COMMAND:
			h = fz_mix(h, r.buf, r.len);
			h = fz_mix(h, r.lits, r.nlits * sizeof(r.lits[0]));
			rc = imap_parse(r.buf, r.len, r.lits, r.nlits, state,
			    flags, &fz_cmd);
			fz_check(&fz_cmd, rc, r.buf, r.len);
			h = fz_mix(h, fz_cmd.err, strlen(fz_cmd.err));
			if (rc == IMAP_PARSE_OK && (fz_cmd.verb == IMAP_IDLE ||
			    (fz_cmd.verb == IMAP_AUTHENTICATE &&
			    fz_cmd.u.auth.ir.kind == IMAP_STR_NONE)))
				imap_reader_line_mode(&r, 1);
			break;
		case IMAP_RD_LINE:
			h = fz_mix(h, r.buf, r.len);
			imap_reader_line_mode(&r, 0);
			break;
		case IMAP_RD_LITERAL_BEGIN:
			h = fz_mix(h, &r.lit_size, sizeof(r.lit_size));
			if (mode & 0x10)
				imap_reader_refuse(&r, "refused");
			break;
		case IMAP_RD_TOOLONG:
		case IMAP_RD_TOOBIG:
			if (r.why == NULL)
				abort();
			imap_parse_tag(r.buf, r.len, tag);
			h = fz_mix(h, r.why, strlen(r.why));
			h = fz_mix(h, tag, strlen(tag));
			break;
		}
	}
	imap_reader_wipe(&r);
	return fz_mix(h, &data, sizeof(data));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int states[] = { IMAP_S_NOTAUTH, IMAP_S_AUTH,
	    IMAP_S_SELECTED, IMAP_S_SELECTED };
	const char *in;
	size_t left;
	uint8_t mode;
	int64_t t;
	int rc, state, flags;

	if (size < 1)
		return 0;
	mode = data[0];
	in = (const char *)data + 1;
	left = size - 1;
	state = states[mode & 3];
	flags = mode & 4 ? IMAP_PF_UTF8 : 0;

	rc = imap_parse(in, left, NULL, 0, state, flags, &fz_cmd);
	fz_check(&fz_cmd, rc, in, left);
	imap_date_parse(in, left < 16 ? left : 16, &t);
	imap_datetime_parse(in, left < 26 ? left : 26, &t);

	/* Framing MUST NOT depend on how the bytes arrive. */
	if (fz_stream(in, left, left, mode, state, flags) !=
	    fz_stream(in, left, 1 + (mode >> 5) * 3, mode, state, flags))
		abort();
	return 0;
}
