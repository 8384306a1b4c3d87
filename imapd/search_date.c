/*
 * search_date.c: the days SEARCH compares (see search_date.h).  Runs in
 * imapd's mail process; the Date: field is hostile: read octet by octet
 * within its length, numbers bounded to four digits.
 */
#include <string.h>

#include "imapd/search_date.h"

/* search_days: days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t
search_days(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int64_t
search_day(int64_t t)
{
	int64_t d = t / SEARCH_DAY;

	if (t % SEARCH_DAY < 0)
		d--;
	return d * SEARCH_DAY;
}

static const char *
search_blanks(const char *p, const char *e)
{
	int depth = 0;

	/* Blanks, line ends and (nested) comments. */
	for (; p < e; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		else if (depth == 0 && *p != ' ' && *p != '\t' &&
		    *p != '\r' && *p != '\n')
			break;
	}
	return p;
}

static int
search_isalpha(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static int
search_isdigit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* search_digits: up to max digits at *pp into *v; their count. */
static int
search_digits(const char **pp, const char *e, int max, int *v)
{
	int n = 0;

	*v = 0;
	while (*pp < e && search_isdigit(**pp) && n <= max) {
		*v = *v * 10 + (**pp - '0');
		(*pp)++;
		n++;
	}
	return n > max ? 0 : n;
}

int
search_sent_date(const char *p, size_t len, int64_t *t)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	const char *e = p + len, *mp;
	char mon[3];
	int day, year, nd, m, leap;

	p = search_blanks(p, e);
	if (p < e && search_isalpha(*p)) {
		while (p < e && search_isalpha(*p))
			p++;
		p = search_blanks(p, e);
		if (p < e && *p == ',')
			p = search_blanks(p + 1, e);
	}
	if (search_digits(&p, e, 2, &day) == 0)
		return -1;
	p = search_blanks(p, e);
	if (e - p < 3 || !search_isalpha(p[0]) || !search_isalpha(p[1]) ||
	    !search_isalpha(p[2]))
		return -1;
	for (m = 0; m < 3; m++)
		mon[m] = (char)(p[m] | 0x20);
	for (m = 0; m < 12 && memcmp(months + 3 * m, mon, 3) != 0; m++)
		continue;
	if (m == 12)
		return -1;
	for (mp = p; p < e && search_isalpha(*p); p++)
		continue;
	if (p - mp > 9)
		return -1;
	p = search_blanks(p, e);
	if ((nd = search_digits(&p, e, 4, &year)) < 2)
		return -1;
	if (nd == 2)
		year += year < 50 ? 2000 : 1900;
	else if (nd == 3)
		year += 1900;
	leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	if (day < 1 || day > mdays[m] || (m == 1 && day == 29 && !leap) ||
	    year < 1)
		return -1;
	*t = search_days(year, m + 1, day) * SEARCH_DAY;
	return 0;
}
