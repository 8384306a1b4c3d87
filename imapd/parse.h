/*
 * parse.h: the IMAP command parser: one complete command, as the reader
 * (reader.h) framed it, into a tagged, typed structure.  Grammar of RFC
 * 3501 (IMAP4rev1) and RFC 9051 (IMAP4rev2) with IDLE, NAMESPACE, UIDPLUS,
 * MOVE, SPECIAL-USE, ID, ENABLE, SASL-IR, UNSELECT, CONDSTORE, QRESYNC,
 * ESEARCH, SEARCHRES, LIST-EXTENDED, LIST-STATUS, STATUS=SIZE, QUOTA,
 * LITERAL+, BINARY and UTF8=ACCEPT.
 *
 * Runs in imapd's net process (not authenticated state) and mail process
 * (authenticated and selected states).  The command comes straight from
 * the client and is trusted for nothing: every token is checked against
 * its ABNF, every number for overflow, every list against a fixed limit
 * (below), and recursion (search keys) against a depth limit.  No
 * allocation, no I/O: the result is a fixed-size structure whose strings
 * point into the caller's command buffer.
 *
 * Errors are precise: "FETCH: unknown fetch item at octet 10 (near
 * \"BODYX\")"; text quoted from the client is one token of at most 16
 * octets, never from a literal nor from LOGIN or AUTHENTICATE, and its
 * octets outside printable ASCII (and quotes and backslashes) are
 * replaced by '?', so the reason can go into a "BAD" reply and a log
 * line as it is.
 */
#ifndef IMAPD_PARSE_H
#define IMAPD_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "imapd/reader.h"

/* Limits of one parsed command; each one exceeded is a BAD [LIMIT]. */
#define IMAP_TAG_MAX		64	/* octets of a tag */
#define IMAP_FETCH_ATTS_MAX	32	/* FETCH items (after macros) */
#define IMAP_HDRS_MAX		64	/* HEADER.FIELDS names, all items */
#define IMAP_PART_DEPTH_MAX	16	/* section part numbers, 1.2.3... */
#define IMAP_SEARCH_NODES_MAX	256	/* search keys, AND/OR/NOT included */
#define IMAP_SEARCH_DEPTH_MAX	32	/* nested parentheses, NOT and OR */
#define IMAP_FLAGS_MAX		64	/* flags in a STORE/APPEND list */
#define IMAP_LIST_PATTERNS_MAX	16	/* LIST-EXTENDED patterns */
#define IMAP_PATTERN_MAX	1024	/* octets of one LIST pattern */
#define IMAP_ENABLE_MAX		16	/* ENABLE capabilities */
#define IMAP_ID_MAX		30	/* ID pairs (RFC 2971 section 3.3) */
#define IMAP_ID_FIELD_MAX	30	/* octets of an ID field name */
#define IMAP_ID_VALUE_MAX	1024	/* octets of an ID value */
#define IMAP_QUOTA_RES_MAX	8	/* SETQUOTA resources */
#define IMAP_ERR_MAX		160	/* the reason for BAD/NO, with NUL */

/* States, RFC 9051 section 3; a bit mask in the command table. */
enum imap_state {
	IMAP_S_NOTAUTH = 0x01,
	IMAP_S_AUTH = 0x02,
	IMAP_S_SELECTED = 0x04,
};

/* Flags for imap_parse. */
#define IMAP_PF_UTF8	0x01	/* UTF8=ACCEPT enabled (RFC 6855): 8-bit
				 * octets allowed in quoted strings */

enum imap_verb {
	IMAP_APPEND, IMAP_AUTHENTICATE, IMAP_CAPABILITY, IMAP_CHECK,
	IMAP_CLOSE, IMAP_COPY, IMAP_CREATE, IMAP_DELETE, IMAP_ENABLE,
	IMAP_EXAMINE, IMAP_EXPUNGE, IMAP_FETCH, IMAP_GETQUOTA,
	IMAP_GETQUOTAROOT, IMAP_ID, IMAP_IDLE, IMAP_LIST, IMAP_LOGIN,
	IMAP_LOGOUT, IMAP_LSUB, IMAP_MOVE, IMAP_NAMESPACE, IMAP_NOOP,
	IMAP_RENAME, IMAP_SEARCH, IMAP_SELECT, IMAP_SETQUOTA, IMAP_STATUS,
	IMAP_STORE, IMAP_SUBSCRIBE, IMAP_UNSELECT, IMAP_UNSUBSCRIBE,
	IMAP_NVERBS
};

