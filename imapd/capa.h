/*
 * capa.h: what imapd announces in CAPABILITY, before and after the
 * login (RFC 9051 section 7.2.2), in one place.  Runs in the net and the
 * mail process; pure strings.
 */
#ifndef IMAPD_CAPA_H
#define IMAPD_CAPA_H

#include <stddef.h>
#include <stdint.h>

/* Before the login: the protocol versions, the mechanism, what the
 * pre-auth engine understands. */
#define IMAP_CAPA_PREAUTH \
	"IMAP4rev1 IMAP4rev2 SASL-IR LITERAL+ ID ENABLE AUTH=PLAIN"

/* imap_capa_session: the capabilities after the login, with
 * APPENDLIMIT=limit, into buf (len octets, NUL-terminated); returns buf. */
const char *imap_capa_session(uint64_t append_limit, char *buf, size_t len);

#endif
