/*
 * addr.h: the parser of SMTP paths (RFC 5321 section 4.1.2, with the
 * SMTPUTF8 extensions of RFC 6531 section 3.3): the "<...>" of MAIL FROM
 * and RCPT TO.  Runs in smtpd's net process on bytes straight from the
 * client, which it trusts for nothing.  No allocation, no state.
 *
 * What it makes of a path, and why:
 *   - a source route ("<@a,@b:user@c>") is checked and dropped (RFC 5321
 *     section 4.1.2 and appendix C: accepted, ignored);
 *   - the local part is kept byte for byte as the client wrote it (case
 *     and all: only the receiving system may interpret it), except that a
 *     quoted string whose content is a plain Dot-string loses its quotes
 *     ("joe"@x is joe@x), and any other quoted local part stays quoted
 *     with only '"' and '\' escaped, so "a@b"@c can never be mistaken
 *     for a@b, and every address has one spelling;
 *   - '%' and '!' are ordinary local-part characters: "a%b@c" is a local
 *     part "a%b" at c, which no lookup matches (no source routing by the
 *     back door);
 *   - the domain is lowercased (ASCII letters only; a U-label's other
 *     characters stay as written) and must follow the RFC 5321 grammar
 *     exactly: a trailing dot ("user@example.com.") is a syntax error,
 *     so it never reaches the monitor's domain comparison in a form that
 *     could slip past it; address literals are "[a.b.c.d]" and
 *     "[IPv6:...]" (checked with inet_pton), a general address literal
 *     ("[tag:...]") is refused;
 *   - lengths as RFC 5321 section 4.5.3.1: local part <= 64 octets,
 *     domain <= 255, the whole path from '<' to '>' <= 256;
 *   - an empty local part (also "") is refused;
 *   - octets above 0x7f only with SMTPUTF8 (else SMTP_ADDR_EUTF8, which
 *     RFC 6531 section 3.5 answers with 553 5.6.7), and then only as
 *     strict UTF-8 (no overlong forms, no surrogates, nothing above
 *     U+10FFFF; else SMTP_ADDR_ESYNTAX).
 */
#ifndef SMTPD_ADDR_H
#define SMTPD_ADDR_H

#include <stddef.h>

#define SMTP_LOCAL_MAX		64	/* octets, RFC 5321 4.5.3.1.1 */
#define SMTP_DOMAIN_MAX		255	/* octets, RFC 5321 4.5.3.1.2 */
#define SMTP_PATH_MAX		256	/* "<" ... ">", RFC 5321 4.5.3.1.3 */

/* What kind of path: the null reverse-path "<>" only for MAIL, the
 * domainless "<postmaster>" only for RCPT (RFC 5321 section 4.1.1.3). */
#define SMTP_ADDR_MAIL		0x01
#define SMTP_ADDR_RCPT		0x02
#define SMTP_ADDR_UTF8		0x04	/* the MAIL had SMTPUTF8 */

/* Errors (negative returns of smtp_addr_parse). */
#define SMTP_ADDR_ESYNTAX	(-1)	/* not a path, or not one we take */
#define SMTP_ADDR_ELONG		(-2)	/* a length limit above */
#define SMTP_ADDR_EUTF8		(-3)	/* non-ASCII without SMTPUTF8 */

struct smtp_addr {
	/* "local@domain" as normalized above; "" for "<>"; "postmaster"
	 * for "<postmaster>" (any case) */
	char	addr[SMTP_PATH_MAX];
	char	local[SMTP_LOCAL_MAX + 1];	/* quoted when it must be */
	char	domain[SMTP_DOMAIN_MAX + 1];	/* "" for <> and postmaster */
	int	utf8;		/* 1 when any octet is above 0x7f */
};

/*
 * smtp_addr_parse: parse the path at the start of s (len octets, need not
 * be NUL-terminated), which must begin with '<'.  flags: SMTP_ADDR_MAIL
 * or SMTP_ADDR_RCPT, optionally with SMTP_ADDR_UTF8.  Returns the number
 * of octets the path took (up to and including its '>': what follows is
 * the caller's, such as " SIZE=100"), with a filled (caller-owned); or a
 * negative SMTP_ADDR_E* (a then holds nothing useful).  A NUL or any
 * other control character in the path is a syntax error.
 */
int	smtp_addr_parse(const char *s, size_t len, int flags,
	    struct smtp_addr *a);

#endif