/* Results of imap_parse. */
enum imap_parse_result {
	IMAP_PARSE_OK = 0,
	IMAP_PARSE_BAD = -1,	/* "<tag> BAD [code] err" */
	IMAP_PARSE_NO = -2,	/* "<tag> NO [code] err" (BADCHARSET,
				 * USEATTR) */
};

/*
 * A string argument.  p/len are the raw octets in the command buffer:
 * an atom as it is, a quoted string between its quotes with its
 * backslash escapes still in place (escaped set; imap_str_copy removes
 * them), a literal's octets.  Not NUL-terminated.
 */
enum imap_str_kind {
	IMAP_STR_NONE = 0,	/* argument absent */
	IMAP_STR_NIL,		/* NIL (nstring) */
	IMAP_STR_ATOM,
	IMAP_STR_QUOTED,
	IMAP_STR_LITERAL,	/* kept in the buffer; lit is its index */
	IMAP_STR_EXTERNAL,	/* octets went to the caller (reader.h);
				 * p is NULL, size is the literal's size */
};

struct imap_str {
	const char	*p;
	size_t		 len;
	uint64_t	 size;		/* octets of the value (escapes
					 * removed; the external size) */
	uint8_t		 kind;		/* enum imap_str_kind */
	uint8_t		 escaped;	/* quoted, with backslashes */
	uint8_t		 binary;	/* literal8 "~{n}" (APPEND only) */
	uint8_t		 lit;		/* reader literal index, for
					 * LITERAL and EXTERNAL */
};

/*
 * A sequence set (RFC 9051 section 9 sequence-set, RFC 5182 "$"), kept
 * as its validated text so that "1:4294967295" costs nothing; see the
 * iterator and membership test below.  saved: the set is "$" (the
 * caller substitutes its saved search result; p/len then hold "$").
 */
struct imap_seqset {
	const char	*p;
	size_t		 len;
	uint32_t	 nranges;	/* numbers and ranges in the text */
	uint8_t		 saved;
	uint8_t		 star;		/* contains "*" */
};

/* System flags (bit mask). */
#define IMAP_F_ANSWERED	0x01
#define IMAP_F_FLAGGED	0x02
#define IMAP_F_DELETED	0x04
#define IMAP_F_SEEN	0x08
#define IMAP_F_DRAFT	0x10

/* A flag list: the system flags as bits, keywords as atoms. \Recent and
 * unknown "\..." flags are a BAD. */
struct imap_flags {
	uint32_t	 sys;
	uint16_t	 nkw;
	struct imap_str	 kw[IMAP_FLAGS_MAX];
};

/* SPECIAL-USE attributes (RFC 6154), CREATE ... (USE (...)). */
#define IMAP_USE_ALL		0x01
#define IMAP_USE_ARCHIVE	0x02
#define IMAP_USE_DRAFTS		0x04
#define IMAP_USE_FLAGGED	0x08
#define IMAP_USE_JUNK		0x10
#define IMAP_USE_SENT		0x20
#define IMAP_USE_TRASH		0x40

/* STATUS items (bit mask). */
#define IMAP_ST_MESSAGES	0x001
#define IMAP_ST_RECENT		0x002
#define IMAP_ST_UIDNEXT		0x004
#define IMAP_ST_UIDVALIDITY	0x008
#define IMAP_ST_UNSEEN		0x010
#define IMAP_ST_DELETED		0x020	/* RFC 9051 */
#define IMAP_ST_SIZE		0x040	/* RFC 8438, RFC 9051 */
#define IMAP_ST_HIGHESTMODSEQ	0x080	/* RFC 7162 */
#define IMAP_ST_APPENDLIMIT	0x100	/* RFC 7889 */
#define IMAP_ST_MAILBOXID	0x200	/* RFC 8474 */

