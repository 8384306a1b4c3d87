/*
 * fetch.c: FETCH and UID FETCH (RFC 3501 / RFC 9051 section 6.4.5) with
 * BINARY (RFC 3516), CHANGEDSINCE and VANISHED (RFC 7162 3.1.4, 3.2.6).
 * Runs in imapd's mail process; the request comes from the parser
 * (trusted for its syntax only), the message files are hostile bytes,
 * the index and the view are trusted.
 *
 * Cost per message, cheapest first: FLAGS, UID and MODSEQ come from the
 * view; RFC822.SIZE and INTERNALDATE from the index entry (one listing
 * of the folder for a large request, else one lookup); ENVELOPE, BODY
 * and BODYSTRUCTURE from the per-message cache, which holds ENVELOPE in
 * its first string and "BODYSTRUCTURE NUL BODY" in its second; only a
 * cache miss or a section reads the file.  The store batches cache
 * writes (a commit per few hundred messages), and the session commits
 * the rest once the answer has gone out.  BODY[] and its partials are
 * streamed from the file in chunks (each bare LF sent as CRLF), never
 * held (from the file even when the message is in memory: only the
 * store's W= counts the line end it adds to a file that lacks a final
 * one); sections need the message parsed in memory, at most
 * fetch_parse_max octets; header sections of the message itself read
 * the file only up to the end of its header.
 *
 * A message that another session expunged while this one still shows
 * it (RFC 2180 4.1): what the view knows (FLAGS, UID, MODSEQ) is sent
 * when it was asked for, the rest is left out, and the command ends
 * with OK [EXPUNGEISSUED] (RFC 5530), or NO [EXPUNGEISSUED] when no
 * message could be answered at all.  A message too large to parse, or
 * whose structure is too large to render, gets the same and NO [LIMIT];
 * a BINARY part in an encoding RFC 2045 does not define, NO
 * [UNKNOWN-CTE] (RFC 3516).  A literal cannot carry NUL: message text
 * sends it as 0x80 (the size kept); BINARY sends a literal8.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/mime.h"
#include "imapd/session.h"
#include "imapd/view.h"

#define FETCH_CHUNK	 65536		/* file reads and wire copies */
#define FETCH_LIST_MIN	 16		/* fewer, or under 1/8 of the folder:
					 * index lookups one by one */
#define FETCH_LIST_MAX	 200000		/* larger folders: lookups too */
#define FETCH_RENDER_MAX (4U << 20)	/* ENVELOPE or BODYSTRUCTURE */
#define FETCH_SEEN_BATCH 1024		/* \Seen set this many at a time */

/* What a request needs of each message. */
#define NEED_ENTRY	0x01	/* the index entry: size, date, file */
#define NEED_CACHE	0x02	/* ENVELOPE, BODY, BODYSTRUCTURE */
#define NEED_HEADER	0x04	/* the message's header, parsed */
#define NEED_PARSE	0x08	/* the whole message, parsed */
#define NEED_STREAM	0x10	/* the whole message from its file */

/* How a message was answered. */
enum fetch_result {
	FETCH_SENT, FETCH_GONE, FETCH_TOOBIG, FETCH_UNKNOWN_CTE, FETCH_FAILED
};

struct fetch {
	struct imap_sess	*s;
	const struct imap_cmd	*c;
	uint32_t		 need;
	int			 want_body;	/* BODY asked for */
	int			 has_uid, has_flags, has_modseq;
	int			 want_modseq;	/* MODSEQ in each response */
	int			 sets_seen;	/* a non-PEEK body item */
	uint64_t		 parse_max;

	/* per item: its name in the response, its section */
	struct strbuf		 label[IMAP_FETCH_ATTS_MAX];
	struct strbuf		 fields[IMAP_FETCH_ATTS_MAX];
	struct mime_section	 sec[IMAP_FETCH_ATTS_MAX];

	/* the index entries of the folder, when listed in one go */
	struct store_msg	*list;
	size_t			 nlist;

	/* view indexes whose \Seen this command set (FLAGS goes along) */
	uint8_t			*seen_now;

	/* the message being answered */
	struct store_msg	 ent;
	int			 fd;
	char			*buf;		/* the file, or its header */
	size_t			 len;
	struct mime_msg		 mm;
	int			 parsed;
	char			*env, *bs;	/* cached or rendered */
	size_t			 envlen, bslen;
	const char		*body;		/* BODY, after bs's NUL */
	size_t			 bodylen;
	int			 warned;	/* file and index disagree */

	unsigned long		 nsent, ngone, ntoobig, nunknown, nfailed;
};

static const char *const fetch_months[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* ---- preparing the items ---------------------------------------------- */

/* fetch_atom_ok: the name can be echoed as an atom. */
static int
fetch_atom_ok(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] <= ' ' || p[i] >= 0x7f ||
		    strchr("(){%*\"\\]", p[i]) != NULL)
			return 0;
	return n > 0;
}

/*
 * fetch_prepare_fields: HEADER.FIELDS[.NOT] of item a: the names as the
 * client wrote them for the response's label, and as the list the MIME
 * section code matches against (names separated by blanks).  A name
 * holding '"' or '\' cannot be written into that list; no field of a
 * real header is named so, and it then matches nothing.
 */
static void
fetch_prepare_fields(struct fetch *f, size_t a, struct strbuf *label)
{
	const struct imap_fetch_att *at = &f->c->u.fetch.atts[a];
	char name[1024];
	long n;
	size_t k;

	strbuf_add(label, " (", 2);
	for (k = 0; k < at->nhdrs; k++) {
		n = imap_str_copy(&f->c->u.fetch.hdrs[at->hdr_first + k],
		    name, sizeof(name));
		if (n <= 0)
			continue;
		if (k > 0)
			strbuf_addc(label, ' ');
		if (fetch_atom_ok(name, (size_t)n))
			strbuf_add(label, name, (size_t)n);
		else
			strbuf_add_imap_string(label, name, (size_t)n);
		if (memchr(name, '"', (size_t)n) != NULL ||
		    memchr(name, '\\', (size_t)n) != NULL)
			continue;
		strbuf_add(&f->fields[a], name, (size_t)n);
		strbuf_addc(&f->fields[a], ' ');
	}
	strbuf_addc(label, ')');
	f->sec[a].fields = strbuf_str(&f->fields[a]);
	f->sec[a].fields_len = f->fields[a].len;
}

