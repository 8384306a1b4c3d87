/*
 * search.c: SEARCH and UID SEARCH (RFC 3501 6.4.4, RFC 9051 6.4.4) with
 * ESEARCH's result options (RFC 4731), SEARCHRES (RFC 5182: RETURN (SAVE)
 * and "$") and CONDSTORE's MODSEQ key (RFC 7162 3.1.5).  Runs in imapd's
 * mail process; the search tree comes from the parser (trusted for its
 * syntax only) and the message files are hostile.
 *
 * A message is looked at in up to four stages, cheapest first, and a
 * stage is reached only when the keys before it left the answer open:
 * the view (flags, UID, sequence number, modseq, keywords), the store's
 * listing (wire size, internal date), the message's header read from its
 * file, and the whole message read and MIME-parsed.  Each key is first
 * judged three-valued (true, false, "needs the file"); AND and OR then
 * look at what the file must decide, header keys before body keys.  A
 * file is opened once per message and SEARCH, its header read up to the
 * empty line, the rest read (and the message parsed, once) only when a
 * BODY or TEXT key needs it; one buffer, as large as the most read of
 * one message, serves the whole SEARCH.  The header fields searched are
 * kept for the session (search_cache.h), so that a header search done
 * again reads no file.
 *
 * Decisions where the RFCs leave room:
 *  - BEFORE, ON, SINCE compare the internal date's day in UTC;
 *  - SENTBEFORE, SENTON, SENTSINCE take the day, month and year written
 *    in the Date: field (time and zone disregarded, RFC 3501); a message
 *    without a Date: field that can be read as a date matches none of
 *    them (so NOT SENTBEFORE matches it);
 *  - RECENT, NEW and OLD, gone from IMAP4rev2's grammar, keep their
 *    IMAP4rev1 meaning after ENABLE IMAP4rev2 too (what arrived while
 *    this session had the folder selected): a BAD would break clients
 *    that send them from habit, and the view still knows the answer;
 *  - a sequence number past the last message matches nothing (no BAD):
 *    the set only restricts the search;
 *  - a message another session expunged, whose file or store entry is
 *    gone when the search needs it, is left out of the result;
 *  - the MODSEQ key compares the message's modseq, whatever entry name
 *    (a flag's own modseq, which the store does not keep) is given.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/mime.h"
#include "common/mime_field.h"
#include "imapd/search_cache.h"
#include "imapd/search_date.h"
#include "imapd/session.h"
#include "imapd/view.h"

#define SEARCH_CHUNK		16384	/* header reads */
#define SEARCH_FIELD_MAX	256	/* HEADER's field name, NUL included */

/* What a key needs, cheapest first; a subtree needs its dearest key's. */
enum search_cost {
	SEARCH_COST_VIEW,	/* flags, UID, sequence number, modseq */
	SEARCH_COST_LIST,	/* the store's listing: size, internal date */
	SEARCH_COST_HEADER,	/* the header, from the file */
	SEARCH_COST_BODY,	/* the whole message, parsed */
};

/* Three-valued judgement before the file is read. */
enum search_val {
	SEARCH_FALSE,
	SEARCH_TRUE,
	SEARCH_UNKNOWN,
};

/* A node made ready for matching. */
struct search_key {
	struct charset_match	 cm;		/* string keys */
	int			 has_cm;
	char			 field[SEARCH_FIELD_MAX];	/* HEADER */
	struct imap_range	*ranges;	/* UID and sequence sets */
	long			 nranges;
	uint32_t		 kwbit;		/* KEYWORD: 0 when unknown */
	uint8_t			 cost;		/* enum search_cost, subtree */
};

struct search {
	struct imap_sess	*s;
	const struct imap_view	*v;
	const struct imap_snode	*nodes;
	struct search_key	 keys[IMAP_SEARCH_NODES_MAX];
	int			 has_modseq;	/* a MODSEQ key */

	struct store_msg	*list;		/* the store's listing */
	size_t			 nlist, at;

	/* the message being looked at */
	uint32_t		 i;		/* its view index */
	const struct imap_vmsg	*m;
	struct store_msg	 sm;		/* its listing entry */
	int			 stage;		/* what is read: a cost */
	int			 gone;		/* its file could not be read */
	int			 fd;
	int			 curfd;		/* the folder's cur/ */
	size_t			 fsize;		/* the file's size */
	char			*buf;		/* the message, for all */
	size_t			 cap, len;
	size_t			 hlen;		/* its header's length */
	struct mime_msg		 mm;		/* header only, or parsed */
	struct mime_part	 hpart;		/* the header-only part */
	int			 parsed;	/* mm is mime_parse's */
	int			 cache;		/* search_cache serves us */
	int			 cached;	/* mm is the cache's fields */
	int			 sent_state;	/* 0 not read, 1 sent, 2 none */
	int64_t			 sent;
};