/* LIST selection options (RFC 5258, RFC 6154). */
#define IMAP_LS_SUBSCRIBED	0x01
#define IMAP_LS_REMOTE		0x02
#define IMAP_LS_RECURSIVEMATCH	0x04
#define IMAP_LS_SPECIALUSE	0x08
/* LIST return options (RFC 5258, RFC 5819, RFC 6154). */
#define IMAP_LR_SUBSCRIBED	0x01
#define IMAP_LR_CHILDREN	0x02
#define IMAP_LR_SPECIALUSE	0x04
#define IMAP_LR_STATUS		0x08	/* status items in list.status */

/* SEARCH RETURN options (RFC 4731, RFC 5182). */
#define IMAP_SR_MIN	0x01
#define IMAP_SR_MAX	0x02
#define IMAP_SR_ALL	0x04
#define IMAP_SR_COUNT	0x08
#define IMAP_SR_SAVE	0x10

enum imap_fetch_kind {
	IMAP_FA_ENVELOPE, IMAP_FA_FLAGS, IMAP_FA_INTERNALDATE,
	IMAP_FA_RFC822, IMAP_FA_RFC822_HEADER, IMAP_FA_RFC822_SIZE,
	IMAP_FA_RFC822_TEXT, IMAP_FA_BODY, IMAP_FA_BODYSTRUCTURE,
	IMAP_FA_UID, IMAP_FA_MODSEQ,
	IMAP_FA_SECTION,	/* BODY[...] and BODY.PEEK[...] */
	IMAP_FA_BINARY,		/* BINARY[...] and BINARY.PEEK[...] */
	IMAP_FA_BINARY_SIZE,	/* BINARY.SIZE[...] */
};

enum imap_section_text {
	IMAP_SEC_ALL = 0,	/* "[]" or "[1.2]": the whole part */
	IMAP_SEC_HEADER, IMAP_SEC_HEADER_FIELDS, IMAP_SEC_HEADER_FIELDS_NOT,
	IMAP_SEC_TEXT, IMAP_SEC_MIME,
};

struct imap_fetch_att {
	uint8_t		 kind;		/* enum imap_fetch_kind */
	uint8_t		 peek;		/* .PEEK: do not set \Seen */
	uint8_t		 text;		/* enum imap_section_text */
	uint8_t		 nparts;
	uint32_t	 part[IMAP_PART_DEPTH_MAX];	/* "1.2" = {1, 2} */
	uint16_t	 hdr_first;	/* HEADER.FIELDS[.NOT]: names are */
	uint16_t	 nhdrs;		/* fetch.hdrs[hdr_first..+nhdrs] */
	uint8_t		 partial;	/* <origin.count> given */
	uint32_t	 origin, count;
};

/* FETCH macros (RFC 9051 6.4.5), expanded into atts; kept for logs. */
enum imap_fetch_macro {
	IMAP_FM_NONE, IMAP_FM_ALL, IMAP_FM_FAST, IMAP_FM_FULL,
};

/* Search keys; AND has its children in a list, OR two, NOT one. */
enum imap_skey {
	IMAP_SK_AND, IMAP_SK_OR, IMAP_SK_NOT,
	IMAP_SK_ALL, IMAP_SK_ANSWERED, IMAP_SK_BCC, IMAP_SK_BEFORE,
	IMAP_SK_BODY, IMAP_SK_CC, IMAP_SK_DELETED, IMAP_SK_DRAFT,
	IMAP_SK_FLAGGED, IMAP_SK_FROM, IMAP_SK_HEADER, IMAP_SK_KEYWORD,
	IMAP_SK_LARGER, IMAP_SK_NEW, IMAP_SK_OLD, IMAP_SK_ON,
	IMAP_SK_RECENT, IMAP_SK_SEEN, IMAP_SK_SENTBEFORE, IMAP_SK_SENTON,
	IMAP_SK_SENTSINCE, IMAP_SK_SINCE, IMAP_SK_SMALLER, IMAP_SK_SUBJECT,
	IMAP_SK_TEXT, IMAP_SK_TO, IMAP_SK_UID, IMAP_SK_UNANSWERED,
	IMAP_SK_UNDELETED, IMAP_SK_UNDRAFT, IMAP_SK_UNFLAGGED,
	IMAP_SK_UNKEYWORD, IMAP_SK_UNSEEN,
	IMAP_SK_SEQSET,		/* a bare sequence set */
	IMAP_SK_MODSEQ,		/* RFC 7162 */
};

