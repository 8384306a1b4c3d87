/*
 * dmarc_record.c: the DMARC policy record parser (RFC 7489 6.3, 6.4).
 * Runs in the check role; the record comes from DNS and is hostile: it is
 * read in place with explicit bounds, never copied past DMARC_RECORD_MAX,
 * and every known tag is checked against its grammar.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/dmarc.h"

/* A tag's value as a bounded slice of the record. */
struct dmarc_slice {
	const char	*p;
	size_t		 len;
};

enum dmarc_tag {
	DMARC_TAG_P, DMARC_TAG_SP, DMARC_TAG_NP, DMARC_TAG_ADKIM,
	DMARC_TAG_ASPF, DMARC_TAG_PCT, DMARC_TAG_RUA, DMARC_TAG_RUF,
	DMARC_TAG_RI, DMARC_TAG_FO, DMARC_TAG_RF, DMARC_TAG_COUNT
};

static const char *dmarc_tag_names[DMARC_TAG_COUNT] = {
	"p", "sp", "np", "adkim", "aspf", "pct", "rua", "ruf", "ri", "fo", "rf",
};

static int
dmarc_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
dmarc_eq(struct dmarc_slice v, const char *word)
{
	return v.len == strlen(word) && strncasecmp(v.p, word, v.len) == 0;
}

int
dmarc_record_is_dmarc(const char *txt, size_t len)
{
	size_t i = 0;

	while (i < len && dmarc_wsp(txt[i]))
		i++;
	if (len - i < 1 || (txt[i] != 'v' && txt[i] != 'V'))
		return 0;
	i++;
	while (i < len && dmarc_wsp(txt[i]))
		i++;
	if (i == len || txt[i++] != '=')
		return 0;
	while (i < len && dmarc_wsp(txt[i]))
		i++;
	/* RFC 7489 6.3: the value "MUST match precisely" */
	if (len - i < 6 || memcmp(txt + i, "DMARC1", 6) != 0)
		return 0;
	i += 6;
	while (i < len && dmarc_wsp(txt[i]))
		i++;
	return i == len || txt[i] == ';';
}

static int
dmarc_policy_word(struct dmarc_slice v, enum dmarc_policy *p)
{
	if (dmarc_eq(v, "none"))
		*p = DMARC_POLICY_NONE;
	else if (dmarc_eq(v, "quarantine"))
		*p = DMARC_POLICY_QUARANTINE;
	else if (dmarc_eq(v, "reject"))
		*p = DMARC_POLICY_REJECT;
	else
		return -1;
	return 0;
}

static int
dmarc_number(struct dmarc_slice v, unsigned max, unsigned *out)
{
	unsigned n = 0;
	size_t i;

	if (v.len == 0 || v.len > 10)
		return -1;
	for (i = 0; i < v.len; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return -1;
		n = n * 10 + (unsigned)(v.p[i] - '0');
		if (n > max)
			return -1;
	}
	*out = n;
	return 0;
}

/* A list of reporting URIs: comma-separated, each non-empty and free of
 * blanks and control bytes ("mailto:a@example.com!10m"). */
static int
dmarc_uri_list(struct dmarc_slice v)
{
	size_t i, item = 0;

	for (i = 0; i <= v.len; i++) {
		if (i == v.len || v.p[i] == ',') {
			if (item == 0)
				return -1;
			item = 0;
		} else if ((unsigned char)v.p[i] <= ' ' ||
		    (unsigned char)v.p[i] >= 0x7f)
			return -1;
		else
			item++;
	}
	return 0;
}

/* fo=: "0", "1", "d", "s" separated by ':' */
static int
dmarc_fo(struct dmarc_slice v)
{
	size_t i;

	if (v.len == 0 || v.len % 2 == 0)
		return -1;
	for (i = 0; i < v.len; i++)
		if (i % 2 == 1 ? v.p[i] != ':' :
		    strchr("01dsDS", v.p[i]) == NULL || v.p[i] == '\0')
			return -1;
	return 0;
}

/* One known tag; -1 on a value outside its grammar.  An invalid p= or
 * sp= is reported back through *bad_policy instead (RFC 7489 6.6.3). */