/* fetch_prepare_section: BODY[...] of item a: its mime_section, its
 * label, and what it needs. */
static void
fetch_prepare_section(struct fetch *f, size_t a)
{
	static const char *const text[] = {
		[IMAP_SEC_ALL] = "", [IMAP_SEC_HEADER] = "HEADER",
		[IMAP_SEC_HEADER_FIELDS] = "HEADER.FIELDS",
		[IMAP_SEC_HEADER_FIELDS_NOT] = "HEADER.FIELDS.NOT",
		[IMAP_SEC_TEXT] = "TEXT", [IMAP_SEC_MIME] = "MIME",
	};
	static const enum mime_section_what what[] = {
		[IMAP_SEC_ALL] = MIME_SEC_ALL, [IMAP_SEC_HEADER] = MIME_SEC_HEADER,
		[IMAP_SEC_HEADER_FIELDS] = MIME_SEC_FIELDS,
		[IMAP_SEC_HEADER_FIELDS_NOT] = MIME_SEC_FIELDS_NOT,
		[IMAP_SEC_TEXT] = MIME_SEC_TEXT, [IMAP_SEC_MIME] = MIME_SEC_MIME,
	};
	const struct imap_fetch_att *at = &f->c->u.fetch.atts[a];
	struct mime_section *sec = &f->sec[a];
	struct strbuf *label = &f->label[a];
	size_t k;

	sec->what = what[at->text];
	sec->nparts = at->nparts;
	for (k = 0; k < at->nparts; k++)
		sec->part[k] = at->part[k];
	strbuf_adds(label, "BODY[");
	for (k = 0; k < at->nparts; k++)
		strbuf_printf(label, "%s%u", k ? "." : "", at->part[k]);
	if (at->nparts > 0 && at->text != IMAP_SEC_ALL)
		strbuf_addc(label, '.');
	strbuf_adds(label, text[at->text]);
	if (at->text == IMAP_SEC_HEADER_FIELDS ||
	    at->text == IMAP_SEC_HEADER_FIELDS_NOT)
		fetch_prepare_fields(f, a, label);
	strbuf_addc(label, ']');
	if (at->partial)
		strbuf_printf(label, "<%u>", at->origin);
	if (!at->peek)
		f->sets_seen = 1;
	if (at->nparts == 0 && at->text == IMAP_SEC_ALL)
		f->need |= NEED_ENTRY | NEED_STREAM;
	else if (at->nparts == 0 && at->text != IMAP_SEC_TEXT)
		f->need |= NEED_ENTRY | NEED_HEADER;
	else
		f->need |= NEED_ENTRY | NEED_PARSE;
}

/* fetch_prepare_binary: BINARY[...], BINARY.PEEK[...] and
 * BINARY.SIZE[...] of item a (RFC 3516): part numbers only. */
static void
fetch_prepare_binary(struct fetch *f, size_t a)
{
	const struct imap_fetch_att *at = &f->c->u.fetch.atts[a];
	struct mime_section *sec = &f->sec[a];
	struct strbuf *label = &f->label[a];
	size_t k;

	sec->nparts = at->nparts;
	for (k = 0; k < at->nparts; k++)
		sec->part[k] = at->part[k];
	strbuf_adds(label, at->kind == IMAP_FA_BINARY ? "BINARY[" :
	    "BINARY.SIZE[");
	for (k = 0; k < at->nparts; k++)
		strbuf_printf(label, "%s%u", k ? "." : "", at->part[k]);
	strbuf_addc(label, ']');
	if (at->partial)
		strbuf_printf(label, "<%u>", at->origin);
	if (at->kind == IMAP_FA_BINARY && !at->peek)
		f->sets_seen = 1;
	if (at->nparts > 0)
		f->need |= NEED_ENTRY | NEED_PARSE;
	else if (at->kind == IMAP_FA_BINARY)
		f->need |= NEED_ENTRY | NEED_STREAM;
	else
		f->need |= NEED_ENTRY;
}

/* fetch_prepare: labels, sections and needs of every item; 0, or -1
 * after a tagged BAD. */
static int
fetch_prepare(struct fetch *f)
{
	const struct imap_cmd *c = f->c;
	const struct imap_fetch_att *at;
	size_t a;

	for (a = 0; a < c->u.fetch.natts; a++) {
		strbuf_init(&f->label[a], 64 * 1024);
		strbuf_init(&f->fields[a], 64 * 1024);
		f->sec[a].what = MIME_SEC_ALL;
	}
	for (a = 0; a < c->u.fetch.natts; a++) {
		at = &c->u.fetch.atts[a];
		switch (at->kind) {
		case IMAP_FA_UID:
			f->has_uid = 1;
			break;
		case IMAP_FA_FLAGS:
			f->has_flags = 1;
			break;
		case IMAP_FA_MODSEQ:
			f->has_modseq = f->want_modseq = 1;
			break;
		case IMAP_FA_BODY:
			f->want_body = 1;
			/* FALLTHROUGH */
		case IMAP_FA_ENVELOPE:
		case IMAP_FA_BODYSTRUCTURE:
			f->need |= NEED_CACHE;
			break;
		case IMAP_FA_INTERNALDATE:
		case IMAP_FA_RFC822_SIZE:
			f->need |= NEED_ENTRY;
			break;
		case IMAP_FA_RFC822:
			f->sets_seen = 1;
			f->need |= NEED_ENTRY | NEED_STREAM;
			break;
		case IMAP_FA_RFC822_HEADER:
			f->sec[a].what = MIME_SEC_HEADER;
			f->need |= NEED_ENTRY | NEED_HEADER;
			break;
		case IMAP_FA_RFC822_TEXT:
			f->sets_seen = 1;
			f->sec[a].what = MIME_SEC_TEXT;
			f->need |= NEED_ENTRY | NEED_PARSE;
			break;
		case IMAP_FA_SECTION:
			fetch_prepare_section(f, a);
			break;
		case IMAP_FA_BINARY:
		case IMAP_FA_BINARY_SIZE:
			fetch_prepare_binary(f, a);
			break;
		default:
			break;
		}
		if (f->label[a].error) {
			imap_bad(f->s, "LIMIT", "Fetch item too long");
			return -1;
		}
	}
	if (c->u.fetch.has_changedsince)
		f->want_modseq = 1;
	if (f->s->view->readonly)
		f->sets_seen = 0;
	return 0;
}

