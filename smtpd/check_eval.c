/*
 * check_eval.c: the check role's judgement of one message (check.h):
 * DKIM's phase 2 (the key of each signature a broker hashed, the RSA
 * verification: common/dkim.h), SPF (common/spf.h), DMARC
 * (common/dmarc.h) over the SPF and DKIM results, the disposition the
 * configuration gives a DMARC failure, and the Authentication-Results
 * value (common/authres.h); every lookup within the time allowed.  Runs
 * in the check role; the request and its signatures are a broker's
 * (decoded, still hostile: dkim_verify_finish checks the signatures
 * again), every DNS answer is hostile and read only by the modules
 * above.
 */
#include <stdio.h>
#include <string.h>

#include "common/authres.h"
#include "common/base64.h"
#include "common/dkim.h"
#include "common/dmarc.h"
#include "common/spf.h"
#include "common/util.h"
#include "smtpd/check.h"

/* check_deadline: the lookups of env, none from env->until less
 * reserve (ms) on. */
static void
check_deadline(const struct check_env *env, int64_t reserve,
    struct dns_deadline *dl)
{
	memset(dl, 0, sizeof(*dl));
	dl->lookup = env->lookup;
	dl->arg = env->arg;
	dl->until = env->until - reserve;
	dl->clock = env->clock;
}

unsigned
check_dkim_finish(const struct check_env *env, struct dkim_sig *sigs,
    size_t n, struct check_dkim *out)
{
	struct dns_deadline dl;
	char b64[16];
	unsigned skipped;
	size_t i;

	check_deadline(env, CHECK_DMARC_RESERVE_MS, &dl);
	for (i = 0; i < n && i < DKIM_SIGS_MAX; i++) {
		struct dkim_sig *s = &sigs[i];
		struct check_dkim *d = &out[i];

		memset(d, 0, sizeof(*d));
		skipped = dl.skipped;
		(void)dkim_verify_finish(s, dns_deadline_query, &dl);
		(void)str_copy(d->result, dkim_result_name(s->result),
		    sizeof(d->result));
		(void)str_copy(d->domain, s->domain, sizeof(d->domain));
		(void)str_copy(d->selector, s->selector, sizeof(d->selector));
		(void)str_copy(d->reason, dl.skipped != skipped ?
		    "no time left to look the key up" : s->reason,
		    sizeof(d->reason));
		/* header.b: the first 8 characters of b= (RFC 6008), which
		 * tell two signatures of one domain apart: 6 bytes. */
		if (s->blen >= 6 &&
		    base64_encode(s->b, 6, b64, sizeof(b64)) == 8)
			(void)str_copy(d->b, b64, sizeof(d->b));
	}
	return dl.skipped;
}

/* check_dkim_word: authres.h's result for an RFC 8601 word. */
static enum authres_dkim_result
check_dkim_word(const char *word)
{
	int r;

	for (r = AUTHRES_DKIM_NONE; r <= AUTHRES_DKIM_PERMERROR; r++)
		if (strcmp(authres_dkim_result_name(
		    (enum authres_dkim_result)r), word) == 0)
			return (enum authres_dkim_result)r;
	return AUTHRES_DKIM_PERMERROR;
}

/*
 * check_unfold: the value of the field authres_build made (the name,
 * folding and final CRLF taken off, each fold one blank) into out.  0,
 * or -1 when it does not fit or is not what queueproto_authres_valid
 * takes.
 */
static int
check_unfold(const char *field, char *out, size_t outlen)
{
	static const char name[] = "Authentication-Results:";
	size_t i, o = 0;

	if (strncmp(field, name, sizeof(name) - 1) != 0)
		return -1;
	for (i = sizeof(name) - 1; field[i] == ' ' || field[i] == '\t'; i++)
		;
	for (; field[i] != '\0'; i++) {
		if (field[i] == '\r' || field[i] == '\n') {
			while (field[i + 1] == '\r' || field[i + 1] == '\n')
				i++;
			if (field[i + 1] == ' ' || field[i + 1] == '\t') {
				i++;
				if (o + 1 >= outlen)
					return -1;
				out[o++] = ' ';
			}
			continue;
		}
		if (o + 1 >= outlen)
			return -1;
		out[o++] = field[i];
	}
	out[o] = '\0';
	return queueproto_authres_valid(out) ? 0 : -1;
}

/* What check_eval found, for the field. */
struct check_found {
	struct spf_outcome spf;
	enum spf_result	 spfr;
	struct authres_dkim dkim[DKIM_SIGS_MAX];
	size_t		 ndkim;
	enum dmarc_result dmarcr;
	struct dmarc_outcome dmarc;
};

/* check_authres: the Authentication-Results value of f into r, with as
 * many DKIM results as fit. */
static void
check_authres(const struct check_env *env, const struct check_msg *m,
    const struct check_found *f, struct check_result *r)
{
	static char field[AUTHRES_MAX];
	struct authres_input in;
	int found = f->dmarcr == DMARC_PASS || f->dmarcr == DMARC_FAIL;
	size_t n = f->ndkim + 1;

	memset(&in, 0, sizeof(in));
	in.authserv_id = env->hostname;
	in.spf_checked = (m->checks & CHECK_SPF) != 0;
	in.spf_result = spf_result_name(f->spfr);
	in.spf_helo = f->spf.helo;
	in.spf_identity = f->spf.helo ? m->helo : m->sender;
	in.dkim_checked = (m->checks & CHECK_DKIM) != 0;
	in.dkim = f->dkim;
	in.dmarc_checked = (m->checks & CHECK_DMARC) != 0;
	in.dmarc_result = dmarc_result_name(f->dmarcr);
	in.dmarc_policy = found ? dmarc_policy_name(f->dmarc.policy) : NULL;
	in.dmarc_action = found ? dmarc_policy_name(f->dmarc.action) : NULL;
	in.from_domain = m->from == CHECK_FROM_ONE ? m->from_domain : NULL;
	while (n-- > 0) {
		in.ndkim = n;
		if (authres_build(&in, field, sizeof(field)) != -1 &&
		    check_unfold(field, r->authres, sizeof(r->authres)) == 0)
			return;
	}
	(void)snprintf(r->authres, sizeof(r->authres), "%s; none",
	    env->hostname);
}

