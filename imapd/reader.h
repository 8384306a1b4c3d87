/*
 * reader.h: the IMAP command reader: it cuts a client's byte stream into
 * complete commands (RFC 3501 / RFC 9051 section 2.2, literals of RFC 3501
 * 4.3 and RFC 7888), or into plain lines for AUTHENTICATE continuations
 * and IDLE's DONE.
 *
 * Runs in imapd's net process (before login) and mail process (after).
 * Every byte it is given comes from the client and is trusted for
 * nothing: the text of a command and the literals it keeps are bounded by
 * limits its caller chooses, large literals are never held (they pass
 * through to the caller in chunks), and the reader never allocates: the
 * caller gives it the command buffer.  No I/O; it only says what to do.
 *
 * IMAP commands are not lines.  A line may end in a literal announcement,
 * "{n}" (synchronizing: the server MUST send a "+" continuation before the
 * client sends the n octets) or "{n+}" (non-synchronizing, RFC 7888: the
 * octets follow at once); after the octets the command continues with
 * more text.  "~{n}" (literal8, RFC 3516) is framed the same way; the
 * parser tells the two apart.  RFC 7888's LITERAL- uses the same "{n+}"
 * syntax, limited to 4096 octets: the caller says which it advertises by
 * the plus_max limit.  "{n-}" is not IMAP syntax and is not a literal.
 *
 * The command buffer the reader fills holds the command with the line
 * ends removed and each kept literal's octets inserted right after the
 * "}" of its announcement:
 *
 *	a LOGIN {5}\r\n  alice {3}\r\n  pwd\r\n  ->  "a LOGIN {5}alice {3}pwd"
 *
 * with one struct imap_literal per literal recording where its octets are,
 * so the parser never reads literal octets as text.  A literal too large
 * to keep (over inline_max) in an APPEND command is "external": its
 * octets go to the caller (LITERAL_BEGIN, then LITERAL_DATA events) and
 * the buffer holds only its announcement, with a record saying "external
 * literal of size n" in its place.
 *
 * Use:
 *
 *	imap_reader_init(&r, buf, sizeof(buf), &limits);
 *	for each chunk of input in/len from the client:
 *		while (len > 0 or an event may be pending) {
 *			ev = imap_reader_feed(&r, in, len, &used);
 *			in += used; len -= used;
 *			switch (ev) {
 *			case IMAP_RD_MORE:	read more input
 *			case IMAP_RD_COMMAND:	parse r.buf/r.len/r.lits/r.nlits,
 *						run it; IDLE and AUTHENTICATE
 *						switch to line mode here
 *			case IMAP_RD_LINE:	(line mode) r.buf/r.len
 *			case IMAP_RD_CONTINUE:	send "+ Ready for literal\r\n"
 *			case IMAP_RD_LITERAL_BEGIN: open a file for r.lit_size
 *						octets (or imap_reader_refuse)
 *			case IMAP_RD_LITERAL_DATA: write r.data/r.datalen
 *			case IMAP_RD_TOOLONG:	"<tag> BAD <r.why>" (the tag, if
 *						imap_parse_tag finds one in
 *						r.buf/r.len, else "*")
 *			case IMAP_RD_TOOBIG:	"<tag> BAD [TOOBIG] <r.why>"
 *			}
 *		}
 *
 * Pipelining: feed returns after each event with *used telling how much
 * of the input it consumed; the caller handles the event and calls again
 * with the rest.  An event other than LITERAL_DATA after LITERAL_BEGIN
 * ends that literal: COMMAND means it belongs to a complete command (the
 * file is the literal of record r.lits[i] with external set); TOOLONG or
 * TOOBIG mean the command was dropped and the file MUST be discarded.
 *
 * Line ends: CRLF, or a bare LF (tolerated); a CR before the LF is
 * dropped, any other CR stays in the text for the parser to reject.
 */
#ifndef IMAPD_READER_H
#define IMAPD_READER_H

#include <stddef.h>
#include <stdint.h>

/* Defaults for struct imap_reader_limits. */
#define IMAP_LINE_MAX		65536	/* non-literal text of one command */
#define IMAP_INLINE_MAX		65536	/* larger literals go external */
#define IMAP_LITERAL_MINUS_MAX	4096	/* RFC 7888 LITERAL- */
#define IMAP_LITERALS_MAX	64	/* literals in one command */

struct imap_reader_limits {
	size_t		line_max;	/* text (not literals) of one command,
					 * line ends not counted */
	size_t		inline_max;	/* largest literal kept in the buffer */
	uint64_t	external_max;	/* largest external literal (APPEND
					 * only; APPENDLIMIT); 0: none, so a
					 * literal over inline_max is TOOBIG */
	uint64_t	plus_max;	/* largest non-synchronizing literal:
					 * IMAP_LITERAL_MINUS_MAX when LITERAL-
					 * is advertised, external_max (or
					 * more) for LITERAL+ */
};