/* MODSEQ entry types (RFC 7162 section 3.1.5). */
enum imap_entry_type {
	IMAP_ET_NONE, IMAP_ET_PRIV, IMAP_ET_SHARED, IMAP_ET_ALL,
};

/*
 * One search node.  The tree is nodes[0] (an AND of the top-level keys);
 * child and next are node indexes, -1 for none.  Operands by key:
 *   BCC BODY CC FROM SUBJECT TEXT TO   s1: the string
 *   HEADER                             s1: field name, s2: the string
 *   KEYWORD UNKEYWORD                  s1: the flag keyword (an atom)
 *   BEFORE ON SINCE SENT*              date: 00:00:00 UTC of the date,
 *                                      seconds since the epoch
 *   LARGER SMALLER                     num: octets
 *   UID SEQSET                         set
 *   MODSEQ                             num: mod-sequence; s1: entry name
 *                                      (or NONE), etype
 */
struct imap_snode {
	uint8_t			 key;		/* enum imap_skey */
	uint8_t			 etype;		/* enum imap_entry_type */
	int16_t			 child;
	int16_t			 next;
	uint64_t		 num;
	int64_t			 date;
	struct imap_str		 s1, s2;
	struct imap_seqset	 set;
};

/*
 * The parsed command.  Which member of u is set depends on verb:
 *
 *   CAPABILITY NOOP LOGOUT NAMESPACE IDLE CHECK CLOSE UNSELECT
 *   EXPUNGE                  (nothing; UID EXPUNGE: u.set)
 *   LOGIN                    u.login
 *   AUTHENTICATE             u.auth: mechanism (atom) and the SASL-IR
 *                            initial response (NONE when absent; an
 *                            ATOM of base64 octets, or "=" for empty)
 *   ID                       u.id (n = 0 for NIL or "()")
 *   ENABLE                   u.enable
 *   SELECT EXAMINE           u.select
 *   CREATE                   u.create
 *   DELETE SUBSCRIBE UNSUBSCRIBE GETQUOTAROOT
 *                            u.mailbox
 *   RENAME                   u.rename
 *   LIST LSUB                u.list (LSUB: one pattern, no options)
 *   STATUS                   u.status
 *   APPEND                   u.append
 *   GETQUOTA                 u.quota (root only)
 *   SETQUOTA                 u.quota
 *   SEARCH                   u.search
 *   FETCH                    u.fetch
 *   STORE                    u.store
 *   COPY MOVE                u.copy
 *
 * Mailbox names are returned raw (astring octets); the caller decodes
 * modified UTF-7 and recognises INBOX.
 */
struct imap_cmd {
	char		 tag[IMAP_TAG_MAX + 1];	/* NUL-terminated; "" if none */
	int		 verb;			/* enum imap_verb */
	int		 uid;			/* "UID" prefix */
	const char	*code;			/* response code for BAD/NO */
	char		 err[IMAP_ERR_MAX];	/* reason for BAD/NO */

