/*
 * mime.h: the MIME parser that imapd (FETCH ENVELOPE, BODYSTRUCTURE,
 * BODY[section], SEARCH) and smtpd (DSNs, DKIM) use.  It runs in the
 * unprivileged, chrooted, sandboxed mail process: pure functions over a
 * message held in memory, no I/O, no locale, bounded allocation.  It
 * trusts nothing in the message: every byte may be hostile.
 *
 * Wire form.  Message files may hold LF, CRLF or a mix of both.  IMAP
 * sends every bare LF as CRLF and an existing CRLF as it is (a bare CR
 * stays a bare CR), and every size, line count and offset IMAP reports is
 * in that wire form.  Each part therefore knows its header and body both
 * as a range of the file and in wire octets, and mime_wire_* copy a file
 * range out in wire form from any wire offset, without reparsing.
 *
 * Parsing is one linear pass over the lines (memchr for line ends; a line
 * is compared with the open boundaries only when it starts with "--"),
 * with no allocation per byte: only the part table grows, up to
 * MIME_PARTS_MAX entries.  Header fields are parsed again, cheaply, when
 * something is rendered; nothing of the message is copied.
 *
 * Malformed mail always parses:
 *  - a header ends at the first empty line, or at a boundary line of an
 *    enclosing multipart, or at the end of the message; lines without a
 *    colon are kept in the header but name no field;
 *  - a boundary line is "--" boundary followed by nothing but blanks
 *    (a delimiter) or by "--" and anything (the close delimiter).  Lines
 *    are matched against the innermost open multipart first, so a
 *    boundary that is a prefix of another, or an inner multipart's line
 *    that looks like an outer one's, cannot be confused; a boundary equal
 *    to one already open is refused (the part becomes opaque);
 *  - a multipart that never closes ends where its parent ends (a
 *    truncated message: every open part ends at the end of the message);
 *  - parts deeper than MIME_DEPTH_MAX, or after MIME_PARTS_MAX parts,
 *    are not parsed: a multipart or message/rfc822 part at the depth
 *    bound, one that would need a part beyond the count bound, a
 *    multipart without a usable boundary (absent, empty, longer than
 *    MIME_BOUNDARY_MAX) and a message/rfc822 part with a base64 or
 *    quoted-printable encoding become opaque leaves (MIME_OPAQUE), shown
 *    by BODYSTRUCTURE as "application" "octet-stream"; once the count
 *    bound is reached, further parts of an open multipart are not
 *    numbered and their bytes stay in that multipart's body only.
 */
#ifndef POSTERN_MIME_H
#define POSTERN_MIME_H

#include <stddef.h>
#include <stdint.h>

#include "common/charset.h"
#include "common/strbuf.h"

#define MIME_DEPTH_MAX		32	/* root is depth 0 */
#define MIME_PARTS_MAX		1000	/* root included */
#define MIME_BOUNDARY_MAX	200	/* RFC 2046 says 70; some send more */
#define MIME_PARAMS_MAX		64	/* parameters kept per field */
#define MIME_SECTION_PARTS_MAX	64	/* numbers in a section spec */
#define MIME_NONE		UINT32_MAX	/* no part */

enum mime_kind {
	MIME_LEAF,		/* a body that is not parsed further */
	MIME_MULTIPART,		/* children are the body parts */
	MIME_MESSAGE,		/* message/rfc822 or message/global: one
				 * child, the encapsulated message */
	MIME_OPAQUE		/* a container that could not be parsed */
};

/* mime_part.flags */
#define MIME_F_TEXT	0x01	/* text/ *, or no usable Content-Type */
#define MIME_F_DIGEST	0x02	/* multipart/digest: children default to
				 * message/rfc822 */
#define MIME_F_DEFAULT_MSG 0x04	/* no Content-Type, in a digest */

/* A range: bytes [off, off + len) of the file; the same bytes are
 * wire_len octets on the wire, starting at wire octet wire_off of the
 * message. */
struct mime_range {
	size_t	off, len;
	size_t	wire_off, wire_len;
};