static int
dmarc_tag(enum dmarc_tag t, struct dmarc_slice v, struct dmarc_record *r,
    int *bad_policy, int *has_sp, int *has_np)
{
	unsigned n;

	switch (t) {
	case DMARC_TAG_P:
		if (dmarc_policy_word(v, &r->p) == -1)
			*bad_policy = 1;
		return 0;
	case DMARC_TAG_SP:
		if (dmarc_policy_word(v, &r->sp) == -1)
			*bad_policy = 1;
		*has_sp = 1;
		return 0;
	case DMARC_TAG_NP:
		*has_np = 1;
		return dmarc_policy_word(v, &r->np);
	case DMARC_TAG_ADKIM:
	case DMARC_TAG_ASPF:
		if (!dmarc_eq(v, "r") && !dmarc_eq(v, "s"))
			return -1;
		*(t == DMARC_TAG_ADKIM ? &r->adkim_strict : &r->aspf_strict) =
		    dmarc_eq(v, "s");
		return 0;
	case DMARC_TAG_PCT:
		return dmarc_number(v, 100, &r->pct);
	case DMARC_TAG_RUA:
		r->has_rua = dmarc_uri_list(v) == 0;
		return 0;
	case DMARC_TAG_RUF:
		return dmarc_uri_list(v);
	case DMARC_TAG_RI:
		return dmarc_number(v, 0xffffffffu, &n);
	case DMARC_TAG_FO:
		return dmarc_fo(v);
	case DMARC_TAG_RF:
		return v.len > 0 ? 0 : -1;
	default:
		return -1;
	}
}

static void
dmarc_record_err(char *err, size_t errlen, const char *what,
    struct dmarc_slice name)
{
	if (errlen > 0)
		snprintf(err, errlen, "%s%s%.*s", what, name.len ? ": " : "",
		    (int)(name.len > 20 ? 20 : name.len), name.p);
}

/* Cut the next tag "name = value" out of txt[*pos..len) at the next ';';
 * 1 with a tag, 0 for an empty one, -1 when malformed. */
static int
dmarc_next_tag(const char *txt, size_t len, size_t *pos,
    struct dmarc_slice *name, struct dmarc_slice *val)
{
	size_t i = *pos, end;

	end = i;
	while (end < len && txt[end] != ';')
		end++;
	*pos = end < len ? end + 1 : end;
	while (i < end && dmarc_wsp(txt[i]))
		i++;
	while (end > i && dmarc_wsp(txt[end - 1]))
		end--;
	if (i == end)
		return 0;
	name->p = txt + i;
	while (i < end && ((txt[i] >= 'a' && txt[i] <= 'z') ||
	    (txt[i] >= 'A' && txt[i] <= 'Z') || (txt[i] >= '0' &&
	    txt[i] <= '9') || txt[i] == '_'))
		i++;
	name->len = (size_t)(txt + i - name->p);
	while (i < end && dmarc_wsp(txt[i]))
		i++;
	if (name->len == 0 || i == end || txt[i] != '=')
		return -1;
	i++;
	while (i < end && dmarc_wsp(txt[i]))
		i++;
	val->p = txt + i;
	val->len = end - i;
	return 1;
}

int
dmarc_record_parse(const char *txt, size_t len, struct dmarc_record *r,
    char *err, size_t errlen)
{
	struct dmarc_slice name = { "", 0 }, val;
	unsigned seen = 0;
	size_t pos = 0, t;
	int rc, bad_policy = 0, has_p = 0, has_sp = 0, has_np = 0;

	if (errlen > 0)
		err[0] = '\0';
	memset(r, 0, sizeof(*r));
	r->pct = 100;
	if (len > DMARC_RECORD_MAX || memchr(txt, '\0', len) != NULL ||
	    !dmarc_record_is_dmarc(txt, len)) {
		dmarc_record_err(err, errlen, "not a DMARC record", name);
		return -1;
	}
	/* skip the version tag: dmarc_record_is_dmarc checked it */
	dmarc_next_tag(txt, len, &pos, &name, &val);
	while (pos < len) {
		if ((rc = dmarc_next_tag(txt, len, &pos, &name, &val)) == 0)
			continue;
		if (rc == -1) {
			dmarc_record_err(err, errlen, "malformed tag", name);
			return -1;
		}
		for (t = 0; t < DMARC_TAG_COUNT; t++)
			if (dmarc_eq(name, dmarc_tag_names[t]))
				break;
		if (t == DMARC_TAG_COUNT)
			continue;
		if ((seen & (1u << t)) != 0 || dmarc_tag((enum dmarc_tag)t, val,
		    r, &bad_policy, &has_sp, &has_np) == -1) {
			dmarc_record_err(err, errlen, "bad or repeated tag",
			    name);
			return -1;
		}
		seen |= 1u << t;
		has_p |= t == DMARC_TAG_P;
	}
	if (!has_p || bad_policy) {
		if (!r->has_rua) {
			name.len = 0;
			dmarc_record_err(err, errlen, "no valid p= tag", name);
			return -2;
		}
		r->p = r->sp = DMARC_POLICY_NONE;
		has_sp = 1;
	}
	if (!has_sp)
		r->sp = r->p;
	if (!has_np)
		r->np = r->sp;
	return 0;
}
