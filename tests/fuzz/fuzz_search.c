/*
 * fuzz_search.c: libFuzzer target for what imapd's SEARCH reads from
 * message files outside the MIME parser: the Date: field's day
 * (search_date.h) and the header fields the search cache keeps and gives
 * back (search_cache.h), which must parse back to the same fields.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/mime.h"
#include "common/mime_field.h"
#include "imapd/search_cache.h"
#include "imapd/search_date.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "subject", "from", "date" };
	static uint32_t uid;
	struct mime_field_iter it;
	struct mime_field f;
	const char *p;
	size_t len, nin = 0, nout = 0;
	int64_t t;

	(void)search_sent_date((const char *)data, size, &t);
	if (uid % 1000 == 0)
		(void)search_cache_begin("INBOX", uid / 1000 + 1, names, 3);
	uid++;
	search_cache_put(uid, (const char *)data, size);
	if (!search_cache_get(uid, &p, &len))
		return 0;
	mime_field_first(&it, (const char *)data, size);
	while (mime_field_next(&it, &f))
		nin += f.name_len > 0 && f.end > f.start &&
		    (mime_field_is(&f, "subject") || mime_field_is(&f, "from") ||
		    mime_field_is(&f, "date"));
	mime_field_first(&it, p, len);
	while (mime_field_next(&it, &f))
		nout++;
	if (nin != nout)
		abort();
	return 0;
}