	union {
		struct imap_seqset	 set;
		struct imap_str		 mailbox;
		struct {
			struct imap_str	 user, pass;
		} login;
		struct {
			struct imap_str	 mech, ir;
		} auth;
		struct {
			uint16_t	 n;
			struct imap_str	 name[IMAP_ID_MAX];
			struct imap_str	 value[IMAP_ID_MAX];	/* or NIL */
		} id;
		struct {
			uint16_t	 n;
			struct imap_str	 cap[IMAP_ENABLE_MAX];
		} enable;
		struct {
			struct imap_str	 mailbox;
			uint8_t		 condstore;
			uint8_t		 qresync;
			uint32_t	 uidvalidity;	/* QRESYNC */
			uint64_t	 modseq;
			struct imap_seqset known_uids;	/* len 0: absent */
			struct imap_seqset match_seq;	/* len 0: absent */
			struct imap_seqset match_uid;
		} select;
		struct {
			struct imap_str	 mailbox;
			uint32_t	 use;		/* IMAP_USE_* */
		} create;
		struct {
			struct imap_str	 from, to;
		} rename;
		struct {
			struct imap_str	 ref;
			uint16_t	 npat;
			struct imap_str	 pat[IMAP_LIST_PATTERNS_MAX];
			uint8_t		 extended;	/* RFC 5258 syntax used:
							 * options or ( ) */
			uint32_t	 select;	/* IMAP_LS_* */
			uint32_t	 ret;		/* IMAP_LR_* */
			uint32_t	 status;	/* IMAP_ST_* */
		} list;
		struct {
			struct imap_str	 mailbox;
			uint32_t	 items;		/* IMAP_ST_* */
		} status;
		struct {
			struct imap_str	 mailbox;
			struct imap_flags flags;
			uint8_t		 has_date;
			int64_t		 date;		/* UTC seconds */
			struct imap_str	 msg;		/* LITERAL or EXTERNAL */
		} append;
		struct {
			struct imap_str	 root;
			uint16_t	 n;
			struct imap_str	 res[IMAP_QUOTA_RES_MAX];
			uint64_t	 limit[IMAP_QUOTA_RES_MAX];
		} quota;
		struct {
			uint8_t		 ret_given;	/* RETURN (...) present */
			uint32_t	 ret;		/* IMAP_SR_*; "()" = ALL */
			struct imap_str	 charset;	/* NONE when absent */
			uint16_t	 nnodes;
			struct imap_snode nodes[IMAP_SEARCH_NODES_MAX];
		} search;
		struct {
			struct imap_seqset set;
			uint8_t		 macro;		/* enum imap_fetch_macro */
			uint16_t	 natts;
			struct imap_fetch_att atts[IMAP_FETCH_ATTS_MAX];
			uint16_t	 nhdrs;
			struct imap_str	 hdrs[IMAP_HDRS_MAX];
			uint8_t		 has_changedsince;
			uint64_t	 changedsince;
			uint8_t		 vanished;	/* UID FETCH only */
		} fetch;
		struct {
			struct imap_seqset set;
			uint8_t		 has_unchangedsince;
			uint64_t	 unchangedsince;
			char		 op;		/* '+', '-', or '=' */
			uint8_t		 silent;
			struct imap_flags flags;
		} store;
		struct {
			struct imap_seqset set;
			struct imap_str	 mailbox;
		} copy;
	} u;
};

/*
 * imap_parse: parse the command in buf (len octets; the literals as the
 * reader recorded them in lits/nlits, which MUST be the reader's own: the
 * parser trusts their offsets to lie inside buf) received in state (one
 * enum imap_state) with flags (IMAP_PF_*).  Returns IMAP_PARSE_OK and
 * fills *out, or IMAP_PARSE_BAD / IMAP_PARSE_NO with out->err (and
 * out->code when a response code goes with it: "LIMIT", "BADCHARSET
 * (UTF-8 US-ASCII)", "USEATTR", "CLIENTBUG").  out->tag is filled as soon
 * as a valid tag was read, so a BAD can be tagged; otherwise it is "" and
 * the answer is "* BAD".  The strings in *out point into buf and live as
 * long as it does.  Never reads outside buf.
 *
 * The command table allows: CAPABILITY NOOP LOGOUT ID in every state;
 * LOGIN AUTHENTICATE only before login; ENABLE only in the authenticated
 * state (RFC 5161 section 3.1, RFC 9051 6.3.1: not with a mailbox
 * selected, and not before login); SELECT EXAMINE CREATE DELETE RENAME
 * SUBSCRIBE UNSUBSCRIBE LIST LSUB NAMESPACE STATUS APPEND IDLE GETQUOTA
 * GETQUOTAROOT SETQUOTA after login; CHECK CLOSE UNSELECT EXPUNGE SEARCH FETCH STORE COPY MOVE (and
 * UID EXPUNGE/SEARCH/FETCH/STORE/COPY/MOVE) with a mailbox selected.
 * SEARCH CHARSET other than UTF-8 and US-ASCII: IMAP_PARSE_NO with
 * BADCHARSET.  CREATE with an unknown USE attribute: IMAP_PARSE_NO with
 * USEATTR.  SETQUOTA is parsed so the caller can refuse it knowingly.
 */