/* ---- \Seen ------------------------------------------------------------ */

/*
 * fetch_set_seen: a BODY[...], RFC822 or RFC822.TEXT on a read-write
 * folder sets \Seen (RFC 3501 6.4.5) on the messages at view indexes
 * idx that lack it, a batch at a time, before they are answered; the
 * view takes their new flags and modseq, so the change is not reported
 * again as someone else's, and seen_now marks them for a FLAGS item.
 */
static void
fetch_set_seen(struct fetch *f, const uint32_t *idx, size_t n)
{
	struct imap_view *v = f->s->view;
	struct store_change ch;
	struct store_msg *out;
	uint32_t *uids, seq;
	size_t i, k, nb, nout, done = 0;

	memset(&ch, 0, sizeof(ch));
	ch.op = STORE_OP_ADD;
	ch.flags = STORE_SEEN;
	ch.unchangedsince = STORE_UNCHANGED_ANY;
	if ((f->seen_now = calloc(v->n ? v->n : 1, 1)) == NULL ||
	    (uids = calloc(FETCH_SEEN_BATCH, sizeof(*uids))) == NULL ||
	    (out = calloc(FETCH_SEEN_BATCH, sizeof(*out))) == NULL)
		fatal("out of memory");
	while (done < n) {
		for (nb = 0; done < n && nb < FETCH_SEEN_BATCH; done++)
			if (!(v->msgs[idx[done]].flags & STORE_SEEN))
				uids[nb++] = v->msgs[idx[done]].uid;
		if (nb == 0)
			continue;
		if (store_msgs_store(f->s->store, v->folder, uids, nb, &ch,
		    out, &nout, NULL, NULL) == -1) {
			log_warnx("%s: folder %s: \\Seen could not be set on "
			    "fetched messages", f->s->m->user, v->folder);
			break;
		}
		for (k = 0; k < nout; k++) {
			if ((seq = view_seq(v, out[k].uid)) == 0)
				continue;
			i = seq - 1;
			if (!(v->msgs[i].flags & STORE_SEEN) &&
			    (out[k].flags & STORE_SEEN))
				f->seen_now[i] = 1;
			v->msgs[i].flags = out[k].flags;
			v->msgs[i].keywords = out[k].keywords;
			v->msgs[i].modseq = out[k].modseq;
		}
	}
	free(uids);
	free(out);
}

/* ---- BINARY (RFC 3516) ------------------------------------------------ */

#define FETCH_CTE_UNKNOWN	(-2)

/* fetch_cte_word: the token the value [p, end) starts with, blanks and
 * line ends skipped: the encoding's name. */
static void
fetch_cte_word(const char *p, const char *end, const char **w, size_t *n)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' ||
	    *p == '\n'))
		p++;
	*w = p;
	while (p < end && *p != ' ' && *p != '\t' && *p != '\r' &&
	    *p != '\n' && *p != ';' && *p != '(')
		p++;
	*n = (size_t)(p - *w);
}

/*
 * fetch_cte: the Content-Transfer-Encoding named in the header block
 * [p, p + len): enum mime_cte, or FETCH_CTE_UNKNOWN for a name RFC 2045
 * does not define (RFC 3516 4.3: the fetch fails with UNKNOWN-CTE).
 * Absent or empty: identity.
 */
static int
fetch_cte(const char *p, size_t len)
{
	static const char name[] = "content-transfer-encoding:";
	const char *nl, *w;
	size_t at = 0, eol, v, n;

	while (at < len) {
		nl = memchr(p + at, '\n', len - at);
		eol = nl != NULL ? (size_t)(nl - p) : len;
		if (eol - at < sizeof(name) - 1 ||
		    strncasecmp(p + at, name, sizeof(name) - 1) != 0) {
			at = eol + 1;
			continue;
		}
		v = at + sizeof(name) - 1;
		/* the value runs on over continuation lines */
		while (eol + 1 < len && (p[eol + 1] == ' ' ||
		    p[eol + 1] == '\t')) {
			nl = memchr(p + eol + 1, '\n', len - eol - 1);
			eol = nl != NULL ? (size_t)(nl - p) : len;
		}
		fetch_cte_word(p + v, p + eol, &w, &n);
		if (n == 0)
			return mime_cte_parse(p + v, eol - v);
		if ((n == 4 && (strncasecmp(w, "7bit", 4) == 0 ||
		    strncasecmp(w, "8bit", 4) == 0)) ||
		    (n == 6 && strncasecmp(w, "binary", 6) == 0))
			return MIME_CTE_IDENTITY;
		if (n == 6 && strncasecmp(w, "base64", 6) == 0)
			return MIME_CTE_BASE64;
		if (n == 16 && strncasecmp(w, "quoted-printable", 16) == 0)
			return MIME_CTE_QP;
		return FETCH_CTE_UNKNOWN;
	}
	return MIME_CTE_IDENTITY;
}

/* fetch_binary_cte: the encoding of the part BINARY item a names, and
 * its body (a part that does not exist: identity, empty). */
static int
fetch_binary_cte(struct fetch *f, size_t a, struct mime_range *body)
{
	struct mime_section sec = f->sec[a];
	struct mime_range hdr;

	sec.what = MIME_SEC_ALL;
	(void)mime_section_locate(&f->mm, &sec, body);
	sec.what = MIME_SEC_MIME;
	(void)mime_section_locate(&f->mm, &sec, &hdr);
	return fetch_cte(f->buf + hdr.off, hdr.len);
}

/* fetch_binary_known: every BINARY item of a part can be decoded. */
static int
fetch_binary_known(struct fetch *f)
{
	const struct imap_fetch_att *at;
	struct mime_range body;
	size_t a;

	for (a = 0; a < f->c->u.fetch.natts; a++) {
		at = &f->c->u.fetch.atts[a];
		if ((at->kind == IMAP_FA_BINARY ||
		    at->kind == IMAP_FA_BINARY_SIZE) && at->nparts > 0 &&
		    fetch_binary_cte(f, a, &body) == FETCH_CTE_UNKNOWN)
			return 0;
	}
	return 1;
}

/*
 * fetch_binary_decode: the decoded content of item a's part into out
 * (base64 from the file's bytes; quoted-printable from the wire form,
 * whose CRLF are its hard line breaks).  Identity parts are not copied:
 * *body is their range and out stays empty.  Returns the encoding, or
 * -1 when memory ran out.
 */
