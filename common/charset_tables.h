/*
 * charset_tables.h: the data charset.c converts and folds with (see
 * charset_tables.c, generated).  Read-only data; trusted.
 */
#ifndef POSTERN_CHARSET_TABLES_H
#define POSTERN_CHARSET_TABLES_H

#include <stdint.h>

struct charset_table {
	const char	*name;		/* canonical, lower case */
	uint16_t	 hi[128];	/* bytes 0x80-0xff */
};

struct charset_fold_pair {
	uint16_t	from, to;
};

extern const struct charset_table charset_tables[];
extern const unsigned charset_ntables;
extern const unsigned charset_cp1252;	/* the index of windows-1252 */

/* Sorted by from; code points not listed fold to themselves (ASCII is
 * not listed: charset.c folds it directly). */
extern const struct charset_fold_pair charset_fold_pairs[];
extern const unsigned charset_nfold_pairs;

#endif
