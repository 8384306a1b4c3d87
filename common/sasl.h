/*
 * sasl.h: SASL mechanism decoders shared by pop3d, imapd and smtpd.
 *
 * Runs in the daemons' net processes (unprivileged, sandboxed), on a
 * client's response straight off the network, which it trusts for
 * nothing.  It only takes the message apart; whether the credentials are
 * good is authd's business.  No allocation; every temporary that held a
 * password is wiped before return.
 */
#ifndef POSTERN_SASL_H
#define POSTERN_SASL_H

#include <stddef.h>
#include <stdint.h>

/* Longest decoded PLAIN message we accept: authzid, authcid, password
 * and two NULs.  RFC 4616 leaves it open; this covers our limits
 * (AUTH_USER_MAX twice, AUTH_SECRET_MAX) with room. */
#define SASL_PLAIN_MAX		2560

/* sasl_plain_decode's answer to an authzid that names another user. */
#define SASL_OTHER_USER		(-2)

/*
 * sasl_plain_decode: decode a PLAIN response (RFC 4616: base64 of
 * "[authzid] NUL authcid NUL passwd"), given as len chars of b64 (need
 * not be NUL-terminated; strict RFC 4648 base64, see base64.h).
 *
 * On success, returns 0 with authcid (aclen bytes, caller owned) and
 * authzid (azlen bytes) NUL-terminated, and the password's pwlen bytes in
 * passwd (pwmax bytes, not NUL-terminated).  authzid is "" or equal to
 * authcid: we do not let one user act as another.
 *
 * Returns SASL_OTHER_USER for an authzid different from authcid, and -1
 * on bad base64, an input longer than BASE64_LEN(SASL_PLAIN_MAX), a
 * message without exactly two NULs, an empty authcid or password, or a
 * field that does not fit its buffer; in both cases the outputs then hold nothing secret (passwd is wiped).  A NUL
 * cannot appear inside authcid or passwd: it would be a third separator.
 * The caller MUST explicit_bzero(passwd) once the password is handed on.
 */
int	sasl_plain_decode(const char *b64, size_t len, char *authzid,
	    size_t azlen, char *authcid, size_t aclen, uint8_t *passwd,
	    size_t pwmax, size_t *pwlen);

#endif
