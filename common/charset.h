/*
 * charset.h: conversion of the charsets mail is written in to Unicode
 * code points, a simple case fold and a streaming substring matcher, for
 * IMAP SEARCH.  Runs in the mail process (no locale, no iconv data, no
 * files: the tables are compiled in); trusts nothing in the bytes it
 * converts.
 *
 * Charsets: US-ASCII, UTF-8 (each invalid sequence becomes U+FFFD),
 * ISO-8859-1 through -16 (there is no -12), Windows-1250 through -1258,
 * KOI8-R and KOI8-U, under their usual names and aliases (latin1..latin10,
 * cp1252, iso_8859-1, l1, ...).  Bytes a table leaves undefined become
 * U+FFFD; US-ASCII takes 8-bit bytes as Windows-1252, which is what they
 * are in practice.  An unknown or absent charset is a best effort:
 * UTF-8 where the bytes are valid UTF-8, each other byte as Windows-1252
 * (which is also ISO-8859-1 for every printable byte).  That reads right
 * the two charsets nearly all unlabelled mail is in, and never fails.
 */
#ifndef POSTERN_CHARSET_H
#define POSTERN_CHARSET_H

#include <stddef.h>
#include <stdint.h>

#define CHARSET_REPLACEMENT	0xfffdu
#define CHARSET_NEEDLE_MAX	1024	/* code points in a search string */

enum charset_id {
	CHARSET_UNKNOWN = 0,	/* UTF-8 with Windows-1252 fallback */
	CHARSET_UTF8,
	CHARSET_ASCII,
	CHARSET_TABLE		/* CHARSET_TABLE + n: table n */
};

/* Where decoded code points go: put(ctx, cp) for each, in order. */
struct charset_sink {
	void	(*put)(void *ctx, uint32_t cp);
	void	*ctx;
};

/* Streaming decoder state; a multi-byte sequence may span two feeds. */
struct charset_dec {
	int		id;
	unsigned char	pend[4];	/* bytes of an unfinished sequence */
	int		npend, need;
};

/* charset_find: the charset named by the len bytes at name (any case,
 * surrounding blanks and quotes ignored); CHARSET_UNKNOWN when not known. */
int	charset_find(const char *name, size_t len);

/* charset_dec_init: a decoder for charset id (from charset_find). */
void	charset_dec_init(struct charset_dec *d, int id);

/* charset_dec_feed: decode n bytes, handing each code point to sink. */
void	charset_dec_feed(struct charset_dec *d, const unsigned char *p,
	    size_t n, struct charset_sink *sink);

/* charset_dec_flush: end of input: an unfinished sequence is handed on
 * (U+FFFD for UTF-8, its bytes as Windows-1252 for the unknown charset);
 * d is then ready for new input. */
void	charset_dec_flush(struct charset_dec *d, struct charset_sink *sink);

/* charset_utf8_encode: cp (surrogates and values above U+10FFFF become
 * U+FFFD) as UTF-8 into out; returns the length, 1 to 4. */
size_t	charset_utf8_encode(uint32_t cp, char out[4]);

/*
 * charset_fold: the simple case fold of cp (Unicode CaseFolding.txt,
 * status C and S) for Latin-1, Latin Extended-A and -B, Latin Extended
 * Additional, Greek and Cyrillic; every other code point is returned
 * unchanged.  Final sigma folds to sigma, U+00B5 to Greek mu, U+017F to
 * 's', U+212A (Kelvin) to 'k' and U+212B (Angstrom) to U+00E5.
 */
uint32_t charset_fold(uint32_t cp);

/*
 * A compiled search string and the state of one search (Knuth-Morris-
 * Pratt over folded code points, so the matcher reads each input code
 * point once and never backs up).  put() of its sink feeds it.
 */
struct charset_match {
	uint32_t	*needle;	/* n folded code points */
	uint32_t	*fail;		/* KMP failure function */
	size_t		 n;
	size_t		 state;		/* code points matched so far */
	int		 found;
	struct charset_sink sink;	/* feeds this matcher */
};

/*
 * charset_match_init: compile the len bytes at needle (UTF-8, invalid
 * bytes as Windows-1252, as charset_find's unknown charset) into m.
 * Returns 0, or -1 when the needle has more than CHARSET_NEEDLE_MAX code
 * points or memory runs out (m then needs no free).
 */
int	charset_match_init(struct charset_match *m, const char *needle,
	    size_t len);

/* charset_match_reset: forget partial matches and the found flag (a new
 * text starts; needed between texts so that no match spans two). */
void	charset_match_reset(struct charset_match *m);

/* charset_match_break: forget partial matches only (a break inside one
 * text, e.g. between two header fields). */
void	charset_match_break(struct charset_match *m);

/* charset_match_free: release what init allocated. */
void	charset_match_free(struct charset_match *m);

#endif
