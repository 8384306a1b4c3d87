/*
 * audit.c: the hash-chained audit log (see audit.h).  Runs in authd and
 * authctl.  Record values are written only here; a record that does not
 * parse is reported, never skipped silently.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bearssl.h>

#include "authd/audit.h"
#include "common/log.h"

#define AUDIT_LINE_MAX	(9 * AUDIT_FIELD_MAX + 128)
#define AUDIT_ZERO	"0000000000000000000000000000000000000000000000000000000000000000"

static void
audit_key(uint8_t key[8], int64_t t)
{
	int i;

	for (i = 7; i >= 0; i--) {
		key[i] = (uint8_t)t;
		t >>= 8;
	}
}

static int64_t
audit_key_time(const MDB_val *k)
{
	const uint8_t *p = k->mv_data;
	uint64_t t = 0;
	int i;

	for (i = 0; i < 8; i++)
		t = t << 8 | p[i];
	return (int64_t)t;
}

/* audit_hash: hex SHA-256 over the key and value bytes of a record. */
static void
audit_hash(const MDB_val *k, const MDB_val *v, char hex[AUDIT_HASH_HEX])
{
	br_sha256_context ctx;
	uint8_t d[32];
	int i;

	br_sha256_init(&ctx);
	br_sha256_update(&ctx, k->mv_data, k->mv_size);
	br_sha256_update(&ctx, v->mv_data, v->mv_size);
	br_sha256_out(&ctx, d);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* audit_clean: copy a field, replacing what could break the line. */
static void
audit_clean(char *out, const char *in)
{
	size_t i;

	if (in == NULL || *in == '\0')
		in = "-";
	for (i = 0; in[i] != '\0' && i < AUDIT_FIELD_MAX - 1; i++)
		out[i] = (in[i] < ' ' || in[i] > '~') ? '?' : in[i];
	out[i] = '\0';
}

/* audit_quote: audit_clean for a quoted syslog field: a client's '"' or
 * '\\' must not end the field and forge the next one. */
static void
audit_quote(char *out, const char *in)
{
	char *p;

	audit_clean(out, in);
	for (p = out; *p; p++)
		if (*p == '"' || *p == '\\')
			*p = '?';
}

/* audit_last: the key and hash of the newest record, or zeros. */
static int
audit_last(struct db *db, MDB_txn *txn, int64_t *t, char hex[AUDIT_HASH_HEX])
{
	MDB_cursor *c;
	MDB_val k, v;
	int rc;

	if (mdb_cursor_open(txn, db->audit, &c) != 0)
		return -1;
	rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	if (rc == 0 && k.mv_size == 8) {
		*t = audit_key_time(&k);
		audit_hash(&k, &v, hex);
	} else {
		*t = -1;
		memcpy(hex, AUDIT_ZERO, AUDIT_HASH_HEX);
	}
	mdb_cursor_close(c);
	return (rc == 0 || rc == MDB_NOTFOUND) ? 0 : -1;
}

static int
audit_put(struct db *db, MDB_txn *txn, int64_t t, const char *prev,
    const struct audit_event *ev, char hex[AUDIT_HASH_HEX])
{
	char f[7][AUDIT_FIELD_MAX], val[AUDIT_LINE_MAX];
	uint8_t key[8];
	MDB_val k = { 8, key }, v;
	int n;

	audit_clean(f[0], ev->service);
	audit_clean(f[1], ev->mech);
	audit_clean(f[2], ev->user);
	audit_clean(f[3], ev->address);
	audit_clean(f[4], ev->result);
	audit_clean(f[5], ev->reason);
	audit_clean(f[6], ev->session);
	n = snprintf(val, sizeof(val), "%s\t%lld\t%s\t%s\t%s\t%s\t%s\t%s\t%s",
	    prev, (long long)t, f[0], f[1], f[2], f[3], f[4], f[5], f[6]);
	if (n < 0 || n >= (int)sizeof(val))
		return -1;
	audit_key(key, t);
	v.mv_size = (size_t)n;
	v.mv_data = val;
	if (mdb_put(txn, db->audit, &k, &v, 0) != 0)
		return -1;
	audit_hash(&k, &v, hex);
	return 0;
}

int
audit_append(struct db *db, MDB_txn *txn, int64_t now,
    const struct audit_event *ev, char *line, size_t linelen)
{
	char prev[AUDIT_HASH_HEX], hex[AUDIT_HASH_HEX];
	char f[7][AUDIT_FIELD_MAX];
	int64_t last;

	if (audit_last(db, txn, &last, prev) == -1)
		return -1;
	if (now <= last)
		now = last + 1;
	if (audit_put(db, txn, now, prev, ev, hex) == -1) {
		log_warnx("cannot write the audit record");
		return -1;
	}
	audit_quote(f[0], ev->service);
	audit_quote(f[1], ev->mech);
	audit_quote(f[2], ev->user);
	audit_quote(f[3], ev->address);
	audit_quote(f[4], ev->result);
	audit_quote(f[5], ev->reason);
	audit_quote(f[6], ev->session);
	snprintf(line, linelen, "audit %.16s service=\"%s\" mech=\"%s\" "
	    "user=\"%s\" address=\"%s\" result=\"%s\" reason=\"%s\" "
	    "session=\"%s\"", hex, f[0], f[1], f[2], f[3], f[4], f[5], f[6]);
	return 0;
}

/* audit_parse: split a stored value into rec; -1 when malformed. */
static int
audit_parse(const MDB_val *k, const MDB_val *v, struct audit_rec *rec)
{
	char buf[AUDIT_LINE_MAX], *f[9], *p, *end;
	int i;

	if (k->mv_size != 8 || v->mv_size >= sizeof(buf) ||
	    memchr(v->mv_data, '\0', v->mv_size) != NULL)
		return -1;
	memcpy(buf, v->mv_data, v->mv_size);
	buf[v->mv_size] = '\0';
	p = buf;
	for (i = 0; i < 9; i++) {
		f[i] = strsep(&p, "\t");
		if (f[i] == NULL || strlen(f[i]) >= AUDIT_FIELD_MAX)
			return -1;
	}
	if (p != NULL || strlen(f[0]) != 64)
		return -1;
	rec->time_us = audit_key_time(k);
	if (strtoll(f[1], &end, 10) != rec->time_us || *end != '\0')
		return -1;
	memcpy(rec->prev, f[0], AUDIT_HASH_HEX);
	strcpy(rec->service, f[2]);
	strcpy(rec->mech, f[3]);
	strcpy(rec->user, f[4]);
	strcpy(rec->address, f[5]);
	strcpy(rec->result, f[6]);
	strcpy(rec->reason, f[7]);
	strcpy(rec->session, f[8]);
	audit_hash(k, v, rec->hash);
	return 0;
}

long
audit_prune(struct db *db, MDB_txn *txn, int64_t before)
{
	MDB_cursor *c;
	MDB_val k, v;
	char last[AUDIT_HASH_HEX], hex[AUDIT_HASH_HEX], why[64];
	struct audit_event anchor = { "-", "-", "-", "-", "anchor", why, "-" };
	int64_t t = 0;
	long n = 0;
	int rc;

	if (mdb_cursor_open(txn, db->audit, &c) != 0)
		return -1;
	while ((rc = mdb_cursor_get(c, &k, &v, MDB_FIRST)) == 0 &&
	    k.mv_size == 8 && (t = audit_key_time(&k)) < before) {
		audit_hash(&k, &v, last);
		if (mdb_cursor_del(c, 0) != 0) {
			rc = -1;
			break;
		}
		n++;
	}
	/* The first kept record links to what came before it; the anchor
	 * carries that link, so the chain verifies however often it is
	 * pruned.  With nothing kept, the next record links to the anchor. */
	if (rc == 0 && v.mv_size >= 64)
		memcpy(last, v.mv_data, 64);
	mdb_cursor_close(c);
	if (rc == -1)
		return -1;
	if (n == 0)
		return 0;
	snprintf(why, sizeof(why), "pruned %ld records", n);
	if (audit_put(db, txn, before - 1 < t ? before - 1 : t - 1, last,
	    &anchor, hex) == -1)
		return -1;
	return n;
}

int
audit_each(struct db *db, MDB_txn *txn, int64_t since,
    audit_each_fn fn, void *arg)
{
	struct audit_rec *rec;
	MDB_cursor *c;
	uint8_t key[8];
	MDB_val k = { 8, key }, v;
	int rc, r = 0;

	if ((rec = malloc(sizeof(*rec))) == NULL)
		return -1;
	if (mdb_cursor_open(txn, db->audit, &c) != 0) {
		free(rec);
		return -1;
	}
	audit_key(key, since < 0 ? 0 : since);
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	while (rc == 0) {
		if (audit_parse(&k, &v, rec) == -1) {
			log_warnx("malformed record at key %lld",
			    (long long)audit_key_time(&k));
			r = -1;
			break;
		}
		if ((r = fn(arg, rec)) != 0)
			break;
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	free(rec);
	if (r == -1 || (rc != 0 && rc != MDB_NOTFOUND))
		return -1;
	return 0;
}

struct audit_walk {
	FILE	*out;
	struct audit_rec *head;		/* may be NULL */
	long	 n;
	int	 reported;
	char	 prev[AUDIT_HASH_HEX];
	char	 anchor_prev[AUDIT_HASH_HEX];	/* "" unless after an anchor */
	int64_t	 prev_time;
};

static int
audit_verify_one(void *arg, const struct audit_rec *rec)
{
	struct audit_walk *w = arg;
	int anchor = strcmp(rec->result, "anchor") == 0;

	w->reported = 1;
	if (w->n == 0 && !anchor && strcmp(rec->prev, AUDIT_ZERO) != 0) {
		fprintf(w->out, "audit chain broken at record %lld: records "
		    "before it were removed\n", (long long)rec->time_us);
		return -1;
	}
	if (w->n > 0 && anchor) {
		fprintf(w->out, "audit chain broken at record %lld: an anchor "
		    "record inside the chain was inserted\n",
		    (long long)rec->time_us);
		return -1;
	}
	if (w->n > 0 && strcmp(rec->prev, w->prev) != 0 &&
	    strcmp(rec->prev, w->anchor_prev) != 0) {
		fprintf(w->out, "audit chain broken at record %lld: the record "
		    "before it (%lld) was changed, or a record between them "
		    "was removed or inserted\n", (long long)rec->time_us,
		    (long long)w->prev_time);
		return -1;
	}
	/* The record after an anchor links to the last pruned record (it was
	 * written before the anchor existed) or, if everything was pruned, to
	 * the anchor itself. */
	memcpy(w->prev, rec->hash, AUDIT_HASH_HEX);
	if (anchor)
		memcpy(w->anchor_prev, rec->prev, AUDIT_HASH_HEX);
	else
		w->anchor_prev[0] = '\0';
	w->prev_time = rec->time_us;
	if (w->head != NULL)
		*w->head = *rec;
	w->n++;
	w->reported = 0;
	return 0;
}

long
audit_verify(struct db *db, MDB_txn *txn, FILE *out, struct audit_rec *head)
{
	struct audit_walk w;

	memset(&w, 0, sizeof(w));
	w.out = out;
	w.head = head;
	if (audit_each(db, txn, 0, audit_verify_one, &w) == -1) {
		if (!w.reported)
			fprintf(out, "audit chain broken after record %lld: the "
			    "next record does not parse (it was changed)\n",
			    (long long)w.prev_time);
		return -1;
	}
	return w.n;
}
