/*
 * search_cache.c: the header fields SEARCH has looked at, kept for the
 * session (see search_cache.h).  Runs in imapd's mail process; the
 * fields are copied from hostile message files, bounded in size, and
 * only ever searched.  Entries sit in one arena, indexed by an array
 * sorted by UID: a search walks the folder by ascending UID, so new
 * entries are nearly always appended.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/mime.h"
#include "common/mime_field.h"
#include "common/store.h"
#include "common/store_folder.h"
#include "common/util.h"
#include "imapd/search_cache.h"

struct search_centry {
	uint32_t	 uid;
	uint32_t	 len;
	size_t		 off;		/* in the arena */
};

static struct {
	char			 folder[STORE_FOLDER_NAME_MAX];
	uint32_t		 uidvalidity;
	char			 names[SEARCH_CACHE_NAMES][SEARCH_CACHE_NAME_LEN];
	size_t			 nnames;
	struct search_centry	*e;
	size_t			 n, cap;
	char			*arena;
	size_t			 used, size;
} sc;

static void
search_cache_drop(void)
{
	free(sc.e);
	free(sc.arena);
	sc.e = NULL;
	sc.arena = NULL;
	sc.n = sc.cap = sc.used = sc.size = 0;
}

static int
search_cache_kept(const char *name)
{
	size_t i;

	for (i = 0; i < sc.nnames; i++)
		if (strcasecmp(sc.names[i], name) == 0)
			return 1;
	return 0;
}

int
search_cache_begin(const char *folder, uint32_t uidvalidity,
    const char *const *names, size_t n)
{
	size_t i, add = 0;

	if (strcmp(folder, sc.folder) != 0 || uidvalidity != sc.uidvalidity) {
		search_cache_drop();
		sc.nnames = 0;
		(void)str_copy(sc.folder, folder, sizeof(sc.folder));
		sc.uidvalidity = uidvalidity;
	}
	if (n == 0 || n > SEARCH_CACHE_NAMES)
		return 0;
	for (i = 0; i < n; i++) {
		if (strlen(names[i]) >= SEARCH_CACHE_NAME_LEN)
			return 0;
		add += !search_cache_kept(names[i]);
	}
	if (add == 0)
		return 1;
	/* The entries lack the new names: they go. */
	search_cache_drop();
	if (sc.nnames + add > SEARCH_CACHE_NAMES)
		sc.nnames = 0;
	for (i = 0; i < n; i++)
		if (!search_cache_kept(names[i]))
			(void)str_copy(sc.names[sc.nnames++], names[i],
			    SEARCH_CACHE_NAME_LEN);
	return 1;
}

/* search_cache_wanted: whether field f has a kept name. */
static int
search_cache_wanted(const struct mime_field *f)
{
	size_t k;

	if (f->name_len == 0 || f->end == f->start)
		return 0;
	for (k = 0; k < sc.nnames; k++)
		if (mime_field_is(f, sc.names[k]))
			return 1;
	return 0;
}

/* search_cache_find: the index of uid, or where it would go. */
static size_t
search_cache_find(uint32_t uid)
{
	size_t lo = 0, hi = sc.n, mid;

	if (sc.n > 0 && sc.e[sc.n - 1].uid < uid)
		return sc.n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (sc.e[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
search_cache_get(uint32_t uid, const char **p, size_t *len)
{
	size_t i = search_cache_find(uid);

	if (i == sc.n || sc.e[i].uid != uid)
		return 0;
	/* Only empty headers were kept: there is no arena yet. */
	*p = sc.arena != NULL ? sc.arena + sc.e[i].off : "";
	*len = sc.e[i].len;
	return 1;
}

/* search_cache_room: room for len more octets and one more entry. */
static int
search_cache_room(size_t len)
{
	struct search_centry *e;
	size_t size;
	char *a;

	if (len > SEARCH_CACHE_MAX - sc.used)
		return -1;
	if (sc.used + len > sc.size) {
		size = sc.size ? sc.size : 65536;
		while (size < sc.used + len)
			size *= 2;
		if (size > SEARCH_CACHE_MAX)
			size = SEARCH_CACHE_MAX;
		if ((a = realloc(sc.arena, size)) == NULL)
			return -1;
		sc.arena = a;
		sc.size = size;
	}
	if (sc.n == sc.cap) {
		if ((e = reallocarray(sc.e, sc.cap ? sc.cap * 2 : 1024,
		    sizeof(*e))) == NULL)
			return -1;
		sc.e = e;
		sc.cap = sc.cap ? sc.cap * 2 : 1024;
	}
	return 0;
}

void
search_cache_put(uint32_t uid, const char *hdr, size_t len)
{
	struct mime_field_iter it;
	struct mime_field f;
	size_t i, need = 0, off;

	i = search_cache_find(uid);
	if (sc.nnames == 0 || (i < sc.n && sc.e[i].uid == uid))
		return;
	mime_field_first(&it, hdr, len);
	while (mime_field_next(&it, &f))
		if (search_cache_wanted(&f))
			need += (size_t)(f.end - f.start) + 1;
	if (need > SEARCH_CACHE_ENTRY_MAX || search_cache_room(need) == -1)
		return;
	off = sc.used;
	mime_field_first(&it, hdr, len);
	while (mime_field_next(&it, &f)) {
		if (!search_cache_wanted(&f))
			continue;
		memcpy(sc.arena + sc.used, f.start, (size_t)(f.end - f.start));
		sc.used += (size_t)(f.end - f.start);
		/* The header's last line may lack its line end. */
		if (sc.arena[sc.used - 1] != '\n')
			sc.arena[sc.used++] = '\n';
	}
	memmove(&sc.e[i + 1], &sc.e[i], (sc.n - i) * sizeof(sc.e[0]));
	sc.e[i].uid = uid;
	sc.e[i].off = off;
	sc.e[i].len = (uint32_t)(sc.used - off);
	sc.n++;
}
