/*
 * search_cache.h: the header fields SEARCH has looked at (Subject, From,
 * Date...), kept in memory for the rest of the session, so that the next
 * search on the same fields reads no file: a client that searches its
 * folder by sender again and again costs one pass over the files, as
 * with Dovecot's cache.  Runs in imapd's mail process, which serves one
 * session: the cache is the process's own.  Its contents are copied from
 * message files (hostile) and are only ever searched as header fields.
 *
 * A message's content never changes while its UID is valid, so an entry
 * holds until the folder or its UIDVALIDITY changes; a UID expunged
 * meanwhile is never asked for again (SEARCH skips it first).  Memory is
 * bounded: SEARCH_CACHE_MAX octets of fields, SEARCH_CACHE_ENTRY_MAX for
 * one message (a message with more is not cached and is read each time),
 * and 16 octets a cached message.
 */
#ifndef IMAPD_SEARCH_CACHE_H
#define IMAPD_SEARCH_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define SEARCH_CACHE_MAX	(4 * 1024 * 1024)
#define SEARCH_CACHE_ENTRY_MAX	16384
#define SEARCH_CACHE_NAMES	8	/* field names kept */
#define SEARCH_CACHE_NAME_LEN	64	/* octets of one, NUL included */

/*
 * search_cache_begin: a search of folder (uidvalidity) that looks at the
 * header fields names[0..n-1] (any case; NUL-terminated).  Another folder
 * empties the cache; names not kept yet are added to those kept (at most
 * SEARCH_CACHE_NAMES; past that only this search's are kept), and then
 * the entries made without them are dropped.  Returns 1 when the cache
 * serves this search, 0 when it cannot (too many names, a name too long,
 * or n 0): search_cache_get and _put must not be used then.
 */
int	search_cache_begin(const char *folder, uint32_t uidvalidity,
	    const char *const *names, size_t n);

/* search_cache_get: the kept fields of message uid as a header block
 * (*p, *len: every field with a kept name, as it stands in the message,
 * all its lines; no empty line at the end).  The block is the cache's
 * and valid until the next search_cache_put or _begin.  1, or 0 when the
 * message is not cached. */
int	search_cache_get(uint32_t uid, const char **p, size_t *len);

/* search_cache_put: keep the fields with kept names of the header block
 * hdr (len octets) of message uid (nothing when it is cached already, or
 * its fields or the cache are too large). */
void	search_cache_put(uint32_t uid, const char *hdr, size_t len);

#endif