/*
 * One part.  Parts are stored in document order (a parent before its
 * children, children in order), so index 0 is the message itself.  The
 * header range includes the empty line that ends it, when there is one;
 * the body follows it.  For a part of a multipart the body ends before
 * the line end that precedes the next boundary line (RFC 2046: that line
 * end belongs to the boundary).  lines is the number of line ends (LF)
 * in the body, which is its number of lines on the wire.
 */
struct mime_part {
	uint32_t	parent, child, next;	/* MIME_NONE when none */
	uint32_t	nchildren;
	uint8_t		depth;
	uint8_t		kind;			/* enum mime_kind */
	uint8_t		flags;			/* MIME_F_* */
	struct mime_range hdr, body;
	size_t		lines;
};

struct mime_msg {
	const char	*buf;		/* the message, not owned */
	size_t		 len;
	size_t		 wire_len;	/* RFC822.SIZE */
	struct mime_part *parts;	/* nparts entries, owned */
	uint32_t	 nparts;
	int		 limited;	/* a bound above was reached */
};

/*
 * mime_parse: parse the len bytes at buf into m.  buf is not copied: it
 * MUST stay valid and unchanged until mime_free(m).  Never fails on the
 * content; returns 0, or -1 when memory runs out (m is then empty and
 * need not be freed).
 */
int	mime_parse(struct mime_msg *m, const char *buf, size_t len);

/* mime_free: release m's part table (not the message). */
void	mime_free(struct mime_msg *m);

/*
 * mime_header_size: the length of the message header at buf (len bytes
 * available), up to and including the empty line that ends it; len when
 * no empty line is found.  For callers that want the ENVELOPE only: parse
 * that prefix and the root's header is the whole header, as in a full
 * parse.  Reads each line once (memchr).
 */
size_t	mime_header_size(const char *buf, size_t len);

/*
 * mime_addr_each: call fn for each address of the RFC 5322 address list
 * in the len bytes at p (a header field's value, folded or not), with
 * its local part and domain as written (quoted strings unquoted; either
 * may be empty when the address lacks it); group names are skipped, the
 * members are not.  The pointers are valid during the call only.  A
 * non-zero return of fn stops the walk.  Returns the number of addresses,
 * or -1 when fn stopped it.  Never fails on garbage: whatever the bytes
 * hold is some list of addresses.
 */
int	mime_addr_each(const char *p, size_t len, int (*fn)(void *ctx,
	    const char *local, size_t llen, const char *domain, size_t dlen),
	    void *ctx);

/* mime_message_root: the part holding the encapsulated message of part
 * i: its child when i is a MIME_MESSAGE part, 0 for i == 0, else
 * MIME_NONE.  That part's header is what ENVELOPE, HEADER and TEXT of i
 * describe. */
uint32_t mime_message_root(const struct mime_msg *m, uint32_t i);

/*
 * ---- Rendering (IMAP syntax, RFC 3501 section 7.4.2 and RFC 9051) ----
 *
 * Each appends to sb and returns 0, or -1 when sb is in error (its cap)
 * or the part index is not below m->nparts.  The result is what follows
 * "ENVELOPE " or "BODYSTRUCTURE " in a FETCH response, and is meant to
 * be cached.
 *
 * mime_envelope_write: the ENVELOPE of the message whose header is part
 * msg_part's (0 for the message; the child of a MIME_MESSAGE part for an
 * encapsulated one).  Fields are taken from their first occurrence;
 * subject, date, in-reply-to, message-id are the unfolded raw text (no
 * encoded-word decoding); absent fields are NIL; sender and reply-to
 * default to from when absent or empty.  Addresses follow RFC 5322 with
 * groups as (NIL NIL "name" NIL) ... (NIL NIL NIL NIL), obsolete routes
 * in the adl, the comment as the name when there is no display name; a
 * missing local part or domain becomes "MISSING_MAILBOX" or
 * "MISSING_DOMAIN" (a NIL host would mean a group).
 */
int	mime_envelope_write(const struct mime_msg *m, uint32_t msg_part,
	    struct strbuf *sb);