static int
fetch_binary_decode(struct fetch *f, size_t a, struct mime_range *body,
    struct strbuf *out)
{
	struct mime_decoder d;
	struct strbuf wire;
	unsigned char chunk[4096];
	size_t n;
	int cte;

	if ((cte = fetch_binary_cte(f, a, body)) == MIME_CTE_IDENTITY ||
	    cte == FETCH_CTE_UNKNOWN)
		return cte;
	strbuf_init(&wire, 2 * body->len + 2);
	if (cte == MIME_CTE_QP) {
		if (mime_wire_append(&wire, f->buf, body, 0, SIZE_MAX) == -1) {
			strbuf_free(&wire);
			return -1;
		}
		mime_decoder_init(&d, MIME_CTE_QP, strbuf_str(&wire), wire.len);
	} else
		mime_decoder_init(&d, MIME_CTE_BASE64, f->buf + body->off,
		    body->len);
	strbuf_init(out, 2 * body->len + 2);
	while ((n = mime_decoder_read(&d, chunk, sizeof(chunk))) > 0)
		if (strbuf_add(out, chunk, n) == -1)
			break;
	strbuf_free(&wire);
	return out->error ? -1 : cte;
}

/* fetch_has_nul: a literal8 is needed for these octets. */
static int
fetch_has_nul(const char *p, size_t n)
{
	return n > 0 && memchr(p, '\0', n) != NULL;
}

/* ---- reading a message ------------------------------------------------- */

/* fetch_entry: the index entry of uid into f->ent: 0, 1 when the
 * message is gone, -1 on a store error (logged by the store). */
static int
fetch_entry(struct fetch *f, uint32_t uid)
{
	size_t lo = 0, hi = f->nlist, mid;

	/* A binary search: "$" names messages in the order SEARCH found
	 * them, not by UID. */
	if (f->list != NULL) {
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (f->list[mid].uid < uid)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == f->nlist || f->list[lo].uid != uid)
			return 1;
		f->ent = f->list[lo];
		return 0;
	}
	if (store_msg_get(f->s->store, f->s->view->folder, uid, &f->ent) == 0)
		return 0;
	return errno == ENOENT ? 1 : -1;
}

/* fetch_header_end: the length of the header in [0, n) including the
 * empty line that ends it, or 0 when there is none yet. */
static size_t
fetch_header_end(const char *p, size_t n)
{
	const char *nl, *end = p + n;

	if (n > 0 && p[0] == '\n')
		return 1;
	if (n > 1 && p[0] == '\r' && p[1] == '\n')
		return 2;
	for (nl = p; (nl = memchr(nl, '\n', (size_t)(end - nl))) != NULL;
	    nl++) {
		if (nl + 1 < end && nl[1] == '\n')
			return (size_t)(nl + 2 - p);
		if (nl + 2 < end && nl[1] == '\r' && nl[2] == '\n')
			return (size_t)(nl + 3 - p);
	}
	return 0;
}

/*
 * fetch_read: the message file into f->buf: all of it, or (header_only)
 * up to the empty line that ends its header.  Returns FETCH_SENT (read),
 * FETCH_TOOBIG (larger than parse_max), or FETCH_FAILED (logged).
 */
static int
fetch_read(struct fetch *f, int header_only)
{
	size_t cap = 0, hend = 0, want;
	ssize_t r;
	char *p;

	f->len = 0;
	for (;;) {
		if (f->len == cap) {
			if (cap >= f->parse_max)
				return FETCH_TOOBIG;
			want = header_only ? FETCH_CHUNK : f->ent.size + 1;
			cap = cap + (want > FETCH_CHUNK ? want : FETCH_CHUNK);
			if (cap > f->parse_max)
				cap = f->parse_max;
			if ((p = realloc(f->buf, cap)) == NULL) {
				log_warnx("%s: out of memory reading message "
				    "%u", f->s->m->user, f->ent.uid);
				return FETCH_FAILED;
			}
			f->buf = p;
		}
		r = pread(f->fd, f->buf + f->len, cap - f->len,
		    (off_t)f->len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			log_warn("%s: folder %s: cannot read message %u",
			    f->s->m->user, f->s->view->folder, f->ent.uid);
			return FETCH_FAILED;
		}
		if (r == 0)
			return FETCH_SENT;
		f->len += (size_t)r;
		if (header_only && (hend = fetch_header_end(f->buf,
		    f->len)) != 0) {
			f->len = hend;
			return FETCH_SENT;
		}
	}
}

/* fetch_parse: the message in memory, parsed (header_only: its header
 * only, enough for header sections of the message itself). */
static int
fetch_parse(struct fetch *f, int header_only)
{
	int rc;

	if ((rc = fetch_read(f, header_only)) != FETCH_SENT)
		return rc;
	if (mime_parse(&f->mm, f->buf, f->len) == -1) {
		log_warnx("%s: out of memory parsing message %u",
		    f->s->m->user, f->ent.uid);
		return FETCH_FAILED;
	}
	f->parsed = header_only ? NEED_HEADER : NEED_PARSE;
	return FETCH_SENT;
}

/* fetch_cache_load: ENVELOPE, BODYSTRUCTURE and BODY from the cache;
 * 0, or -1 when they are not there (all three needed ones). */
static int
fetch_cache_load(struct fetch *f, uint32_t uid)
{
	size_t blen;
	char *nul;

	if (store_cache_get(f->s->store, f->s->view->folder, uid, &f->env,
	    &f->envlen, &f->bs, &blen) == -1)
		return -1;
	f->bslen = blen;
	if ((nul = memchr(f->bs, '\0', blen)) != NULL) {
		f->bslen = (size_t)(nul - f->bs);
		f->body = nul + 1;
		f->bodylen = blen - f->bslen - 1;
	} else if (f->want_body)
		return -1;
	return 0;
}

/* fetch_cache_put: keep what was rendered for the next FETCH.  A cache
 * that cannot take it (too big, a store error) only costs a parse next
 * time. */
static void
fetch_cache_put(struct fetch *f, const struct strbuf *env,
    const struct strbuf *bs)
{
	(void)store_cache_put(f->s->store, f->s->view->folder, f->ent.uid,
	    env->buf, env->len, bs->buf, bs->len);
}