/* The header field a key looks at (HEADER's is its operand). */
static const char *const search_fields[] = {
	[IMAP_SK_BCC] = "bcc", [IMAP_SK_CC] = "cc", [IMAP_SK_FROM] = "from",
	[IMAP_SK_SUBJECT] = "subject", [IMAP_SK_TO] = "to",
	[IMAP_SK_SENTBEFORE] = "date", [IMAP_SK_SENTON] = "date",
	[IMAP_SK_SENTSINCE] = "date",
};

/* ---- preparing the keys ------------------------------------------------- */

/* search_keyword_bit: the view's bit for keyword s, 0 when the folder has
 * no such keyword (read again once, another session may have made it). */
static uint32_t
search_keyword_bit(struct imap_sess *s, const struct imap_str *kw)
{
	const struct store_keywords *k;
	int pass;
	size_t i;

	for (pass = 0; pass < 2; pass++) {
		if (pass == 1)
			s->view->kw_loaded = 0;
		k = view_keywords(s);
		for (i = 0; i < STORE_KEYWORDS_MAX; i++)
			if ((k->defined & (1U << i)) &&
			    strlen(k->name[i]) == kw->len &&
			    strncasecmp(k->name[i], kw->p, kw->len) == 0)
				return 1U << i;
	}
	return 0;
}

/* search_needle: compile string s into key k; -1 after a tagged NO. */
static int
search_needle(struct search *sr, struct search_key *k,
    const struct imap_str *s)
{
	char *text;
	long n;

	if (s->kind == IMAP_STR_EXTERNAL ||
	    s->size > (uint64_t)CHARSET_NEEDLE_MAX * 4) {
		imap_no(sr->s, "LIMIT", "Search string too long");
		return -1;
	}
	if ((text = malloc((size_t)s->size + 1)) == NULL)
		fatal("out of memory");
	n = imap_str_copy(s, text, (size_t)s->size + 1);
	if (n < 0 || charset_match_init(&k->cm, text, (size_t)n) == -1) {
		free(text);
		imap_no(sr->s, "LIMIT", "Search string too long (at most %d "
		    "characters)", CHARSET_NEEDLE_MAX);
		return -1;
	}
	free(text);
	k->has_cm = 1;
	return 0;
}

/* search_set: a sequence or UID set as sorted ranges. */
static void
search_set(struct search *sr, struct search_key *k,
    const struct imap_seqset *set, int uid)
{
	uint32_t max;
	size_t room = set->nranges ? set->nranges : 1;

	if (set->saved)
		return;
	max = sr->v->n == 0 ? 0 : uid ? sr->v->msgs[sr->v->n - 1].uid :
	    sr->v->n;
	if ((k->ranges = calloc(room, sizeof(*k->ranges))) == NULL)
		fatal("out of memory");
	k->nranges = imap_seq_ranges(set, max, k->ranges, room);
	if (k->nranges < 0)
		fatalx("internal error: a search set has more ranges than "
		    "the parser counted");
}

/* search_prepare_node: node i made ready; its cost.  -1 after a NO. */
static int
search_prepare_node(struct search *sr, int16_t i)
{
	const struct imap_snode *n = &sr->nodes[i];
	struct search_key *k = &sr->keys[i];
	int16_t ch;
	long len;

	switch (n->key) {
	case IMAP_SK_AND:
	case IMAP_SK_OR:
	case IMAP_SK_NOT:
		k->cost = SEARCH_COST_VIEW;
		for (ch = n->child; ch != -1; ch = sr->nodes[ch].next) {
			if (search_prepare_node(sr, ch) == -1)
				return -1;
			if (sr->keys[ch].cost > k->cost)
				k->cost = sr->keys[ch].cost;
		}
		return 0;
	case IMAP_SK_BCC: case IMAP_SK_CC: case IMAP_SK_FROM:
	case IMAP_SK_SUBJECT: case IMAP_SK_TO:
		k->cost = SEARCH_COST_HEADER;
		return search_needle(sr, k, &n->s1);
	case IMAP_SK_HEADER:
		k->cost = SEARCH_COST_HEADER;
		len = imap_str_copy(&n->s1, k->field, sizeof(k->field));
		if (len <= 0)	/* no field has such a name */
			k->field[0] = '\0';
		return search_needle(sr, k, &n->s2);
	case IMAP_SK_BODY:
	case IMAP_SK_TEXT:
		k->cost = SEARCH_COST_BODY;
		return search_needle(sr, k, &n->s1);
	case IMAP_SK_SENTBEFORE: case IMAP_SK_SENTON: case IMAP_SK_SENTSINCE:
		k->cost = SEARCH_COST_HEADER;
		return 0;
	case IMAP_SK_BEFORE: case IMAP_SK_ON: case IMAP_SK_SINCE:
	case IMAP_SK_LARGER: case IMAP_SK_SMALLER:
		k->cost = SEARCH_COST_LIST;
		return 0;
	case IMAP_SK_KEYWORD:
	case IMAP_SK_UNKEYWORD:
		k->kwbit = search_keyword_bit(sr->s, &n->s1);
		break;
	case IMAP_SK_UID:
		search_set(sr, k, &n->set, 1);
		break;
	case IMAP_SK_SEQSET:
		search_set(sr, k, &n->set, 0);
		break;
	case IMAP_SK_MODSEQ:
		sr->has_modseq = 1;
		break;
	}
	k->cost = SEARCH_COST_VIEW;
	return 0;
}

