/*
 * search_date.h: the days SEARCH compares (RFC 3501 6.4.4): the internal
 * date's day, and the day a Date: field names.  Runs in imapd's mail
 * process; the field's text comes from a message file and is hostile:
 * every field is bounded and checked, nothing is allocated.
 */
#ifndef IMAPD_SEARCH_DATE_H
#define IMAPD_SEARCH_DATE_H

#include <stddef.h>
#include <stdint.h>

#define SEARCH_DAY	86400

/* search_day: 00:00 UTC of the day of t (seconds since the epoch; before
 * 1970 too). */
int64_t	search_day(int64_t t);

/*
 * search_sent_date: the day a Date: field value names (the len octets at
 * p, as it stands in the header, folded), as 00:00 UTC of that day in
 * *t: RFC 5322 3.3 with its obsolete forms (day name optional, or without
 * its comma; two-digit years 00-49 as 20xx and 50-99 as 19xx, three-digit
 * ones plus 1900; month names in any case, full names too; comments and
 * folding anywhere between).  The time and zone that follow are
 * disregarded, as RFC 3501 says for SENTBEFORE, SENTON and SENTSINCE.
 * Returns 0, or -1 when the text names no valid day (a day outside its
 * month, 29 February of a common year, year 0, no month name...).
 */
int	search_sent_date(const char *p, size_t len, int64_t *t);

#endif
