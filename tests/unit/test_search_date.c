/*
 * test_search_date.c: unit test of the days SEARCH compares
 * (imapd/search_date.h): Date: fields in RFC 5322 form and its obsolete
 * forms, time and zone disregarded, and what is not a date.
 */
#include <stdint.h>
#include <string.h>

#include "imapd/search_date.h"
#include "tests/unit/check.h"

/* date: the day the field value s names, or -1. */
static int64_t
date(const char *s)
{
	int64_t t;

	if (search_sent_date(s, strlen(s), &t) == -1)
		return -1;
	return t;
}

int
main(void)
{
	CHECK_INT_EQ(date(" Mon, 5 Jan 2026 10:00:00 +0000\n"), 1767571200,
	    "RFC 5322 date");
	CHECK_INT_EQ(date("5 Jan 2026 23:59:59 -1200"), 1767571200,
	    "no day name; the zone is disregarded");
	CHECK_INT_EQ(date("Sun, 15 Mar 2026 23:30:00 -0800"), 1773532800,
	    "the day as written, not in UTC");
	CHECK_INT_EQ(date("Mon,5 jan 2026"), 1767571200,
	    "no blank after the comma, month in lower case");
	CHECK_INT_EQ(date("Monday 05 JANUARY 2026 10:00"), 1767571200,
	    "full names, no comma");
	CHECK_INT_EQ(date("(comment) Mon, (c)\n 5\n\tJan (x) 2026"),
	    1767571200, "comments and folding");
	CHECK_INT_EQ(date("1 Mar 26 08:00 GMT"), 1772323200,
	    "two-digit year below 50: 20xx");
	CHECK_INT_EQ(date("1 Mar 99 08:00 GMT"), 920246400,
	    "two-digit year from 50: 19xx");
	CHECK_INT_EQ(date("1 Mar 126 08:00 GMT"), 1772323200,
	    "three-digit year: plus 1900");
	CHECK_INT_EQ(date("29 Feb 2024"), 1709164800, "leap day");
	CHECK_INT_EQ(date("1 Jan 1960"), -315619200, "before 1970");
	CHECK_INT_EQ(date("29 Feb 2023"), -1, "no leap day in 2023");
	CHECK_INT_EQ(date("29 Feb 1900"), -1, "nor in 1900");
	CHECK_INT_EQ(date("29 Feb 2000"), 951782400, "but in 2000");
	CHECK_INT_EQ(date("31 Apr 2026"), -1, "day outside its month");
	CHECK_INT_EQ(date("0 Jan 2026"), -1, "day 0");
	CHECK_INT_EQ(date("123 Jan 2026"), -1, "three-digit day");
	CHECK_INT_EQ(date("5 Foo 2026"), -1, "unknown month");
	CHECK_INT_EQ(date("5 Ja 2026"), -1, "short month");
	CHECK_INT_EQ(date("5 Jan 20265"), -1, "five-digit year");
	CHECK_INT_EQ(date("5 Jan 0000"), -1, "year 0");
	CHECK_INT_EQ(date("5 Jan 2"), -1, "one-digit year");
	CHECK_INT_EQ(date("yesterday, around noon"), -1, "words");
	CHECK_INT_EQ(date("2026-01-05T10:00:00Z"), -1, "ISO 8601");
	CHECK_INT_EQ(date(""), -1, "empty");
	CHECK_INT_EQ(date("5"), -1, "cut short after the day");
	CHECK_INT_EQ(date("5 Jan"), -1, "cut short after the month");
	CHECK_INT_EQ(date("(unclosed comment 5 Jan 2026"), -1,
	    "an unclosed comment hides the rest");
	CHECK_INT_EQ(search_day(1767571200 + 86399), 1767571200,
	    "the last second of a day");
	CHECK_INT_EQ(search_day(1767571200), 1767571200, "its first");
	CHECK_INT_EQ(search_day(-1), -86400, "before 1970");
	CHECK_INT_EQ(search_day(-86400), -86400, "exactly a day before");
	return check_done();
}