static void
search_free(struct search *sr)
{
	size_t i;

	for (i = 0; i < IMAP_SEARCH_NODES_MAX; i++) {
		if (sr->keys[i].has_cm)
			charset_match_free(&sr->keys[i].cm);
		free(sr->keys[i].ranges);
	}
	if (sr->curfd != -1)
		(void)close(sr->curfd);
	free(sr->list);
	free(sr->buf);
	free(sr);
}

/* search_use_cache: tell the cache which header fields this search
 * looks at; more than it keeps, and the files are read. */
static void
search_use_cache(struct search *sr, uint16_t nnodes)
{
	const char *names[SEARCH_CACHE_NAMES], *name;
	size_t n = 0, j;
	uint16_t i;

	for (i = 0; i < nnodes; i++) {
		if (sr->nodes[i].key == IMAP_SK_HEADER)
			name = sr->keys[i].field;
		else if (sr->nodes[i].key < sizeof(search_fields) /
		    sizeof(search_fields[0]))
			name = search_fields[sr->nodes[i].key];
		else
			name = NULL;
		if (name == NULL || name[0] == '\0')
			continue;
		for (j = 0; j < n && strcasecmp(names[j], name) != 0; j++)
			continue;
		if (j < n)
			continue;
		if (n == SEARCH_CACHE_NAMES)
			return;
		names[n++] = name;
	}
	sr->cache = search_cache_begin(sr->v->folder, sr->v->uidvalidity,
	    names, n);
}

/* ---- reading the message ---------------------------------------------- */

/* search_header_end: the length of the header in p[0..len) up to and
 * including the empty line that ends it, or 0 when none is there yet;
 * from: where a line end not yet judged may start. */
static size_t
search_header_end(const char *p, size_t len, size_t from)
{
	const char *q;
	size_t j;

	if (from == 0 && len > 0 && p[0] == '\n')
		return 1;
	if (from == 0 && len > 1 && p[0] == '\r' && p[1] == '\n')
		return 2;
	while (from < len && (q = memchr(p + from, '\n', len - from)) != NULL) {
		j = (size_t)(q - p) + 1;
		if (j < len && p[j] == '\n')
			return j + 1;
		if (j + 1 < len && p[j] == '\r' && p[j + 1] == '\n')
			return j + 2;
		from = j;
	}
	return 0;
}

/* search_read: up to n more octets of the file into the buffer; the
 * number read (0 at the end), or -1 (logged). */
static ssize_t
search_read(struct search *sr, size_t n)
{
	ssize_t got;
	char *grown;

	if (n > sr->fsize - sr->len)
		n = sr->fsize - sr->len;
	if (n == 0)
		return 0;
	/* The buffer grows as far as is read: a header search of a large
	 * message holds its header only. */
	if (sr->len + n + 1 > sr->cap) {
		if ((grown = realloc(sr->buf, sr->len + n + 1)) == NULL)
			fatal("out of memory");
		sr->buf = grown;
		sr->cap = sr->len + n + 1;
	}
	do
		got = read(sr->fd, sr->buf + sr->len, n);
	while (got == -1 && errno == EINTR);
	if (got == -1) {
		log_warn("%s: folder %s: message UID %u could not be read "
		    "for a search", sr->s->m->user, sr->v->folder, sr->m->uid);
		return -1;
	}
	sr->len += (size_t)got;
	return got;
}