/* fetch_render: ENVELOPE, BODYSTRUCTURE and BODY of the parsed message,
 * kept in f and put into the cache for the next FETCH. */
static int
fetch_render(struct fetch *f)
{
	struct strbuf env, bs;

	free(f->env);
	free(f->bs);
	f->env = f->bs = NULL;
	strbuf_init(&env, FETCH_RENDER_MAX);
	strbuf_init(&bs, 2 * FETCH_RENDER_MAX + 1);
	if (mime_envelope_write(&f->mm, 0, &env) == -1 ||
	    mime_body_write(&f->mm, 0, 1, &bs) == -1 ||
	    strbuf_addc(&bs, '\0') == -1 ||
	    mime_body_write(&f->mm, 0, 0, &bs) == -1 ||
	    (f->env = malloc(env.len + 1)) == NULL ||
	    (f->bs = malloc(bs.len + 1)) == NULL) {
		log_warnx("%s: folder %s: message %u: its structure is too "
		    "large to show", f->s->m->user, f->s->view->folder,
		    f->ent.uid);
		strbuf_free(&env);
		strbuf_free(&bs);
		return FETCH_TOOBIG;
	}
	/* Rendered strings hold no NUL (strbuf.h sends it as 0x80), so
	 * the one added above is the first. */
	memcpy(f->env, strbuf_str(&env), env.len + 1);
	memcpy(f->bs, bs.buf, bs.len + 1);
	f->envlen = env.len;
	f->bslen = strlen(f->bs);
	f->body = f->bs + f->bslen + 1;
	f->bodylen = bs.len - f->bslen - 1;
	fetch_cache_put(f, &env, &bs);
	strbuf_free(&env);
	strbuf_free(&bs);
	return FETCH_SENT;
}

/* fetch_load: everything the items need of the message at view index
 * i; FETCH_SENT when it is all there. */
static int
fetch_load(struct fetch *f, uint32_t i)
{
	uint32_t uid = f->s->view->msgs[i].uid, need = f->need;
	int rc, render = 0;

	if ((need & NEED_CACHE) && fetch_cache_load(f, uid) == -1) {
		need |= NEED_ENTRY | NEED_PARSE;
		render = 1;
	}
	if (need & NEED_ENTRY) {
		if ((rc = fetch_entry(f, uid)) == 1)
			return FETCH_GONE;
		if (rc == -1)
			return FETCH_FAILED;
	}
	if (need & (NEED_HEADER | NEED_PARSE | NEED_STREAM)) {
		if ((f->fd = store_msg_open(f->s->store, f->s->view->folder,
		    &f->ent)) == -1 && errno == ENOENT)
			return FETCH_GONE;
		if (f->fd == -1) {
			log_warn("%s: folder %s: cannot open message %u",
			    f->s->m->user, f->s->view->folder, uid);
			return FETCH_FAILED;
		}
	}
	if (need & (NEED_HEADER | NEED_PARSE)) {
		rc = fetch_parse(f, !(need & NEED_PARSE));
		if (rc != FETCH_SENT)
			return rc;
		if ((need & NEED_PARSE) && !fetch_binary_known(f))
			return FETCH_UNKNOWN_CTE;
	}
	return render ? fetch_render(f) : FETCH_SENT;
}

/* fetch_unload: forget the message (f keeps its buffer). */
static void
fetch_unload(struct fetch *f)
{
	if (f->fd != -1)
		(void)close(f->fd);
	f->fd = -1;
	if (f->parsed)
		mime_free(&f->mm);
	f->parsed = 0;
	free(f->env);
	free(f->bs);
	f->env = f->bs = NULL;
	f->body = NULL;
	f->envlen = f->bslen = f->bodylen = 0;
	f->warned = 0;
}

/* ---- sending ----------------------------------------------------------- */

/* fetch_pad: the literal promised more octets than the file gave (it
 * changed under the index, or a read failed): blanks fill it, since the
 * size was sent already. */
static void
fetch_pad(struct fetch *f, uint64_t n)
{
	char blanks[256];
	size_t k;

	if (f->s->io.ioerr || f->s->io.ended)
		return;
	if (n > 0 && !f->warned) {
		log_warnx("%s: folder %s: message %u is shorter than its "
		    "index entry says; sent padded", f->s->m->user,
		    f->s->view->folder, f->ent.uid);
		f->warned = 1;
	}
	memset(blanks, ' ', sizeof(blanks));
	while (n > 0) {
		k = n < sizeof(blanks) ? (size_t)n : sizeof(blanks);
		imap_put(f->s, blanks, k);
		n -= k;
	}
}

/* fetch_nul_mask: NUL octets of message text become 0x80 before they
 * go into a literal, which cannot carry NUL (RFC 9051 CHAR8; the size
 * stays, as strbuf.h does for strings); BINARY sends them in literal8. */
static void
fetch_nul_mask(char *p, size_t n)
{
	char *q, *end;

	if (n == 0)
		return;
	end = p + n;
	while (p < end && (q = memchr(p, '\0', (size_t)(end - p))) != NULL) {
		*q = (char)0x80;
		p = q + 1;
	}
}

/* fetch_wire: the wire form of in (every LF not after a CR becomes
 * CRLF) into out (room for 2 * n); *cr: the byte before was a CR. */
static size_t
fetch_wire(const char *in, size_t n, char *out, int *cr)
{
	const char *p = in, *end = in + n, *nl;
	size_t o = 0, seg;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		seg = (size_t)((nl != NULL ? nl : end) - p);
		memcpy(out + o, p, seg);
		o += seg;
		if (seg > 0)
			*cr = p[seg - 1] == '\r';
		p += seg;
		if (nl == NULL)
			break;
		if (!*cr)
			out[o++] = '\r';
		out[o++] = '\n';
		*cr = 0;
		p++;
	}
	return o;
}

/*
 * fetch_put_file: wire octets [origin, origin + size) of the message,
 * read from its file a chunk at a time; the literal's size was sent.
 * The wire form ends with a line end even when the file does not, as
 * the store counts W= (POP3 needs it).
 */
