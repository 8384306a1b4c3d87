/*
 * engine.h: smtpd's SMTP protocol engine (RFC 5321 with PIPELINING 2920,
 * SIZE 1870, 8BITMIME 6152, ENHANCEDSTATUSCODES 2034, SMTPUTF8 6531,
 * CHUNKING and BINARYMIME 3030, DSN 3461, STARTTLS 3207, REQUIRETLS 8689
 * and AUTH 4954 with PLAIN and LOGIN), as a state machine without I/O.
 *
 * It runs in smtpd's net process (unprivileged, chrooted, sandboxed) for
 * the whole connection, on bytes straight from the client, which it
 * trusts for nothing.  It decides nothing about mail: every envelope
 * command and the message go to the monitor (the broker) as frames
 * (smtpmsg.h) and the broker's verdict becomes the reply; logins go the
 * skeleton's way (SKEL_LOGIN).  It trusts the broker's answers as far as
 * their decoder checks them; a malformed answer is fatal (the monitor is
 * broken).
 *
 * The engine is the skeleton's struct skel_preauth (common/skel.h) with
 * the optional hooks: configure, then on port 465 tls_started, then init.
 * How the caller drives it, beyond skel.h:
 *   - feed acts on at most one command per call and never uses a byte
 *     after the command it acted on, so pipelined replies stay in order
 *     (RFC 2920) and the bytes after STARTTLS stay unused for the net
 *     role to drop (the STARTTLS command injection, CVE-2011-0411);
 *   - SKEL_TELL never comes with output: the caller sends the frame and
 *     feeds the rest.  Where one client command makes the engine both
 *     tell and reply (RSET in a transaction, the end of a message whose
 *     last octets are not yet told), the tell leaves at least one byte
 *     of that command unused, so the caller always has input to feed
 *     again; a byte left unused this way may already be inside a told
 *     DATA frame, and the engine skips it (it relies on the caller
 *     handing back unused bytes unchanged, as skel_net does);
 *   - SKEL_MORE may come with octets used and nothing to say (a BDAT
 *     command line, whose chunk follows): the caller feeds what is left,
 *     as skel_net does whenever feed used something;
 *   - after SKEL_ASK the caller sends the frame, reads the answer, hands
 *     it to answer and sends the output; after SKEL_LOGIN it calls
 *     login_result.  Any call out of that order is fatalx;
 *   - MSG_SMTP_RSET is told when RSET, EHLO/HELO or QUIT abandon a
 *     transaction the broker holds; when the engine closes the connection
 *     itself (421) it tells nothing: the broker sees the connection end.
 *
 * Choices the RFCs leave open, and why:
 *   - Command lines: at most SMTP_LINE_MAX octets with the CRLF (RFC 5321
 *     4.5.3.1.4 says 512; the extension parameters of a MAIL with SIZE,
 *     BODY, ENVID=100 octets of xtext and a 256-octet path, or of a RCPT
 *     with an ORCPT of up to 500, need more), AUTH and SASL responses
 *     SMTP_AUTH_LINE_MAX (RFC 4954 4: a PLAIN response of our largest
 *     credentials in base64).  A longer line is answered "500 5.5.6" once
 *     its LF comes; the octets in between are dropped.
 *   - A command line MUST end in CRLF: a bare LF ends the line but the
 *     command is refused (500 5.5.2), not run; a CR, NUL or any other
 *     control character inside it is refused likewise.  Commands are not
 *     where smuggling happens, but one rule for every line is simpler to
 *     reason about, and every real client sends CRLF.
 *   - Message data (DATA): the end is ONLY CRLF "." CRLF; LF.LF, LF.CRLF,
 *     CRLF.LF and CR.CR are message content (the SMTP smuggling attacks,
 *     CVE-2023-51764/51765/51766).  A bare LF or bare CR anywhere in the
 *     message makes the engine refuse it (RFC 5321 2.3.8 forbids them;
 *     sendmail's 'g'/'u' and KumoMTA's default do the same, Postfix 3.9
 *     "strict" too): it reads on to CRLF.CRLF, sends MSG_SMTP_END with
 *     how=1 (the broker discards) and answers "554 5.6.0".  Refusing
 *     rather than repairing means we never store, and so never relay, a
 *     message another server could split differently.  BDAT content with
 *     BODY other than BINARYMIME is held to the same rule.
 *   - Message lines may be longer than RFC 5321's 1000 octets (much real
 *     mail is), up to SMTP_DATA_LINE_MAX octets with the CRLF; a longer
 *     line makes the engine refuse the message ("554 5.6.0") at its end.
 *   - A message larger than smtp_max_message_size is read to its end and
 *     refused with "552 5.3.4" (END how=1); a SIZE= above it is refused
 *     at MAIL without asking.
 *   - REQUIRETLS is offered only over TLS; a MAIL with REQUIRETLS on a
 *     plaintext connection gets "530 5.7.10" (Encryption Needed, the 530
 *     of RFC 3207) without asking the broker: RFC 8689 binds the option
 *     to TLS, and 5.7.30, which it registers, is for a next hop that
 *     lacks REQUIRETLS, which is the relay's case, not ours.
 *   - A BDAT whose size cannot be read leaves the engine unable to tell
 *     the chunk from commands, so it closes the connection ("421 4.5.4");
 *   a BDAT in a wrong state still reads and discards its octets before
 *     the "503 5.5.1" (RFC 3030 2).  After a BDAT failed, the remaining
 *     BDATs of the transaction are read, discarded and answered with
 *     "503 5.5.1" until RSET (or a new EHLO).
 *   - Errors: the engine's own 5xx replies (syntax, sequence, unknown
 *     commands, refused parameters or paths) count; the
 *     SMTP_MAX_ERRORS-th is answered "421 4.7.0 Too many errors" and
 *     the connection closes.  The broker's verdicts (a 550 for an unknown
 *     recipient) do not count: the broker rate-limits those itself.
 *   - AUTH (port 465 only, after EHLO, outside a transaction, once):
 *     PLAIN with or without an initial response, LOGIN with the two
 *     "334" challenges (an initial response is the user name).  An
 *     undecodable response counts as a failed login; "*" cancels
 *     ("501 5.0.0").  The SMTP_MAX_FAILURES-th failure (the skeleton's
 *     max_failures) is answered with its 535 or 454 and "421 4.7.0",
 *     and the connection closes.
 *   - On port 25 AUTH is neither offered nor accepted ("502 5.5.1").
 *   - EHLO also offers BINARYMIME: BODY=BINARYMIME is accepted (with
 *     BDAT only), and RFC 3030 ties the parameter to the keyword.
 *   - 8-bit octets and NUL in DATA content are passed on as they come
 *     (BODY= is the client's word; the stored message is what it sent).
 *   - VRFY answers 252 for anything (no user enumeration), EXPN 502.
 */
#ifndef SMTPD_ENGINE_H
#define SMTPD_ENGINE_H

#include "common/skel.h"

#define SMTP_LINE_MAX		2048	/* a command line with its CRLF */
#define SMTP_AUTH_LINE_MAX	4096	/* an AUTH line or SASL response */
#define SMTP_DATA_LINE_MAX	65536	/* a message line with its CRLF */
#define SMTP_MAX_ERRORS		10	/* the engine's 5xx, then 421 */
#define SMTP_MAX_FAILURES	3	/* failed logins, then 421 */
#define SMTP_OUT_MAX		1024	/* the longest reply: EHLO's */

/* The skeleton's view of the engine; its state is private to the
 * engine's files (engine_int.h): state_size octets, zeroed by the caller
 * before configure. */
extern const struct skel_preauth smtp_engine;

#endif