/*
 * search_open_file: the message's file in cur/, as store_msg_open opens
 * it (O_NOFOLLOW, a regular file only), but relative to cur/ opened once
 * per SEARCH: store_msg_open opens and closes the directory for every
 * message, two system calls of six, a quarter of a header search.  The
 * names come from the index, which took them from store_sync's checks.
 * Fills *st; the descriptor, or -1 with errno.
 */
static int
search_open_file(struct search *sr, struct stat *st)
{
	char path[STORE_FOLDER_NAME_MAX + 8];
	int fd;

	if (sr->curfd == -1 && store_folder_path(sr->v->folder, path,
	    sizeof(path) - 4) == 0) {
		(void)strcat(path, "/cur");
		sr->curfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	}
	if (sr->curfd == -1)
		fd = store_msg_open(sr->s->store, sr->v->folder, &sr->sm);
	else if (memchr(sr->sm.name, '\0', sizeof(sr->sm.name)) == NULL ||
	    strchr(sr->sm.name, '/') != NULL || sr->sm.name[0] == '.') {
		errno = EINVAL;
		return -1;
	} else
		fd = openat(sr->curfd, sr->sm.name, O_RDONLY | O_NOFOLLOW |
		    O_CLOEXEC | O_NONBLOCK);
	if (fd == -1)
		return -1;
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode)) {
		(void)close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/* search_open: the message's file, opened, the buffer ready for it.
 * 0, or -1 when it is gone (another session expunged it) or unreadable
 * (logged). */
static int
search_open(struct search *sr)
{
	struct imap_sess *s = sr->s;
	struct stat st;

	sr->fd = search_open_file(sr, &st);
	if (sr->fd == -1 && errno == ENOENT &&
	    store_msg_get(s->store, sr->v->folder, sr->m->uid, &sr->sm) == 0)
		/* Renamed for new flags since the listing was read. */
		sr->fd = search_open_file(sr, &st);
	if (sr->fd == -1) {
		if (errno != ENOENT)
			log_warn("%s: folder %s: message UID %u could not be "
			    "opened for a search", s->m->user, sr->v->folder,
			    sr->m->uid);
		return -1;
	}
	if (st.st_size < 0 || (uint64_t)st.st_size >= SIZE_MAX) {
		log_warnx("%s: folder %s: message UID %u is too large to "
		    "search", s->m->user, sr->v->folder, sr->m->uid);
		return -1;
	}
	sr->fsize = (size_t)st.st_size;
	sr->len = 0;
	return 0;
}

/* search_header_msg: the header block p (len octets) as a one-part
 * message in sr->mm, for mime_search_header. */
static void
search_header_msg(struct search *sr, const char *p, size_t len)
{
	memset(&sr->hpart, 0, sizeof(sr->hpart));
	memset(&sr->mm, 0, sizeof(sr->mm));
	sr->hpart.parent = sr->hpart.child = sr->hpart.next = MIME_NONE;
	sr->hpart.hdr.len = len;
	sr->hpart.body.off = len;
	sr->mm.buf = p;
	sr->mm.len = len;
	sr->mm.parts = &sr->hpart;
	sr->mm.nparts = 1;
}

/* search_load_header: the header read, as a one-part message in sr->mm.
 * 0, or -1 when the message cannot be read (sr->gone is set). */
static int
search_load_header(struct search *sr)
{
	size_t end = 0, from;
	ssize_t got;

	if (sr->gone)
		return -1;
	if (sr->stage >= SEARCH_COST_HEADER)
		return 0;
	if (search_open(sr) == -1) {
		sr->gone = 1;
		return -1;
	}
	while (end == 0) {
		from = sr->len > 2 ? sr->len - 2 : 0;
		if ((got = search_read(sr, SEARCH_CHUNK)) == -1) {
			sr->gone = 1;
			return -1;
		}
		if (got == 0)
			break;
		end = search_header_end(sr->buf, sr->len, from);
	}
	sr->hlen = end ? end : sr->len;
	search_header_msg(sr, sr->buf, sr->hlen);
	sr->stage = SEARCH_COST_HEADER;
	return 0;
}

/* search_load_body: the whole message read and parsed into sr->mm. */
static int
search_load_body(struct search *sr)
{
	ssize_t got;

	if (search_load_header(sr) == -1)
		return -1;
	if (sr->stage >= SEARCH_COST_BODY)
		return 0;
	while ((got = search_read(sr, sr->fsize - sr->len)) > 0)
		continue;
	if (got == -1) {
		sr->gone = 1;
		return -1;
	}
	if (mime_parse(&sr->mm, sr->buf, sr->len) == -1)
		fatal("out of memory");
	sr->parsed = 1;
	sr->stage = SEARCH_COST_BODY;
	return 0;
}

/* search_header: the header's fields for the header keys: from the
 * cache, or read from the file (and then cached). */
static int
search_header(struct search *sr)
{
	const char *p;
	size_t len;

	if (sr->gone)
		return -1;
	if (sr->stage >= SEARCH_COST_HEADER || sr->cached)
		return 0;
	if (sr->cache && search_cache_get(sr->m->uid, &p, &len)) {
		search_header_msg(sr, p, len);
		sr->cached = 1;
		return 0;
	}
	if (search_load_header(sr) == -1)
		return -1;
	if (sr->cache)
		search_cache_put(sr->m->uid, sr->buf, sr->hlen);
	return 0;
}

/* search_done_msg: what reading the message left open, closed. */
static void
search_done_msg(struct search *sr)
{
	if (sr->parsed)
		mime_free(&sr->mm);
	if (sr->fd != -1 && close(sr->fd) == -1)
		log_warn("%s: folder %s: closing a message after a search",
		    sr->s->m->user, sr->v->folder);
	sr->fd = -1;
	sr->parsed = 0;
	sr->cached = 0;
	sr->stage = SEARCH_COST_LIST;
	sr->sent_state = 0;
	sr->gone = 0;
}

/* ---- matching ----------------------------------------------------------- */

static int
search_uid_saved(const struct imap_sess *s, uint32_t uid)
{
	size_t lo = 0, hi = s->nsaved, mid;

	/* s->saved is ascending: this file writes it so. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->saved[mid] < uid)
			lo = mid + 1;
		else if (s->saved[mid] > uid)
			hi = mid;
		else
			return 1;
	}
	return 0;
}

/* search_set_has: whether the message is in node i's set. */
static int
search_set_has(struct search *sr, int16_t i, int uid)
{
	const struct search_key *k = &sr->keys[i];

	if (sr->nodes[i].set.saved)
		return search_uid_saved(sr->s, sr->m->uid);
	return imap_ranges_contains(k->ranges, (size_t)k->nranges,
	    uid ? sr->m->uid : sr->i + 1);
}

/* search_date_match: the key's date against day (both 00:00 UTC). */
static int
search_date_match(int key, int64_t day, int64_t date)
{
	switch (key) {
	case IMAP_SK_BEFORE:
	case IMAP_SK_SENTBEFORE:
		return day < date;
	case IMAP_SK_ON:
	case IMAP_SK_SENTON:
		return day == date;
	default:
		return day >= date;
	}
}

/* search_flag_key: a key on the view (flags, sets, modseq) or the
 * listing (size, internal date). */
static int
search_flag_key(struct search *sr, int16_t i)
{
	const struct imap_snode *n = &sr->nodes[i];
	const struct imap_vmsg *m = sr->m;
	int recent = m->uid >= sr->v->recent_uid;

	switch (n->key) {
	case IMAP_SK_ALL:		return 1;
	case IMAP_SK_ANSWERED:		return (m->flags & STORE_ANSWERED) != 0;
	case IMAP_SK_UNANSWERED:	return (m->flags & STORE_ANSWERED) == 0;
	case IMAP_SK_DELETED:		return (m->flags & STORE_DELETED) != 0;
	case IMAP_SK_UNDELETED:		return (m->flags & STORE_DELETED) == 0;
	case IMAP_SK_DRAFT:		return (m->flags & STORE_DRAFT) != 0;
	case IMAP_SK_UNDRAFT:		return (m->flags & STORE_DRAFT) == 0;
	case IMAP_SK_FLAGGED:		return (m->flags & STORE_FLAGGED) != 0;
	case IMAP_SK_UNFLAGGED:		return (m->flags & STORE_FLAGGED) == 0;
	case IMAP_SK_SEEN:		return (m->flags & STORE_SEEN) != 0;
	case IMAP_SK_UNSEEN:		return (m->flags & STORE_SEEN) == 0;
	case IMAP_SK_RECENT:		return recent;
	case IMAP_SK_OLD:		return !recent;
	case IMAP_SK_NEW:
		return recent && (m->flags & STORE_SEEN) == 0;
	case IMAP_SK_KEYWORD:
		return (m->keywords & sr->keys[i].kwbit) != 0;
	case IMAP_SK_UNKEYWORD:
		return (m->keywords & sr->keys[i].kwbit) == 0;
	case IMAP_SK_UID:		return search_set_has(sr, i, 1);
	case IMAP_SK_SEQSET:		return search_set_has(sr, i, 0);
	case IMAP_SK_MODSEQ:		return m->modseq >= n->num;
	case IMAP_SK_LARGER:		return sr->sm.size > n->num;
	case IMAP_SK_SMALLER:		return sr->sm.size < n->num;
	}
	return search_date_match(n->key, search_day(sr->sm.internal_date),
	    n->date);
}

/* search_cheap: node i judged without the file. */
static enum search_val
search_cheap(struct search *sr, int16_t i)
{
	const struct imap_snode *n = &sr->nodes[i];
	enum search_val v, w;
	int16_t ch;
	int open = 0;

	switch (n->key) {
	case IMAP_SK_AND:
		for (ch = n->child; ch != -1; ch = sr->nodes[ch].next) {
			if ((v = search_cheap(sr, ch)) == SEARCH_FALSE)
				return SEARCH_FALSE;
			open |= v == SEARCH_UNKNOWN;
		}
		return open ? SEARCH_UNKNOWN : SEARCH_TRUE;
	case IMAP_SK_OR:
		v = search_cheap(sr, n->child);
		if (v == SEARCH_TRUE)
			return v;
		w = search_cheap(sr, sr->nodes[n->child].next);
		if (w == SEARCH_TRUE || (v == SEARCH_FALSE && w == SEARCH_FALSE))
			return w;
		return SEARCH_UNKNOWN;
	case IMAP_SK_NOT:
		v = search_cheap(sr, n->child);
		return v == SEARCH_UNKNOWN ? v :
		    v == SEARCH_TRUE ? SEARCH_FALSE : SEARCH_TRUE;
	}
	if (sr->keys[i].cost >= SEARCH_COST_HEADER)
		return SEARCH_UNKNOWN;
	return search_flag_key(sr, i) ? SEARCH_TRUE : SEARCH_FALSE;
}

/* search_sent: the Date: field's day, read once per message. */
static int
search_sent(struct search *sr)
{
	const struct mime_part *h = &sr->mm.parts[0];
	struct mime_field f;

	if (sr->sent_state == 0) {
		sr->sent_state = 2;
		if (mime_field_find(sr->mm.buf + h->hdr.off, h->hdr.len,
		    "date", &f) && search_sent_date(f.value, f.value_len,
		    &sr->sent) == 0)
			sr->sent_state = 1;
	}
	return sr->sent_state == 1;
}

/* search_file_key: a key that needs the file. */
static int
search_file_key(struct search *sr, int16_t i)
{
	const struct imap_snode *n = &sr->nodes[i];
	struct search_key *k = &sr->keys[i];

	if (k->cost == SEARCH_COST_BODY) {
		if (search_load_body(sr) == -1)
			return 0;
		if (n->key == IMAP_SK_BODY)
			return mime_search_body(&sr->mm, &k->cm);
		return mime_search_text(&sr->mm, &k->cm);
	}
	if (search_header(sr) == -1)
		return 0;
	switch (n->key) {
	case IMAP_SK_HEADER:
		return k->field[0] != '\0' &&
		    mime_search_header(&sr->mm, 0, k->field, &k->cm);
	case IMAP_SK_SENTBEFORE: case IMAP_SK_SENTON: case IMAP_SK_SENTSINCE:
		return search_sent(sr) &&
		    search_date_match(n->key, sr->sent, n->date);
	}
	return mime_search_header(&sr->mm, 0, search_fields[n->key], &k->cm);
}

static int search_full(struct search *, int16_t);

/* search_full_and: the children of an AND still open, header keys
 * before body keys; the cheap ones were judged already. */
static int
search_full_and(struct search *sr, int16_t i)
{
	int16_t ch;
	int cost;

	for (ch = sr->nodes[i].child; ch != -1; ch = sr->nodes[ch].next)
		if (search_cheap(sr, ch) == SEARCH_FALSE)
			return 0;
	for (cost = SEARCH_COST_HEADER; cost <= SEARCH_COST_BODY; cost++)
		for (ch = sr->nodes[i].child; ch != -1;
		    ch = sr->nodes[ch].next)
			if (sr->keys[ch].cost == cost &&
			    search_cheap(sr, ch) == SEARCH_UNKNOWN &&
			    !search_full(sr, ch))
				return 0;
	return 1;
}

/* search_full_or: the cheaper side first. */
static int
search_full_or(struct search *sr, int16_t i)
{
	int16_t a = sr->nodes[i].child, b = sr->nodes[a].next, t;

	if (search_cheap(sr, a) == SEARCH_TRUE ||
	    search_cheap(sr, b) == SEARCH_TRUE)
		return 1;
	if (sr->keys[b].cost < sr->keys[a].cost) {
		t = a;
		a = b;
		b = t;
	}
	return search_full(sr, a) || search_full(sr, b);
}

/* search_full: node i judged, reading the file when it must. */
static int
search_full(struct search *sr, int16_t i)
{
	switch (sr->nodes[i].key) {
	case IMAP_SK_AND:
		return search_full_and(sr, i);
	case IMAP_SK_OR:
		return search_full_or(sr, i);
	case IMAP_SK_NOT:
		return !search_full(sr, sr->nodes[i].child);
	}
	if (sr->keys[i].cost < SEARCH_COST_HEADER)
		return search_flag_key(sr, i);
	return search_file_key(sr, i);
}

/* search_message: whether the message at view index i matches. */
static int
search_message(struct search *sr, uint32_t i)
{
	enum search_val v;
	int r;

	sr->i = i;
	sr->m = &sr->v->msgs[i];
	if (sr->keys[0].cost >= SEARCH_COST_LIST) {
		while (sr->at < sr->nlist && sr->list[sr->at].uid < sr->m->uid)
			sr->at++;
		if (sr->at == sr->nlist || sr->list[sr->at].uid != sr->m->uid)
			return 0;	/* expunged by another session */
		sr->sm = sr->list[sr->at];
	}
	if ((v = search_cheap(sr, 0)) != SEARCH_UNKNOWN)
		return v == SEARCH_TRUE;
	r = search_full(sr, 0) && !sr->gone;
	search_done_msg(sr);
	return r;
}

/* ---- the answer --------------------------------------------------------- */

static uint32_t
search_value(const struct imap_sess *s, int uid, uint32_t i)
{
	return uid ? s->view->msgs[i].uid : i + 1;
}

/* search_put_set: the hits as a compact sequence set ("2,5:9"). */
static void
search_put_set(struct imap_sess *s, int uid, const uint32_t *hits,
    uint32_t n)
{
	const char *sep = "";
	uint32_t k, lo, hi, val;

	lo = hi = search_value(s, uid, hits[0]);
	for (k = 1; k <= n; k++) {
		val = k < n ? search_value(s, uid, hits[k]) : 0;
		if (k < n && val == hi + 1) {
			hi = val;
			continue;
		}
		if (lo == hi)
			imap_printf(s, "%s%u", sep, lo);
		else
			imap_printf(s, "%s%u:%u", sep, lo, hi);
		sep = ",";
		lo = hi = val;
	}
}

/* search_modseq: the highest modseq of the hits reported (RFC 7162
 * 3.1.5; with MIN or MAX alone, of those two). */
static uint64_t
search_modseq(const struct imap_sess *s, uint32_t ret, const uint32_t *hits,
    uint32_t n)
{
	const struct imap_vmsg *msgs = s->view->msgs;
	uint64_t top = 0;
	uint32_t k;

	if (!(ret & (IMAP_SR_ALL | IMAP_SR_COUNT))) {
		if (ret & IMAP_SR_MIN)
			top = msgs[hits[0]].modseq;
		if ((ret & IMAP_SR_MAX) && msgs[hits[n - 1]].modseq > top)
			top = msgs[hits[n - 1]].modseq;
		return top;
	}
	for (k = 0; k < n; k++)
		if (msgs[hits[k]].modseq > top)
			top = msgs[hits[k]].modseq;
	return top;
}

/* search_answer_esearch: "* ESEARCH (TAG "t") [UID] ..." (RFC 4731). */
static void
search_answer_esearch(struct imap_sess *s, const struct imap_cmd *c,
    uint32_t ret, int modseq, const uint32_t *hits, uint32_t n)
{
	imap_printf(s, "* ESEARCH (TAG \"%s\")%s", c->tag,
	    c->uid ? " UID" : "");
	if ((ret & IMAP_SR_MIN) && n > 0)
		imap_printf(s, " MIN %u", search_value(s, c->uid, hits[0]));
	if ((ret & IMAP_SR_MAX) && n > 0)
		imap_printf(s, " MAX %u", search_value(s, c->uid,
		    hits[n - 1]));
	if (ret & IMAP_SR_COUNT)
		imap_printf(s, " COUNT %u", n);
	if ((ret & IMAP_SR_ALL) && n > 0) {
		imap_put(s, " ALL ", 5);
		search_put_set(s, c->uid, hits, n);
	}
	if (modseq && n > 0)
		imap_printf(s, " MODSEQ %llu",
		    (unsigned long long)search_modseq(s, ret, hits, n));
	imap_put(s, "\r\n", 2);
}

/* search_answer: the untagged answer, as the client asked for it. */
static void
search_answer(struct imap_sess *s, const struct imap_cmd *c, int modseq,
    const uint32_t *hits, uint32_t n)
{
	uint32_t ret = c->u.search.ret, k;

	if (c->u.search.ret_given || (s->enabled & IMAP_EN_REV2)) {
		if (!c->u.search.ret_given)
			ret = IMAP_SR_ALL;	/* RFC 9051 6.4.4 */
		/* RETURN (SAVE) alone answers nothing (RFC 5182 2.1). */
		if ((ret & ~(uint32_t)IMAP_SR_SAVE) != 0)
			search_answer_esearch(s, c, ret, modseq, hits, n);
		return;
	}
	imap_put(s, "* SEARCH", 8);
	for (k = 0; k < n; k++)
		imap_printf(s, " %u", search_value(s, c->uid, hits[k]));
	if (modseq && n > 0)
		imap_printf(s, " (MODSEQ %llu)", (unsigned long long)
		    search_modseq(s, IMAP_SR_ALL, hits, n));
	imap_put(s, "\r\n", 2);
}

/* search_save: the result's UIDs for "$" (RFC 5182 2.1: with MIN or MAX
 * and neither ALL nor COUNT, only those are kept).  Ascending. */
static void
search_save(struct imap_sess *s, uint32_t ret, const uint32_t *hits,
    uint32_t n)
{
	const struct imap_vmsg *msgs = s->view->msgs;
	uint32_t k;

	free(s->saved);
	s->saved = NULL;
	s->nsaved = 0;
	if (n == 0)
		return;
	if ((s->saved = calloc(n, sizeof(*s->saved))) == NULL)
		fatal("out of memory");
	if (!(ret & (IMAP_SR_ALL | IMAP_SR_COUNT)) &&
	    (ret & (IMAP_SR_MIN | IMAP_SR_MAX))) {
		if (ret & IMAP_SR_MIN)
			s->saved[s->nsaved++] = msgs[hits[0]].uid;
		if ((ret & IMAP_SR_MAX) && (n > 1 || !(ret & IMAP_SR_MIN)))
			s->saved[s->nsaved++] = msgs[hits[n - 1]].uid;
		return;
	}
	for (k = 0; k < n; k++)
		s->saved[s->nsaved++] = msgs[hits[k]].uid;
}

void
cmd_search(struct imap_sess *s, const struct imap_cmd *c)
{
	const struct imap_view *v = s->view;
	struct search *sr;
	uint32_t *hits, n = 0, i;
	int save = (c->u.search.ret & IMAP_SR_SAVE) != 0;

	if ((sr = calloc(1, sizeof(*sr))) == NULL ||
	    (hits = calloc(v->n ? v->n : 1, sizeof(*hits))) == NULL)
		fatal("out of memory");
	sr->s = s;
	sr->v = v;
	sr->nodes = c->u.search.nodes;
	sr->fd = -1;
	sr->curfd = -1;
	sr->stage = SEARCH_COST_LIST;
	if (search_prepare_node(sr, 0) == -1)
		goto fail;	/* answered */
	if (sr->keys[0].cost >= SEARCH_COST_LIST && v->n > 0 &&
	    store_list(s->store, v->folder, &sr->list, &sr->nlist) == -1) {
		log_warnx("%s: folder %s could not be listed for a search",
		    s->m->user, v->folder);
		imap_no(s, "SERVERBUG", "The mailbox could not be read");
		goto fail;
	}
	search_use_cache(sr, c->u.search.nnodes);
	if (sr->has_modseq)
		imap_want_condstore(s);
	for (i = 0; i < v->n; i++)
		if (search_message(sr, i))
			hits[n++] = i;
	search_answer(s, c, sr->has_modseq, hits, n);
	if (save)
		search_save(s, c->u.search.ret, hits, n);
	imap_ok(s, NULL, "%sSEARCH completed", c->uid ? "UID " : "");
	goto done;
fail:
	/* A failed SEARCH ... SAVE leaves "$" empty (RFC 5182 2.1). */
	if (save)
		search_save(s, 0, hits, 0);
done:
	if (sr->list != NULL)
		store_trim(s->store);
	search_free(sr);
	free(hits);
}