static void
fetch_put_file(struct fetch *f, uint64_t origin, uint64_t size)
{
	static char in[FETCH_CHUNK], out[2 * FETCH_CHUNK];
	uint64_t pos = 0, sent = 0, lo, hi;
	off_t off = 0;
	ssize_t r;
	size_t n;
	int cr = 0, last = '\n';

	while (sent < size && !f->s->io.ioerr && !f->s->io.ended) {
		r = pread(f->fd, in, sizeof(in), off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			log_warn("%s: folder %s: cannot read message %u",
			    f->s->m->user, f->s->view->folder, f->ent.uid);
			break;
		}
		if (r == 0 && last == '\n')
			break;
		if (r == 0) {
			memcpy(out, "\r\n", 2);
			n = 2;
			last = '\n';
		} else {
			n = fetch_wire(in, (size_t)r, out, &cr);
			last = in[r - 1];
			off += r;
		}
		lo = origin + sent > pos ? origin + sent : pos;
		hi = origin + size < pos + n ? origin + size : pos + n;
		if (lo < hi) {
			fetch_nul_mask(out + (lo - pos), (size_t)(hi - lo));
			imap_put(f->s, out + (lo - pos), (size_t)(hi - lo));
			sent += hi - lo;
		}
		pos += n;
	}
	fetch_pad(f, size - sent);
}

/* fetch_put_range: wire octets of file range r of the message in memory
 * from skip on, size of them; NUL kept only for a literal8. */
static void
fetch_put_range(struct fetch *f, const struct mime_range *r, size_t skip,
    uint64_t size, int literal8)
{
	static char out[FETCH_CHUNK];
	struct mime_wire w;
	size_t n;

	mime_wire_open(&w, f->buf, r, skip);
	while (size > 0 && !f->s->io.ioerr && !f->s->io.ended) {
		n = mime_wire_read(&w, out, size < sizeof(out) ?
		    (size_t)size : sizeof(out));
		if (n == 0)
			break;
		if (!literal8)
			fetch_nul_mask(out, n);
		imap_put(f->s, out, n);
		size -= n;
	}
	fetch_pad(f, size);
}

/* fetch_window: the literal's size for a window <origin.count> (or the
 * whole, partial 0) of total octets. */
static uint64_t
fetch_window(const struct imap_fetch_att *at, uint64_t total)
{
	if (!at->partial)
		return total;
	if (at->origin >= total)
		return 0;
	return total - at->origin < at->count ? total - at->origin :
	    at->count;
}

/* fetch_put_whole: BODY[] or RFC822: the whole message from its file,
 * sized by its index entry (as RFC822.SIZE). */
static void
fetch_put_whole(struct fetch *f, const struct imap_fetch_att *at)
{
	uint64_t size = fetch_window(at, f->ent.size);

	imap_printf(f->s, "{%llu}\r\n", (unsigned long long)size);
	fetch_put_file(f, at->partial ? at->origin : 0, size);
}

/* fetch_put_section: item a, a section of the parsed message. */
static int
fetch_put_section(struct fetch *f, size_t a, const struct imap_fetch_att *at)
{
	const struct mime_section *sec = &f->sec[a];
	struct mime_range r;
	struct strbuf sb;
	uint64_t size;

	if (mime_section_locate(&f->mm, sec, &r)) {
		size = fetch_window(at, r.wire_len);
		imap_printf(f->s, "{%llu}\r\n", (unsigned long long)size);
		fetch_put_range(f, &r, at->partial ? at->origin : 0, size, 0);
		return 0;
	}
	strbuf_init(&sb, 2 * f->len + 4);
	if (mime_section_write(&f->mm, sec, at->partial ? at->origin : 0,
	    at->partial ? at->count : SIZE_MAX, &sb) == -1) {
		strbuf_free(&sb);
		return -1;
	}
	imap_printf(f->s, "{%zu}\r\n", sb.len);
	fetch_nul_mask(sb.buf, sb.len);
	imap_put_sb(f->s, &sb);
	strbuf_free(&sb);
	return 0;
}

/* fetch_put_binary: BINARY[part]<partial> or BINARY.SIZE[part] of the
 * parsed message; 0 or -1. */
static int
fetch_put_binary(struct fetch *f, size_t a, const struct imap_fetch_att *at)
{
	struct mime_range body;
	struct strbuf out;
	uint64_t size, origin = at->partial ? at->origin : 0;
	int cte, nul;

	memset(&out, 0, sizeof(out));
	if ((cte = fetch_binary_decode(f, a, &body, &out)) == -1 ||
	    cte == FETCH_CTE_UNKNOWN) {
		strbuf_free(&out);
		return -1;
	}
	size = cte == MIME_CTE_IDENTITY ? body.wire_len : out.len;
	if (at->kind == IMAP_FA_BINARY_SIZE) {
		imap_printf(f->s, "%llu", (unsigned long long)size);
		strbuf_free(&out);
		return 0;
	}
	if ((size = fetch_window(at, size)) == 0)
		origin = 0;
	if (cte == MIME_CTE_IDENTITY)
		nul = fetch_has_nul(f->buf + body.off, body.len);
	else
		nul = fetch_has_nul(strbuf_str(&out) + origin, (size_t)size);
	imap_printf(f->s, "%s{%llu}\r\n", nul ? "~" : "",
	    (unsigned long long)size);
	if (cte == MIME_CTE_IDENTITY)
		fetch_put_range(f, &body, (size_t)origin, size, nul);
	else
		imap_put(f->s, strbuf_str(&out) + origin, (size_t)size);
	strbuf_free(&out);
	return 0;
}

