/*
 * test_search_cache.c: unit test of imapd's search cache
 * (imapd/search_cache.h): only the fields with kept names are kept, all
 * their lines and occurrences, as a header block that parses back to the
 * same fields; the folder and the name set decide what stays; the size
 * bounds hold.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imapd/search_cache.h"
#include "tests/unit/check.h"

static const char hdr1[] =
    "Received: from a\n\tby b\n"
    "Subject: first line\n  folded second\n"
    "From: a@example.org\n"
    "X-Other: x\n"
    "subject: another\n"
    "\n";

/* get: the cached block of uid as a string ("" when not cached). */
static const char *
get(uint32_t uid)
{
	static char buf[SEARCH_CACHE_ENTRY_MAX + 1];
	const char *p;
	size_t len;

	if (!search_cache_get(uid, &p, &len))
		return "";
	memcpy(buf, p, len);
	buf[len] = '\0';
	return buf;
}

int
main(void)
{
	const char *subj[] = { "Subject" }, *both[] = { "from", "SUBJECT" };
	const char *many[SEARCH_CACHE_NAMES + 1] = { "a", "b", "c", "d", "e",
	    "f", "g", "h", "i" };
	const char *nine[] = { "i" };
	char *big;
	size_t i;

	CHECK_INT_EQ(search_cache_begin("INBOX", 7, subj, 0), 0,
	    "no names: no cache");
	CHECK_INT_EQ(search_cache_begin("INBOX", 7, subj, 1), 1,
	    "one name: cached");
	CHECK_STR_EQ(get(3), "", "nothing cached yet");
	search_cache_put(3, hdr1, sizeof(hdr1) - 1);
	CHECK_STR_EQ(get(3), "Subject: first line\n  folded second\n"
	    "subject: another\n", "every Subject field, all its lines");
	search_cache_put(1, "From: x\n\n", 9);
	CHECK_STR_EQ(get(1), "", "a message without the field: empty");
	CHECK_INT_EQ(search_cache_get(1, &(const char *){ NULL },
	    &(size_t){ 0 }), 1, "but cached");
	search_cache_put(2, "Subject: no line end", 20);
	CHECK_STR_EQ(get(2), "Subject: no line end\n",
	    "a last line gets its line end");
	CHECK_STR_EQ(get(3), "Subject: first line\n  folded second\n"
	    "subject: another\n", "inserting before keeps the order");

	CHECK_INT_EQ(search_cache_begin("INBOX", 7, subj, 1), 1,
	    "the same name again");
	CHECK_STR_EQ(get(2), "Subject: no line end\n", "entries stay");
	CHECK_INT_EQ(search_cache_begin("INBOX", 7, both, 2), 1,
	    "a new name");
	CHECK_STR_EQ(get(2), "", "entries without it are dropped");
	search_cache_put(3, hdr1, sizeof(hdr1) - 1);
	CHECK_STR_EQ(get(3), "Subject: first line\n  folded second\n"
	    "From: a@example.org\nsubject: another\n",
	    "both names, in message order");
	CHECK_INT_EQ(search_cache_begin("INBOX", 7, subj, 1), 1,
	    "a name already kept");
	CHECK_STR_EQ(get(3), "Subject: first line\n  folded second\n"
	    "From: a@example.org\nsubject: another\n", "entries stay");
	CHECK_INT_EQ(search_cache_begin("INBOX", 8, subj, 1), 1,
	    "a new UIDVALIDITY");
	CHECK_STR_EQ(get(3), "", "empties the cache");
	search_cache_put(3, hdr1, sizeof(hdr1) - 1);
	CHECK_STR_EQ(get(3), "Subject: first line\n  folded second\n"
	    "subject: another\n", "and only the new names are kept");
	CHECK_INT_EQ(search_cache_begin("Sent", 8, subj, 1), 1,
	    "another folder");
	CHECK_STR_EQ(get(3), "", "empties the cache");

	CHECK_INT_EQ(search_cache_begin("INBOX", 7, many,
	    SEARCH_CACHE_NAMES + 1), 0, "too many names: no cache");
	CHECK_INT_EQ(search_cache_begin("INBOX", 7, many,
	    SEARCH_CACHE_NAMES), 1, "as many as kept");
	CHECK_INT_EQ(search_cache_begin("INBOX", 7, nine, 1), 1,
	    "one more: only this search's are kept");
	search_cache_put(5, "A: 1\nI: 9\n\n", 11);
	CHECK_STR_EQ(get(5), "I: 9\n", "the old names are gone");

	if ((big = malloc(SEARCH_CACHE_ENTRY_MAX + 16)) == NULL)
		return 1;
	memcpy(big, "I: ", 3);
	memset(big + 3, 'x', SEARCH_CACHE_ENTRY_MAX + 16 - 3);
	search_cache_put(6, big, SEARCH_CACHE_ENTRY_MAX + 16);
	CHECK_INT_EQ(search_cache_get(6, &(const char *){ NULL },
	    &(size_t){ 0 }), 0, "fields too large for an entry: not kept");
	memset(big + 3, 'y', SEARCH_CACHE_ENTRY_MAX - 100);
	big[SEARCH_CACHE_ENTRY_MAX - 97] = '\n';
	for (i = 0; i < 2 * SEARCH_CACHE_MAX / SEARCH_CACHE_ENTRY_MAX; i++)
		search_cache_put((uint32_t)(100 + i), big,
		    SEARCH_CACHE_ENTRY_MAX - 96);
	CHECK_INT_EQ(search_cache_get(100, &(const char *){ NULL },
	    &(size_t){ 0 }), 1, "the first large entries are kept");
	CHECK_INT_EQ(search_cache_get((uint32_t)(100 + i - 1),
	    &(const char *){ NULL }, &(size_t){ 0 }), 0,
	    "past the cache's size, none");
	CHECK_STR_EQ(get(5), "I: 9\n", "the small one is still there");
	free(big);
	return check_done();
}
