/*
 * authres.h: the Authentication-Results header field (RFC 8601) of mail
 * arriving on port 25, in the check role: built from the SPF, DKIM and
 * DMARC results under our host name (the authserv-id), and, before it is
 * added, the fields of the arriving message that claim our host name
 * found so that the caller removes them (RFC 8601 section 5).  The header
 * block is hostile: scanned with explicit bounds, any line ending, any
 * length; values written into our field are quoted or dropped when they
 * are not safe as they are.  No allocation, no state.
 */
#ifndef POSTERN_AUTHRES_H
#define POSTERN_AUTHRES_H

#include <stddef.h>

#include "common/dns.h"

#define AUTHRES_MAX	4096	/* our field, all folded lines included */
#define AUTHRES_WIDTH	78	/* folding width (RFC 5322 2.1.1) */

/* A DKIM verification result (RFC 8601 2.7.1), filled by the DKIM
 * verifier for each signature; strings NUL terminated, "" if unknown. */
enum authres_dkim_result {
	AUTHRES_DKIM_NONE = 0, AUTHRES_DKIM_PASS, AUTHRES_DKIM_FAIL,
	AUTHRES_DKIM_POLICY, AUTHRES_DKIM_NEUTRAL, AUTHRES_DKIM_TEMPERROR,
	AUTHRES_DKIM_PERMERROR
};

struct authres_dkim {
	enum authres_dkim_result result;
	char		 domain[DNS_NAME_MAX + 1];	/* d= */
	char		 selector[DNS_NAME_MAX + 1];	/* s= */
	char		 b[9];		/* the first 8 characters of b= */
	char		 reason[128];	/* in words ("body hash mismatch") */
};

/* What goes into the field.  Each method is left out when not checked.
 * spf_identity: the MAIL FROM address ("" for <>) when !spf_helo, else
 * the HELO name.  Names from spf.h and dmarc.h ("pass", "reject"...). */
struct authres_input {
	const char	*authserv_id;		/* our host name */
	int		 spf_checked;
	const char	*spf_result;
	int		 spf_helo;
	const char	*spf_identity;
	int		 dkim_checked;
	const struct authres_dkim *dkim;	/* dkim[0..ndkim) */
	size_t		 ndkim;
	int		 dmarc_checked;
	const char	*dmarc_result;
	const char	*dmarc_policy;		/* p= published, NULL if none */
	const char	*dmarc_action;		/* applied, NULL if none */
	const char	*from_domain;		/* header.from, "" if none */
};

/*
 * authres_build: the whole field, "Authentication-Results: " to the
 * final CRLF, folded at AUTHRES_WIDTH columns with CRLF and a tab, into
 * out (cap bytes, NUL terminated).  "none" when nothing was checked.  A
 * value that is not a dot-atom is written as a quoted-string; control
 * bytes are dropped.  Returns the length, or -1 when it does not fit or
 * authserv_id is not a host name.
 */
int	authres_build(const struct authres_input *in, char *out, size_t cap);

/* The byte range of one header field in a header block: the field name
 * to the end of its last line (its CRLF or LF included). */
struct authres_span {
	size_t		 off, len;
};

/*
 * authres_find_ours: the Authentication-Results fields in the header
 * block buf[0..len) (up to the first empty line; the body is never
 * looked at) whose authserv-id is authserv_id, compared without case,
 * after CFWS, quoted or not, whatever follows it (a version, ";", or
 * nothing).  Fields with a space before the colon (RFC 5322's obsolete
 * syntax) count too.  The ranges go to spans[0..max) in order; returns
 * how many fields were found (which may exceed max: then only the first
 * max are given, and the caller should refuse the message).
 */
size_t	authres_find_ours(const char *buf, size_t len, const char *authserv_id,
	    struct authres_span *spans, size_t max);

/* authres_dkim_result_name: RFC 8601's words ("pass", "fail", ...). */
const char *authres_dkim_result_name(enum authres_dkim_result r);

#endif