/* fetch_put_date: INTERNALDATE "dd-Mon-yyyy hh:mm:ss +0000". */
static void
fetch_put_date(struct fetch *f)
{
	time_t t = (time_t)f->ent.internal_date;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999 ||
	    tm.tm_year + 1900 < 1) {
		t = 0;
		(void)gmtime_r(&t, &tm);
	}
	imap_printf(f->s, "INTERNALDATE \"%02d-%s-%04d %02d:%02d:%02d "
	    "+0000\"", tm.tm_mday, fetch_months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* fetch_put_item: item a of message i (all it needs is loaded). */
static int
fetch_put_item(struct fetch *f, uint32_t i, size_t a)
{
	const struct imap_fetch_att *at = &f->c->u.fetch.atts[a];
	struct imap_sess *s = f->s;

	switch (at->kind) {
	case IMAP_FA_UID:
		imap_printf(s, "UID %u", s->view->msgs[i].uid);
		return 0;
	case IMAP_FA_FLAGS:
		imap_put(s, "FLAGS ", 6);
		view_flags_put(s, i);
		return 0;
	case IMAP_FA_MODSEQ:
		imap_printf(s, "MODSEQ (%llu)",
		    (unsigned long long)s->view->msgs[i].modseq);
		return 0;
	case IMAP_FA_INTERNALDATE:
		fetch_put_date(f);
		return 0;
	case IMAP_FA_RFC822_SIZE:
		imap_printf(s, "RFC822.SIZE %llu",
		    (unsigned long long)f->ent.size);
		return 0;
	case IMAP_FA_ENVELOPE:
		imap_put(s, "ENVELOPE ", 9);
		imap_put(s, f->env, f->envlen);
		return 0;
	case IMAP_FA_BODYSTRUCTURE:
		imap_put(s, "BODYSTRUCTURE ", 14);
		imap_put(s, f->bs, f->bslen);
		return 0;
	case IMAP_FA_BODY:
		imap_put(s, "BODY ", 5);
		imap_put(s, f->body, f->bodylen);
		return 0;
	case IMAP_FA_RFC822:
		imap_put(s, "RFC822 ", 7);
		fetch_put_whole(f, at);
		return 0;
	case IMAP_FA_RFC822_HEADER:
	case IMAP_FA_RFC822_TEXT:
		imap_printf(s, "%s ", at->kind == IMAP_FA_RFC822_HEADER ?
		    "RFC822.HEADER" : "RFC822.TEXT");
		return fetch_put_section(f, a, at);
	default:
		break;
	}
	imap_put_sb(s, &f->label[a]);
	imap_put(s, " ", 1);
	if (at->kind == IMAP_FA_BINARY_SIZE && at->nparts == 0) {
		imap_printf(s, "%llu", (unsigned long long)f->ent.size);
		return 0;
	}
	if (at->kind != IMAP_FA_SECTION && at->nparts > 0)
		return fetch_put_binary(f, a, at);
	if (at->nparts == 0 && at->text == IMAP_SEC_ALL) {
		fetch_put_whole(f, at);
		return 0;
	}
	return fetch_put_section(f, a, at);
}

/*
 * fetch_put: the FETCH response of message i: the items in the order
 * asked, UID first when UID FETCH did not name it, FLAGS last when \Seen
 * was just set and FLAGS was not asked for, and MODSEQ last under
 * CHANGEDSINCE, or with FLAGS once CONDSTORE is on.  gone: only what the
 * view knows (nothing when that was not asked for).  Returns 1 (sent),
 * 0 (nothing to send), or -1 when a section could not be rendered (an
 * empty string stands for it: the response is still whole).
 */
static int
fetch_put(struct fetch *f, uint32_t i, int gone)
{
	struct imap_sess *s = f->s;
	int has_uid = f->has_uid, has_flags = f->has_flags;
	int has_modseq = f->has_modseq;
	int add_flags = !gone && !has_flags && f->seen_now && f->seen_now[i];
	int add_uid = f->c->uid && !has_uid;
	int add_modseq = !has_modseq && (f->want_modseq ||
	    ((s->enabled & IMAP_EN_CONDSTORE) && (has_flags || add_flags)));
	const char *sep = "";
	size_t a;
	int kind, rc = 1;

	if (add_flags && (s->enabled & IMAP_EN_QRESYNC))
		add_uid = !has_uid;
	if (gone && !has_uid && !has_flags && !has_modseq)
		return 0;
	imap_printf(s, "* %u FETCH (", i + 1);
	if (add_uid) {
		imap_printf(s, "UID %u", s->view->msgs[i].uid);
		sep = " ";
	}
	for (a = 0; a < f->c->u.fetch.natts; a++) {
		kind = f->c->u.fetch.atts[a].kind;
		if (gone && kind != IMAP_FA_UID && kind != IMAP_FA_FLAGS &&
		    kind != IMAP_FA_MODSEQ)
			continue;
		imap_put(s, sep, strlen(sep));
		sep = " ";
		if (fetch_put_item(f, i, a) == -1) {
			imap_put(s, "\"\"", 2);
			rc = -1;
		}
	}
	if (add_flags) {
		imap_printf(s, "%sFLAGS ", sep);
		view_flags_put(s, i);
	}
	if (add_modseq)
		imap_printf(s, " MODSEQ (%llu)",
		    (unsigned long long)s->view->msgs[i].modseq);
	imap_put(s, ")\r\n", 3);
	return rc;
}

/* fetch_one: answer for the message at view index i. */
static void
fetch_one(struct fetch *f, uint32_t i)
{
	int rc, put;

	if ((rc = fetch_load(f, i)) == FETCH_SENT) {
		if ((put = fetch_put(f, i, 0)) == -1)
			rc = FETCH_TOOBIG;
	} else
		put = fetch_put(f, i, 1);
	if (put != 0)
		f->s->nfetched++;
	if (rc == FETCH_SENT)
		f->nsent++;
	else if (rc == FETCH_GONE)
		f->ngone++;
	else if (rc == FETCH_TOOBIG)
		f->ntoobig++;
	else if (rc == FETCH_UNKNOWN_CTE)
		f->nunknown++;
	else
		f->nfailed++;
	fetch_unload(f);
}

/* ---- CHANGEDSINCE and VANISHED ---------------------------------------- */

/* A VANISHED list being written: adjacent ranges are joined. */
struct fetch_uids {
	uint32_t	first, last;
	int		pending;	/* first:last is not written yet */
	int		written;	/* ranges written */
};

static void
fetch_uids_flush(struct fetch *f, struct fetch_uids *u)
{
	if (!u->pending)
		return;
	imap_printf(f->s, "%s%u", u->written++ ? "," :
	    "* VANISHED (EARLIER) ", u->first);
	if (u->last != u->first)
		imap_printf(f->s, ":%u", u->last);
	u->pending = 0;
}

/* fetch_uids_add: UIDs lo..hi (ascending calls) into the list. */
static void
fetch_uids_add(struct fetch *f, struct fetch_uids *u, uint32_t lo,
    uint32_t hi)
{
	if (u->pending && u->last != UINT32_MAX && lo == u->last + 1) {
		u->last = hi;
		return;
	}
	fetch_uids_flush(f, u);
	u->first = lo;
	u->last = hi;
	u->pending = 1;
}

/* fetch_vanished_in: uid is in the sorted expunged ranges. */
static int
fetch_vanished_in(const struct store_range *gone, size_t ngone, uint32_t uid)
{
	size_t lo = 0, hi = ngone, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (gone[mid].last < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ngone && gone[lo].first <= uid;
}

/*
 * fetch_vanished: UID FETCH ... (CHANGEDSINCE m VANISHED): the UIDs of
 * the set expunged since m, as "* VANISHED (EARLIER) ..." (RFC 7162
 * 3.2.6), in ranges: the intersection of two sorted range lists.  "*"
 * is the highest UID given out.  0 or -1.
 */
static int
fetch_vanished(struct fetch *f)
{
	struct imap_view *v = f->s->view;
	const struct imap_seqset *set = &f->c->u.fetch.set;
	struct store_range *gone;
	struct imap_range *r;
	struct fetch_uids u;
	size_t ngone, g = 0, k = 0;
	uint32_t lo, hi;
	long nr;

	if (store_vanished(f->s->store, v->folder, f->c->u.fetch.changedsince,
	    &gone, &ngone) == -1)
		return -1;
	memset(&u, 0, sizeof(u));
	if (set->saved) {
		for (k = 0; k < f->s->nsaved; k++)
			if (fetch_vanished_in(gone, ngone, f->s->saved[k]))
				fetch_uids_add(f, &u, f->s->saved[k],
				    f->s->saved[k]);
		nr = 0;
		r = NULL;
	} else {
		if ((r = calloc(set->nranges + 1, sizeof(*r))) == NULL)
			fatal("out of memory");
		nr = imap_seq_ranges(set, v->uidnext - 1, r, set->nranges + 1);
	}
	while (nr > 0 && g < ngone && k < (size_t)nr) {
		lo = gone[g].first > r[k].lo ? gone[g].first : r[k].lo;
		hi = gone[g].last < r[k].hi ? gone[g].last : r[k].hi;
		if (lo <= hi)
			fetch_uids_add(f, &u, lo, hi);
		if (gone[g].last < r[k].hi)
			g++;
		else
			k++;
	}
	fetch_uids_flush(f, &u);
	if (u.written)
		imap_put(f->s, "\r\n", 2);
	free(r);
	free(gone);
	return 0;
}

/* fetch_changed: keep the indexes whose modseq is above CHANGEDSINCE. */
static void
fetch_changed(struct fetch *f, uint32_t *idx, size_t *n)
{
	const struct imap_view *v = f->s->view;
	size_t i, k = 0;

	for (i = 0; i < *n; i++)
		if (v->msgs[idx[i]].modseq > f->c->u.fetch.changedsince)
			idx[k++] = idx[i];
	*n = k;
}

/* ---- the command ------------------------------------------------------- */

/* fetch_list: the folder's index entries in one go, when the request
 * needs them for many of its messages (a lookup each is dearer then);
 * about 300 octets a message, hence the bound on the folder's size. */
static void
fetch_list(struct fetch *f, size_t n)
{
	const struct imap_view *v = f->s->view;

	if (!(f->need & NEED_ENTRY) || n < FETCH_LIST_MIN ||
	    n < v->n / 8 || v->n > FETCH_LIST_MAX)
		return;
	if (store_list(f->s->store, v->folder, &f->list, &f->nlist) == -1) {
		f->list = NULL;
		f->nlist = 0;
	}
}

/* fetch_parse_max: the largest message parsed in memory: what APPEND
 * and SMTP let in, which bounds every message the store was given. */
static uint64_t
fetch_parse_max(const struct config *cfg)
{
	uint64_t max = cfg->imap_append_limit;

	if (cfg->smtp_max_message_size > max)
		max = cfg->smtp_max_message_size;
	if (max < FETCH_CHUNK)
		max = FETCH_CHUNK;
	return max > SIZE_MAX / 4 ? SIZE_MAX / 4 : max;
}

/* fetch_done: the tagged answer. */
static void
fetch_done(struct fetch *f)
{
	const char *verb = f->c->uid ? "UID FETCH" : "FETCH";

	if (f->nfailed > 0)
		imap_no(f->s, "SERVERBUG", "Some messages could not be read");
	else if (f->nunknown > 0)
		imap_no(f->s, "UNKNOWN-CTE", "A part's Content-Transfer-"
		    "Encoding cannot be decoded");
	else if (f->ntoobig > 0)
		imap_no(f->s, "LIMIT", "Some messages are too large to show");
	else if (f->ngone > 0 && f->nsent == 0)
		imap_no(f->s, "EXPUNGEISSUED", "Some of the requested "
		    "messages no longer exist");
	else if (f->ngone > 0)
		imap_ok(f->s, "EXPUNGEISSUED", "%s completed, some messages "
		    "no longer exist", verb);
	else
		imap_ok(f->s, NULL, "%s completed", verb);
}

void
cmd_fetch(struct imap_sess *s, const struct imap_cmd *c)
{
	static struct fetch fb;
	struct fetch *f = &fb;
	uint32_t *idx = NULL;
	size_t n = 0, k, a;

	memset(f, 0, sizeof(*f));
	f->s = s;
	f->c = c;
	f->fd = -1;
	f->parse_max = fetch_parse_max(s->cfg);
	if (c->u.fetch.vanished && !(s->enabled & IMAP_EN_QRESYNC)) {
		imap_bad(s, "CLIENTBUG", "VANISHED needs ENABLE QRESYNC");
		return;
	}
	if (fetch_prepare(f) == 0 &&
	    imap_set_resolve(s, &c->u.fetch.set, c->uid, &idx, &n) == 0) {
		if (f->want_modseq)
			imap_want_condstore(s);
		if (c->u.fetch.vanished && fetch_vanished(f) == -1)
			log_warnx("%s: folder %s: the messages expunged since "
			    "modseq %llu could not be read", s->m->user,
			    s->view->folder,
			    (unsigned long long)c->u.fetch.changedsince);
		if (c->u.fetch.has_changedsince)
			fetch_changed(f, idx, &n);
		if (f->sets_seen && n > 0)
			fetch_set_seen(f, idx, n);
		fetch_list(f, n);
		for (k = 0; k < n && !s->io.ioerr && !s->io.ended; k++)
			fetch_one(f, idx[k]);
		fetch_done(f);
	}
	for (a = 0; a < c->u.fetch.natts; a++) {
		strbuf_free(&f->label[a]);
		strbuf_free(&f->fields[a]);
	}
	free(idx);
	free(f->list);
	free(f->seen_now);
	free(f->buf);
}
