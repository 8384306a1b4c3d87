/*
 * parse.h: the POP3 command line parser (RFC 1939, RFC 2449, RFC 5034) and
 * the line splitter both POP3 engines read the client with.
 *
 * Runs in the net process (AUTHORIZATION state, preauth.c) and in the mail
 * process (TRANSACTION state, session.c).  Everything it is given comes
 * straight from the client and is trusted for nothing: every line is
 * bounded, every verb looked up in one table, every argument counted and
 * checked before an engine sees it.  No allocation, no I/O, no state
 * beyond what the caller passes in.
 */
#ifndef POP3D_PARSE_H
#define POP3D_PARSE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Line limits, counted without the CRLF.  RFC 2449 section 4 limits a
 * command line to 255 octets including the CRLF; we accept 255 without
 * it, being liberal by two octets rather than refusing a client that
 * counts differently.  RFC 5034 section 4 lets AUTH lines and SASL
 * continuation lines be longer; 1024 covers any PLAIN response we accept.
 */
#define POP3_LINE_MAX		255
#define POP3_AUTH_LINE_MAX	1024
#define POP3_MAX_ERRORS		30	/* consecutive -ERR, then we hang up */
#define POP3_NUM_MAX		2147483647U	/* 2^31 - 1 */

/* States, named after RFC 1939 section 3; a bit mask in the table. */
enum pop3_state {
	POP3_AUTHORIZATION = 0x01,
	POP3_TRANSACTION = 0x02,
};

enum pop3_verb {
	POP3_CAPA, POP3_USER, POP3_PASS, POP3_AUTH, POP3_QUIT,
	POP3_STAT, POP3_LIST, POP3_RETR, POP3_DELE, POP3_NOOP,
	POP3_RSET, POP3_TOP, POP3_UIDL,
	POP3_NVERBS
};

/*
 * A parsed command.  String arguments point into the caller's line and
 * are NOT NUL-terminated; they live as long as the line does.
 *
 *   CAPA QUIT STAT NOOP RSET   no arguments
 *   LIST UIDL                  nargs 0, or 1 with num[0] (1..2^31-1)
 *   RETR DELE                  num[0] (1..2^31-1)
 *   TOP                        num[0] (1..2^31-1), num[1] (0..2^31-1)
 *   USER                       arg: the name (no blanks or controls)
 *   PASS                       arg: everything after "PASS ", verbatim
 *                              (RFC 1939: a password may hold spaces)
 *   AUTH                       nargs 0; 1 with arg = mechanism; 2 with
 *                              arg2 = initial response as sent ("=" is
 *                              an empty one, RFC 5034 section 4)
 */
struct pop3_cmd {
	int		 verb;		/* enum pop3_verb */
	int		 nargs;
	uint32_t	 num[2];
	const char	*arg;
	size_t		 arglen;
	const char	*arg2;
	size_t		 arg2len;
};

/*
 * pop3_parse: parse one command line (len octets, without the CRLF; need
 * not be NUL-terminated) received in state (POP3_AUTHORIZATION or
 * POP3_TRANSACTION).  Verbs are case-insensitive; arguments are separated
 * by one or more spaces and trailing spaces are ignored, except for PASS.
 * Returns 0 and fills *out, or -1 and points *err at a static reason for
 * the "-ERR" reply: "line too long", "NUL byte in command", "empty
 * command", "unknown command", "command not valid in this state",
 * "control character in argument", "<VERB> takes no arguments", "<VERB>
 * takes at most one argument", "<VERB> needs ...", "message number must be
 * a positive decimal number", "message number too large", "line count must
 * be a non-negative decimal number", "line count too large".  line may be
 * NULL only when len is 0.
 */
int	pop3_parse(const char *line, size_t len, int state,
	    struct pop3_cmd *out, const char **err);

/* pop3_verb_name: "CAPA", "USER", ... for a verb, for logging. */
const char *pop3_verb_name(int verb);

/*
 * pop3_capa: the complete CAPA reply for state, CRLF-terminated lines
 * ending with ".\r\n" (RFC 2449 section 5).  AUTHORIZATION adds USER and
 * SASL PLAIN; STLS is never offered: the service is implicit TLS only.
 */
const char *pop3_capa(int state);

/*
 * The line splitter.  It cuts a byte stream into lines ending in LF (a CR
 * before the LF is dropped; a lone LF is accepted), keeping at most max
 * octets of each.  A longer line is reported once, when its LF arrives,
 * and its bytes are discarded: the client gets one "-ERR line too long"
 * per long line, and framing resumes at the next line.
 */
struct pop3_line {
	char	buf[POP3_AUTH_LINE_MAX + 2];	/* line, CR, NUL */
	size_t	len;		/* without CRLF */
	size_t	max;
	int	toolong;	/* discarding until the next LF */
	int	done;		/* buf holds a returned line */
};

enum pop3_line_status {
	POP3_LINE_MORE,		/* all input used; no complete line yet */
	POP3_LINE_OK,		/* a line is in buf/len */
	POP3_LINE_LONG,		/* a line over max was dropped */
};

/* pop3_line_init: empty splitter for lines of at most max octets (MUST
 * be <= POP3_AUTH_LINE_MAX). */
void	pop3_line_init(struct pop3_line *lb, size_t max);

/*
 * pop3_line_feed: consume input from in (len bytes) up to and including
 * the first LF, or all of it.  *used is set to the bytes consumed; the
 * caller calls again with the rest.  Returns an enum pop3_line_status.
 * The previous line in buf is overwritten: a caller that saw a password
 * in it MUST call pop3_line_wipe when done with it.
 */
int	pop3_line_feed(struct pop3_line *lb, const char *in, size_t len,
	    size_t *used);

/* pop3_line_wipe: explicit_bzero the buffered line (and any partial one);
 * the splitter stays usable. */
void	pop3_line_wipe(struct pop3_line *lb);

#endif
