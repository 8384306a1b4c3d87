/*
 * listmatch.h: LIST and LSUB pattern matching (RFC 9051 section 6.3.9):
 * "*" matches any run of characters, "%" any run without the hierarchy
 * delimiter, every other octet itself.
 *
 * Runs in imapd's mail process.  The pattern comes from the client and is
 * trusted for nothing: matching simulates the pattern as an automaton
 * (one pass over the name, a set of pattern positions), so the time is at
 * most proportional to the name's length times the pattern's, whatever
 * the pattern ("*a*a*a*a*b" included): no backtracking.  Patterns longer
 * than LISTMATCH_PATTERN_MAX are refused.  No allocation.
 *
 * Octets are compared exactly: the caller matches INBOX case-insensitively
 * (RFC 9051 5.1: it folds "INBOX" in name and pattern before calling) and
 * decides what the reference argument adds to the pattern.
 */
#ifndef IMAPD_LISTMATCH_H
#define IMAPD_LISTMATCH_H

#include <stddef.h>

#define LISTMATCH_PATTERN_MAX	1024	/* = IMAP_PATTERN_MAX in parse.h */

/*
 * listmatch: 1 when the name (nlen octets) matches the pattern (plen
 * octets) with hierarchy delimiter delim, 0 when not, -1 when plen is over
 * LISTMATCH_PATTERN_MAX.  Neither needs a NUL terminator.
 */
int	listmatch(const char *pat, size_t plen, const char *name, size_t nlen,
	    char delim);

/*
 * listmatch_children: 1 when some name that starts with name + delim (a
 * descendant of name) could match the pattern, else 0; -1 as above.  For
 * LIST's hierarchy answers: "%" lists "a" as \HasChildren or \NonExistent
 * when only "a/b" exists, RECURSIVEMATCH (RFC 5258 section 3.5).
 */
int	listmatch_children(const char *pat, size_t plen, const char *name,
	    size_t nlen, char delim);

#endif