/*
 * mime_body_write: the BODYSTRUCTURE (extended != 0: with MD5,
 * disposition, language and location for every part, and parameters,
 * disposition, language and location for multiparts) or BODY
 * (extended == 0) of part i (0 for the message).  Defaults: no usable
 * Content-Type is "text" "plain" ("charset" "us-ascii"), or
 * "message" "rfc822" inside multipart/digest; a text part without a
 * charset gets ("charset" "us-ascii"); no Content-Transfer-Encoding is
 * "7bit".  Types, subtypes and values are sent as written, parameter
 * names in lower case; RFC 2231 continuations are joined (an extended
 * one as name* = charset'language'percent-encoded).  A multipart with
 * no parts shows one empty text/plain part, as the grammar needs one.
 */
int	mime_body_write(const struct mime_msg *m, uint32_t i, int extended,
	    struct strbuf *sb);

/*
 * mime_part_filename: append the file name of part i to sb as UTF-8: the
 * filename parameter of Content-Disposition, else the name parameter of
 * Content-Type.  RFC 2231 sections are joined in order (up to the first
 * missing one) and an extended value is decoded from its charset;
 * extended or sectioned forms win over a plain one; a plain value may
 * hold RFC 2047 encoded words (not allowed, but common) and they are
 * decoded.  Returns 1, 0 when the part names no file, or -1 when sb is in
 * error.
 */
int	mime_part_filename(const struct mime_msg *m, uint32_t i,
	    struct strbuf *sb);

/* ---- Sections (RFC 3501 section 6.4.5, FETCH BODY[...]) ---- */

enum mime_section_what {
	MIME_SEC_ALL,		/* BODY[] or BODY[1.2]: the part's body */
	MIME_SEC_HEADER,
	MIME_SEC_FIELDS,	/* HEADER.FIELDS (...) */
	MIME_SEC_FIELDS_NOT,	/* HEADER.FIELDS.NOT (...) */
	MIME_SEC_TEXT,
	MIME_SEC_MIME
};

struct mime_section {
	uint32_t	part[MIME_SECTION_PARTS_MAX];
	size_t		nparts;
	int		too_deep;	/* more numbers than fit: no such part */
	enum mime_section_what what;
	const char	*fields;	/* inside the parentheses, not owned */
	size_t		 fields_len;
};

/*
 * mime_section_parse: parse the text between the brackets of BODY[...]
 * (len bytes at s, e.g. "1.2.HEADER.FIELDS (From \"To\")"; keywords in
 * any case).  The field list is kept as a pointer into s, which MUST
 * outlive sec.  Returns 0, or -1 when the text is not a section-spec of
 * RFC 3501 (a part number 0 or above 2^32-1, MIME without a part number,
 * an empty or unclosed field list, trailing bytes).
 */
int	mime_section_parse(const char *s, size_t len,
	    struct mime_section *sec);

/*
 * mime_section_locate: the file range section sec names in m.  For
 * MIME_SEC_FIELDS and MIME_SEC_FIELDS_NOT the range is the header the
 * fields are picked from.  A part that does not exist, and HEADER or
 * TEXT of a part that is not message/rfc822, give an empty range.
 * Returns 1 when *r is a plain range to send as it is (with
 * mime_wire_*), 0 when it must be filtered (the field lists).
 */
int	mime_section_locate(const struct mime_msg *m,
	    const struct mime_section *sec, struct mime_range *r);

/*
 * mime_section_write: append to sb the wire-form bytes of section sec,
 * octets [start, start + count) of them (a partial fetch <start.count>;
 * count SIZE_MAX for all from start).  HEADER.FIELDS gives each matching
 * field (all its lines, every occurrence) and then the empty line, as
 * RFC 3501 says; .NOT the other fields.  A nonexistent part is an empty
 * string.  Returns 0, or -1 when sb is in error.
 */
int	mime_section_write(const struct mime_msg *m,
	    const struct mime_section *sec, size_t start, size_t count,
	    struct strbuf *sb);

/* ---- Wire-form copy ---- */

/* A cursor over a file range, producing its wire form. */
struct mime_wire {
	const char	*buf;		/* the whole message */
	size_t		 pos, end;	/* file offsets */
	int		 lf_pending;	/* a bare LF's CR went out, not its LF */
};

