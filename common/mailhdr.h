/*
 * mailhdr.h: a bounded walk over the header fields of a message (RFC
 * 5322 2.2): one field at a time, continuation lines joined to their
 * field, up to the empty line that ends the header block.  For the
 * check role's Authentication-Results and From scanners.  The block is
 * hostile: any bytes, LF or CRLF line ends, any length; nothing is
 * copied or allocated, every step is bounded by the buffer's length.
 */
#ifndef POSTERN_MAILHDR_H
#define POSTERN_MAILHDR_H

#include <stddef.h>

struct mailhdr_field {
	size_t		 off, len;	/* the whole field, line end included */
	const char	*name;		/* namelen 0: a line with no colon */
	size_t		 namelen;	/* blanks before the colon not counted */
	const char	*value;		/* after the colon, folding kept, the */
	size_t		 valuelen;	/* last line end left out */
};

/*
 * mailhdr_next: the field starting at *pos in buf[0..len) into *f, and
 * *pos moved past it; 1 with a field, 0 at the end of the header block
 * (an empty line, or the end of buf).  A continuation line at the very
 * start is taken as a field of its own with no name.
 */
int	mailhdr_next(const char *buf, size_t len, size_t *pos,
	    struct mailhdr_field *f);

/* mailhdr_name_is: 1 when f's name is name (without case), else 0. */
int	mailhdr_name_is(const struct mailhdr_field *f, const char *name);

#endif