struct imap_literal {
	size_t		off;	/* where its octets start in buf: just after
				 * the "}" of the announcement */
	size_t		len;	/* octets in buf: size, or 0 when external */
	uint64_t	size;	/* as announced */
	int		external;	/* octets went to the caller */
	int		sync;		/* "{n}" (1) or "{n+}" (0) */
};

enum imap_rd_event {
	IMAP_RD_MORE = 0,	/* all input used; nothing complete yet */
	IMAP_RD_COMMAND,	/* a complete command: buf/len, lits/nlits */
	IMAP_RD_LINE,		/* line mode: a complete line in buf/len */
	IMAP_RD_CONTINUE,	/* send "+ Ready for literal" now */
	IMAP_RD_LITERAL_BEGIN,	/* an external literal of lit_size octets */
	IMAP_RD_LITERAL_DATA,	/* data/datalen: its next octets */
	IMAP_RD_TOOLONG,	/* command or line dropped; reason in why */
	IMAP_RD_TOOBIG,		/* literal refused; reason in why */
};

struct imap_reader {
	/* Results, valid until the next call to imap_reader_feed. */
	char			*buf;	/* the caller's buffer, NUL-terminated
					 * after COMMAND and LINE; after TOOLONG
					 * and TOOBIG it holds the start of the
					 * dropped command (for its tag) */
	size_t			 len;
	struct imap_literal	 lits[IMAP_LITERALS_MAX];
	size_t			 nlits;
	const char		*data;	/* LITERAL_DATA: points into the input */
	size_t			 datalen;
	uint64_t		 lit_size;	/* LITERAL_BEGIN, TOOBIG */
	const char		*why;	/* TOOLONG, TOOBIG: static text */

	/* Internal state. */
	size_t			 bufsize;
	struct imap_reader_limits lim;
	int			 state;
	int			 linemode;
	int			 done;		/* buf holds a delivered result */
	int			 drop;		/* 0, or the event to report at the
						 * end of the command */
	int			 pending;	/* an event owed to the next feed:
						 * CONTINUE after BEGIN, or TOOBIG
						 * after a refusal */
	size_t			 text;		/* text octets of this command */
	uint64_t		 left;		/* literal octets still to come */
	char			 tail[24];	/* last octets of the line */
	size_t			 taillen;
};

/*
 * imap_reader_init: a reader filling buf (bufsize octets, owned by the
 * caller, MUST outlive the reader) with the limits in *lim (copied; NULL
 * for the defaults above with external_max 0 and plus_max
 * IMAP_LITERAL_MINUS_MAX).  bufsize MUST be at least line_max + 1; the
 * literals kept inline share the rest, so a command whose text and
 * inline literals do not fit in bufsize - 1 is dropped (TOOLONG or
 * TOOBIG).  Starts in command mode.
 */
void	imap_reader_init(struct imap_reader *r, char *buf, size_t bufsize,
	    const struct imap_reader_limits *lim);

/*
 * imap_reader_feed: consume input (len octets at in, may be 0) until an
 * event; *used is set to the octets consumed (0 is possible: an event
 * that was pending, such as CONTINUE after LITERAL_BEGIN).  Returns an
 * enum imap_rd_event; MORE means every octet was used.  The previous
 * command in buf is wiped first.
 *
 * Limits, checked as octets arrive (see struct imap_reader_limits): text
 * over line_max or not fitting the buffer, or more than IMAP_LITERALS_MAX
 * literals: the rest of the command is read and dropped (the octets of
 * any non-synchronizing literal in it too; at a synchronizing one the
 * command ends, as the client waits for a "+" it will not get), then
 * TOOLONG.  A synchronizing literal over its limit (inline_max or the
 * room left in buf, or external_max in APPEND, at most one external
 * literal a command): TOOBIG at once, no "+" is owed and the command
 * ends there (RFC 3501 7.5: the client gives up on a command answered
 * before the continuation).  A non-synchronizing literal over its limit
 * (those, and plus_max): its octets and the rest of the command are read
 * and dropped, then TOOBIG.
 */
int	imap_reader_feed(struct imap_reader *r, const char *in, size_t len,
	    size_t *used);

/*
 * imap_reader_refuse: after LITERAL_BEGIN, the caller cannot take the
 * literal (no file, over quota): the command is dropped as for a literal
 * over its limit (TOOBIG from the next feed; for a synchronizing literal
 * at once, without a "+").  Called at any other time: fatalx.
 */
void	imap_reader_refuse(struct imap_reader *r, const char *why);

/*
 * imap_reader_line_mode: on (non-zero) makes the next events LINE (one
 * text line, no literals, at most line_max octets, else TOOLONG), for
 * AUTHENTICATE continuations and IDLE; off returns to commands.  Only
 * between commands (after COMMAND, LINE, TOOLONG, TOOBIG, or before the
 * first feed): otherwise fatalx.
 */
void	imap_reader_line_mode(struct imap_reader *r, int on);

/* imap_reader_wipe: explicit_bzero the buffer and any partial command
 * (it may hold a password); the reader stays usable and starts afresh. */
void	imap_reader_wipe(struct imap_reader *r);

#endif