int	imap_parse(const char *buf, size_t len, const struct imap_literal *lits,
	    size_t nlits, int state, int flags, struct imap_cmd *out);

/*
 * imap_parse_tag: the tag at the start of buf (len octets), for a reply
 * to a command the reader dropped.  Copies it NUL-terminated into tag
 * (IMAP_TAG_MAX + 1 octets) and returns 0, or returns -1 ("*" then).
 */
int	imap_parse_tag(const char *buf, size_t len,
	    char tag[IMAP_TAG_MAX + 1]);

/* imap_verb_name: "FETCH", ... for a verb, for logs and replies. */
const char *imap_verb_name(int verb);

/*
 * imap_str_copy: the value of s (escapes removed) into dst (dstsize
 * octets, NUL-terminated).  Returns the value's length, or -1 when it
 * does not fit (dst then holds ""), s is EXTERNAL, NIL or NONE.  The
 * value may hold octets a C string cannot show (never NUL: the parser
 * rejects NUL outside literal8).
 */
long	imap_str_copy(const struct imap_str *s, char *dst, size_t dstsize);

/* imap_str_eq: 1 when the value of s equals the NUL-terminated word,
 * ASCII case-insensitively (for INBOX, charsets, mechanisms), else 0. */
int	imap_str_eq(const struct imap_str *s, const char *word);

/*
 * Sequence sets.  max is the largest number in use (the message count,
 * or the highest UID); "*" stands for it.  An empty mailbox (max 0)
 * makes "*" 0, which no message has.  Ranges come out with lo <= hi, in
 * the client's order, possibly overlapping.  A "$" set MUST be replaced
 * by the caller (it is not iterated: next returns 0 at once).
 */
struct imap_seq_iter {
	const char	*p, *end;
	uint32_t	 max;
};

void	imap_seq_iter_init(struct imap_seq_iter *it,
	    const struct imap_seqset *set, uint32_t max);

/* imap_seq_next: the next range in *lo and *hi; returns 1, or 0 at the
 * end. */
int	imap_seq_next(struct imap_seq_iter *it, uint32_t *lo, uint32_t *hi);

/* imap_seq_contains: 1 when n is in the set given max, else 0.  Linear
 * in the set's length: for one test; for many, imap_seq_ranges. */
int	imap_seq_contains(const struct imap_seqset *set, uint32_t max,
	    uint32_t n);

struct imap_range {
	uint32_t	 lo, hi;
};

/*
 * imap_seq_ranges: the set given max as sorted, merged, disjoint ranges
 * in out (room for outmax; set->nranges is always enough).  Returns
 * their count, or -1 when out is too small.  With them, membership is a
 * binary search: imap_ranges_contains.
 */
long	imap_seq_ranges(const struct imap_seqset *set, uint32_t max,
	    struct imap_range *out, size_t outmax);

/* imap_ranges_contains: 1 when n is in the n sorted disjoint ranges. */
int	imap_ranges_contains(const struct imap_range *r, size_t nr,
	    uint32_t n);

/*
 * Dates.  imap_date_parse: "d-Mon-yyyy" (RFC 9051 date-text; day 1 or 2
 * digits, month name case-insensitive) into seconds since the epoch at
 * 00:00:00 UTC.  imap_datetime_parse: "dd-Mon-yyyy hh:mm:ss +zzzz" (day
 * may start with a space) into UTC seconds.  Both take the text without
 * quotes (len octets), validate every field (day within its month, leap
 * years, hour 00-23, minute 00-59, second 00-60, zone -2359..+2359,
 * year 1..9999) and return 0, or -1.
 */
int	imap_date_parse(const char *s, size_t len, int64_t *t);
int	imap_datetime_parse(const char *s, size_t len, int64_t *t);

#endif
