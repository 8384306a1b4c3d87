/*
 * capa.c: imapd's capabilities after the login (see capa.h).  Runs in
 * the mail process; pure strings.
 */
#include <stdio.h>

#include "imapd/capa.h"

const char *
imap_capa_session(uint64_t append_limit, char *buf, size_t len)
{
	snprintf(buf, len, "IMAP4rev1 IMAP4rev2 LITERAL+ BINARY ID ENABLE IDLE "
	    "NAMESPACE UIDPLUS MOVE SPECIAL-USE CREATE-SPECIAL-USE UNSELECT "
	    "CHILDREN CONDSTORE QRESYNC ESEARCH SEARCHRES LIST-EXTENDED "
	    "LIST-STATUS STATUS=SIZE QUOTA QUOTA=RES-STORAGE UTF8=ACCEPT "
	    "SASL-IR APPENDLIMIT=%llu",
	    (unsigned long long)append_limit);
	return buf;
}