/* check_spf: SPF for m into f, through dl. */
static void
check_spf(const struct check_env *env, const struct check_msg *m,
    struct dns_deadline *dl, struct check_found *f)
{
	unsigned skipped = dl->skipped;

	f->spfr = spf_check(dns_deadline_query, dl, m->address, m->sender,
	    m->helo, env->hostname, &f->spf);
	if (dl->skipped == skipped)
		return;
	f->spfr = f->spf.result = SPF_TEMPERROR;
	(void)snprintf(f->spf.reason, sizeof(f->spf.reason), "%.80s: the "
	    "time allowed for the checks ran out", f->spf.domain);
}

/* check_dmarc: DMARC for m (when asked) into f, through dl. */
static void
check_dmarc(const struct check_env *env, const struct check_msg *m,
    struct dns_deadline *dl, struct check_found *f)
{
	struct dmarc_input in;
	unsigned skipped = dl->skipped;

	memset(&f->dmarc, 0, sizeof(f->dmarc));
	f->dmarcr = DMARC_NONE;
	if (!(m->checks & CHECK_DMARC) || m->from == CHECK_FROM_NONE)
		return;
	/* RFC 7489 6.6.1: one From, one address, or no DMARC verdict. */
	if (m->from != CHECK_FROM_ONE) {
		f->dmarcr = DMARC_PERMERROR;
		(void)str_copy(f->dmarc.reason, m->from == CHECK_FROM_MANY ?
		    "several From fields or addresses" : "unreadable From",
		    sizeof(f->dmarc.reason));
		return;
	}
	memset(&in, 0, sizeof(in));
	in.from_domain = m->from_domain;
	in.spf = f->spfr;
	in.spf_domain = f->spf.domain;
	in.dkim = f->dkim;
	in.ndkim = f->ndkim;
	in.sample = env->sample;
	f->dmarcr = dmarc_check(dns_deadline_query, dl, env->psl, &in,
	    &f->dmarc);
	if (dl->skipped == skipped)
		return;
	f->dmarcr = f->dmarc.result = DMARC_TEMPERROR;
	(void)str_copy(f->dmarc.reason, "the time allowed for the checks ran "
	    "out", sizeof(f->dmarc.reason));
}

/* check_disposition: what a DMARC failure does, by the configuration. */
static void
check_disposition(const struct check_env *env, const struct check_msg *m,
    const struct check_found *f, struct check_result *r)
{
	enum dmarc_policy a = f->dmarc.action;

	r->disposition = CHECK_ACCEPT;
	r->reason[0] = '\0';
	/* Undecided (a DNS failure, or lookups past the time allowed):
	 * later, rather than past a p=reject unchecked. */
	if (f->dmarcr == DMARC_TEMPERROR && (m->checks & CHECK_DMARC)) {
		r->disposition = CHECK_DEFER;
		(void)snprintf(r->reason, sizeof(r->reason), "the DMARC policy "
		    "of %.100s could not be checked now; try again later",
		    m->from_domain);
		return;
	}
	if (f->dmarcr != DMARC_FAIL || a == DMARC_POLICY_NONE)
		return;
	if (a == DMARC_POLICY_REJECT && env->dmarc_reject) {
		r->disposition = CHECK_REJECT;
		(void)snprintf(r->reason, sizeof(r->reason), "Message refused "
		    "by the DMARC policy of %.100s", m->from_domain);
	} else if (env->dmarc_junk) {
		r->disposition = CHECK_QUARANTINE;
		(void)snprintf(r->reason, sizeof(r->reason), "the DMARC "
		    "policy of %.100s quarantines it", m->from_domain);
	}
}

unsigned
check_eval(const struct check_env *env, const struct check_msg *m,
    const struct check_dkim *dk, size_t ndk, struct check_result *r)
{
	static struct check_found f;
	struct dns_deadline dl, dmarc_dl;
	size_t i;

	memset(&f, 0, sizeof(f));
	memset(r, 0, sizeof(*r));
	check_deadline(env, CHECK_DMARC_RESERVE_MS, &dl);
	check_deadline(env, 0, &dmarc_dl);
	f.spfr = SPF_NONE;
	if (m->checks & (CHECK_SPF | CHECK_DMARC))
		check_spf(env, m, &dl, &f);
	for (i = 0; i < ndk && i < DKIM_SIGS_MAX; i++) {
		f.dkim[i].result = check_dkim_word(dk[i].result);
		(void)str_copy(f.dkim[i].domain, dk[i].domain,
		    sizeof(f.dkim[i].domain));
		(void)str_copy(f.dkim[i].selector, dk[i].selector,
		    sizeof(f.dkim[i].selector));
		(void)str_copy(f.dkim[i].b, dk[i].b, sizeof(f.dkim[i].b));
		(void)str_copy(f.dkim[i].reason, dk[i].reason,
		    sizeof(f.dkim[i].reason));
	}
	f.ndkim = i;
	check_dmarc(env, m, &dmarc_dl, &f);
	check_disposition(env, m, &f, r);
	check_authres(env, m, &f, r);
	return dl.skipped + dmarc_dl.skipped;
}