/*
 * mime_wire_open: a cursor over file range r of the message buf, skipped
 * forward by skip wire octets (past the end: nothing is left).  Skipping
 * reads the skipped bytes once (memchr for line ends).  buf MUST stay
 * valid while the cursor is used.
 */
void	mime_wire_open(struct mime_wire *w, const char *buf,
	    const struct mime_range *r, size_t skip);

/* mime_wire_read: copy up to outlen wire octets into out; returns the
 * number copied, 0 only at the end of the range (or outlen 0). */
size_t	mime_wire_read(struct mime_wire *w, char *out, size_t outlen);

/* mime_wire_append: append wire octets [start, start + count) of range r
 * to sb (count SIZE_MAX: to the end).  Returns 0, or -1 when sb is in
 * error. */
int	mime_wire_append(struct strbuf *sb, const char *buf,
	    const struct mime_range *r, size_t start, size_t count);

/* ---- Decoding ---- */

/*
 * mime_header_decode: the unfolded value of a header field (len bytes at
 * p, as it stands in the header, line ends included) as UTF-8, RFC 2047
 * encoded words decoded (B and Q, charset from the word, blanks between
 * two encoded words dropped, charsets as charset.h converts them).  Text
 * outside encoded words is taken as UTF-8 where it is valid and as
 * Windows-1252 elsewhere.  Appends to sb; returns 0 or -1 (sb's cap).
 */
int	mime_header_decode(const char *p, size_t len, struct strbuf *sb);

/* mime_header_decode_sink: the same, each code point handed to sink. */
void	mime_header_decode_sink(const char *p, size_t len,
	    struct charset_sink *sink);

enum mime_cte {
	MIME_CTE_IDENTITY,	/* 7bit, 8bit, binary, absent, unknown */
	MIME_CTE_BASE64,
	MIME_CTE_QP
};

/* Streaming Content-Transfer-Encoding decoder over bytes in memory. */
struct mime_decoder {
	const unsigned char *p, *end;
	enum mime_cte	 cte;
	uint32_t	 bits;
	int		 nbits;
};

/* mime_decoder_init: decode the len bytes at p (not copied; they MUST
 * stay valid) from encoding cte. */
void	mime_decoder_init(struct mime_decoder *d, enum mime_cte cte,
	    const char *p, size_t len);

/*
 * mime_decoder_read: decode into out (outlen > 0 bytes); returns the
 * number of bytes written, 0 only at the end.  Tolerant: base64 skips
 * every byte outside its alphabet and restarts its group at '=';
 * quoted-printable takes "=XX" in either case, removes soft line breaks
 * ("=" and blanks before a line end) and keeps any other '=' as it is.
 */
size_t	mime_decoder_read(struct mime_decoder *d, unsigned char *out,
	    size_t outlen);

/* mime_cte_parse: the encoding a Content-Transfer-Encoding value names
 * (the len bytes at p, CFWS allowed). */
enum mime_cte mime_cte_parse(const char *p, size_t len);

/* ---- Search (RFC 3501 SEARCH HEADER, BODY, TEXT) ----
 *
 * Each returns 1 when the compiled needle cm (charset.h) occurs, 0 when
 * it does not; both sides are case-folded.  Memory is bounded: bodies are
 * decoded through a 4 KB buffer into the matcher.  An empty needle
 * matches everything searched (for a header: any occurrence of it).
 *
 * mime_search_header: in the decoded value of every field named name
 * (case-insensitive) of the message header of part msg_part (0: the
 * message), or of every field ("name: value") when name is NULL.
 * mime_search_body: in the decoded bodies of all text parts (any depth,
 * encapsulated messages included, with their headers).  Other leaves
 * (images, application/ *) and preambles/epilogues are not searched.
 * mime_search_text: the message header or the body.
 */
int	mime_search_header(const struct mime_msg *m, uint32_t msg_part,
	    const char *name, struct charset_match *cm);
int	mime_search_body(const struct mime_msg *m, struct charset_match *cm);
int	mime_search_text(const struct mime_msg *m, struct charset_match *cm);

#endif
