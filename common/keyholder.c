/*
 * keyholder.c: the keyholder role (see keyholder.h), and the two stubs
 * that talk to it: keyholder_load/keyholder_channel in the parent and
 * keyholder_sign in the net processes (the DKIM stubs are in
 * keyholder_dkim.c).
 *
 * The role trusts its parent (a malformed control message is fatal) and
 * nothing else: a net process is one compromised session away from
 * hostile, so a malformed sign request, an oversized one or a peer that
 * does not read its answers only loses its own channel.  The key and the
 * certificate are read and parsed inside the sandbox, into fixed static
 * buffers; the role never allocates, and wipes every copy of the key on
 * replacement and on exit.
 */
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <bearssl.h>
#include <seccomp.h>

#include "common/dkim.h"
#include "common/frame.h"
#include "common/keyholder.h"
#include "common/keyholder_int.h"
#include "common/log.h"
#include "common/privsep.h"
#include "common/tls.h"
#include "common/tls_pem.h"
#include "common/util.h"

#define KH_SIG_MAX		512	/* RSA-4096 */
#define KH_FDS_MAX		4	/* descriptors received, not yet used */
#define KH_CTLFD		3

struct kh_chan {
	int		fd;
	int		slot;	/* the key current when the channel opened */
	int		dkim;	/* a relay's DKIM channel, not a net one */
	size_t		len;
	uint8_t		buf[KEYHOLDER_DKIM_REQ_MAX];
};

/* One DKIM key of the key directory. */
struct kh_dkim {
	char		domain[DNS_NAME_MAX + 1];
	char		selector[DKIM_SELECTOR_MAX + 1];
	int64_t		mtime;
	struct tls_key	key;
};

/* Two key slots: a load parses into the unused one, so a failed load
 * leaves the current key alone.  Each channel signs with the key that was
 * current when it opened (its net process sends the chain of that time),
 * so the previous key lives on until its last channel closes. */
static struct tls_key	kh_keys[2];
static int		kh_cur = -1;
static struct tls_chain	kh_chain;
static char		kh_pem[TLS_PEM_MAX];
static struct kh_chan	kh_chans[KEYHOLDER_MAX_CHANNELS];
static size_t		kh_nchans;
static struct pollfd	kh_pfd[KEYHOLDER_MAX_CHANNELS + 1];
static uint8_t		kh_ctlbuf[FRAME_MAX];
static size_t		kh_ctllen;
static int		kh_fds[KH_FDS_MAX];
static size_t		kh_nfds;
static struct frame	kh_req, kh_ans;
/* Two DKIM key sets: loads fill the other one, a commit swaps them, so
 * a reload that fails half-way never leaves the relays without keys. */
static struct kh_dkim	kh_dkim[2][DKIM_KEYDIR_MAX];
static size_t		kh_ndkim[2];
static int		kh_dkim_cur;

static void kh_exit(int) __attribute__((noreturn));
static int kh_dkim_req(struct kh_chan *, const uint8_t *, size_t);

static void
kh_exit(int status)
{
	explicit_bzero(kh_keys, sizeof(kh_keys));
	explicit_bzero(kh_dkim, sizeof(kh_dkim));
	explicit_bzero(kh_pem, sizeof(kh_pem));
	_exit(status);
}

/*
 * keyholder_sandbox: the one function that builds the keyholder's
 * sandbox.  No open, no brk or mmap: nothing here allocates.  Each entry
 * says why it is there.
 */
static void
keyholder_sandbox(void)
{
	const struct sandbox_rule allow[] = {
		/* the control channel, the key and certificate fds, the
		 * sign channels */
		SANDBOX_ALLOW(read),
		SANDBOX_ALLOW(recvmsg),		/* descriptors from the parent */
		SANDBOX_ALLOW(write),		/* log lines */
		SANDBOX_ALLOW(sendto),		/* answers (send) */
		SANDBOX_ALLOW(poll),		/* the event loop */
		SANDBOX_ALLOW(ppoll),
		SANDBOX_ALLOW(close),		/* used fds, closed channels */
		SANDBOX_ALLOW(getpid),		/* the log prefix */
		SANDBOX_ALLOW(exit_group),	/* the parent went away */
	};

	sandbox_limits(KH_CTLFD + 1 + KEYHOLDER_MAX_CHANNELS + KH_FDS_MAX, 0);
	sandbox_seccomp(allow, sizeof(allow) / sizeof(allow[0]), 1);
}

/*
 * kh_setup: a clean process before the sandbox: default signal actions
 * and an empty mask (a plain fork inherits the parent's handlers, which
 * would need rt_sigreturn), and no descriptors but stdio and the control
 * channel, which moves to KH_CTLFD.
 */
static void
kh_setup(int ctlfd)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGTERM, SIGCHLD, SIGPIPE,
	    SIGUSR1, SIGUSR2, SIGALRM };
	sigset_t none;
	size_t i;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (signal(sigs[i], SIG_DFL) == SIG_ERR)
			fatal("cannot set the keyholder's signal handlers");
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) == -1)
		fatal("cannot set the keyholder's signal mask");
	if (ctlfd <= STDERR_FILENO)
		fatalx("control channel on a standard descriptor");
	if (ctlfd != KH_CTLFD) {
		if (dup2(ctlfd, KH_CTLFD) == -1)
			fatal("cannot move the control channel");
	}
	if (close_range(KH_CTLFD + 1, ~0U, 0) == -1)
		fatal("cannot close inherited descriptors");
}

int
kh_send(int fd, const struct frame *f, int flags)
{
	size_t off = 0;
	ssize_t n;

	while (off < f->len) {
		n = send(fd, f->buf + off, f->len - off, flags | MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

/* ---- signing ------------------------------------------------------------ */

static const br_hash_class *
kh_hash(uint32_t id, const unsigned char **oid)
{
	switch (id) {
	case br_sha256_ID:
		*oid = BR_HASH_OID_SHA256;
		return &br_sha256_vtable;
	case br_sha384_ID:
		*oid = BR_HASH_OID_SHA384;
		return &br_sha384_vtable;
	case br_sha512_ID:
		*oid = BR_HASH_OID_SHA512;
		return &br_sha512_vtable;
	}
	return NULL;
}

/* kh_sign: the signature of hash into sig (KH_SIG_MAX bytes), or 0. */
static size_t
kh_sign(int slot, uint32_t id, const uint8_t *hash, size_t len,
    unsigned char *sig)
{
	const struct tls_key *k;
	const br_hash_class *hc;
	const unsigned char *oid;

	if (slot < 0 || slot > 1 || kh_keys[slot].type == 0 ||
	    (hc = kh_hash(id, &oid)) == NULL ||
	    len != ((hc->desc >> BR_HASHDESC_OUT_OFF) & BR_HASHDESC_OUT_MASK))
		return 0;
	k = &kh_keys[slot];
	if (k->type == BR_KEYTYPE_RSA) {
		if (br_rsa_pkcs1_sign_get_default()(oid, hash, len, &k->rsa,
		    sig) != 1)
			return 0;
		return (k->rsa.n_bitlen + 7) / 8;
	}
	return br_ecdsa_sign_asn1_get_default()(br_ec_get_default(), hc, hash,
	    &k->ec, sig);
}

int
keyholder_sign_parse(struct frame *f, const uint8_t *buf, size_t len,
    uint32_t *hash_id, const uint8_t **hash, size_t *hashlen)
{
	if (frame_parse(f, buf, len) == -1 || f->type != MSG_KEY_SIGN ||
	    frame_get_u32(f, hash_id) == -1 ||
	    frame_get_bytes(f, hash, hashlen) == -1 || frame_end(f) == -1)
		return -1;
	return 0;
}

/* kh_sign_req: one request from a channel; -1 closes the channel. */
static int
kh_sign_req(struct kh_chan *c, const uint8_t *buf, size_t len)
{
	unsigned char sig[KH_SIG_MAX];
	const uint8_t *hash;
	size_t hashlen, siglen;
	uint32_t id;

	if (keyholder_sign_parse(&kh_req, buf, len, &id, &hash,
	    &hashlen) == -1) {
		log_warnx("malformed sign request; closing the "
		    "channel");
		return -1;
	}
	siglen = kh_sign(c->slot, id, hash, hashlen, sig);
	frame_init(&kh_ans, MSG_KEY_SIGN);
	frame_add_u32(&kh_ans, siglen == 0);
	frame_add_bytes(&kh_ans, sig, siglen);
	if (frame_finish(&kh_ans) == -1)
		return -1;
	/* A net process that does not read its answers loses its channel
	 * instead of blocking every other one. */
	return kh_send(c->fd, &kh_ans, MSG_DONTWAIT);
}

/* kh_forget_old: wipe the previous key once no channel uses it. */
static void
kh_forget_old(void)
{
	int old = kh_cur == 0 ? 1 : 0;
	size_t i;

	if (kh_cur == -1 || kh_keys[old].type == 0)
		return;
	for (i = 0; i < kh_nchans; i++)
		if (kh_chans[i].slot == old)
			return;
	tls_key_wipe(&kh_keys[old]);
}

static void
kh_chan_close(size_t i)
{
	if (close(kh_chans[i].fd) == -1)
		log_warn("cannot close a sign channel");
	kh_chans[i] = kh_chans[--kh_nchans];
	kh_forget_old();
}

/* kh_chan_close_slot: close the channels still on the key two loads
 * ago, whose slot the next load needs (their handshakes fail). */
static void
kh_chan_close_slot(int slot)
{
	size_t i;

	for (i = 0; i < kh_nchans; i++)
		if (kh_chans[i].slot == slot)
			kh_chan_close(i--);
	if (kh_keys[slot].type != 0)
		tls_key_wipe(&kh_keys[slot]);
}

/* kh_chan_read: read from channel i; -1 when it must be closed. */
static int
kh_chan_read(struct kh_chan *c)
{
	size_t cap = c->dkim ? KEYHOLDER_DKIM_REQ_MAX : KEYHOLDER_REQ_MAX;
	ssize_t n;
	long flen;

	n = read(c->fd, c->buf + c->len, cap - c->len);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0)
		return -1;
	c->len += (size_t)n;
	while ((flen = frame_complete(c->buf, c->len)) > 0) {
		if ((c->dkim ? kh_dkim_req(c, c->buf, (size_t)flen) :
		    kh_sign_req(c, c->buf, (size_t)flen)) == -1)
			return -1;
		memmove(c->buf, c->buf + flen, c->len - (size_t)flen);
		c->len -= (size_t)flen;
	}
	if (flen == -1 || c->len == cap) {
		log_warnx("oversized sign request; closing the "
		    "channel");
		return -1;
	}
	return 0;
}

/* ---- control channel ---------------------------------------------------- */

static int
kh_read_file(int fd, char *err, size_t errlen, size_t *len)
{
	int rc;

	rc = tls_pem_read(fd, kh_pem, sizeof(kh_pem), len, err, errlen);
	if (close(fd) == -1)
		log_warn("cannot close a sign channel");
	return rc;
}

/* kh_load: parse the key and certificate; make the key current if they
 * match.  Consumes both descriptors. */
static int
kh_load(int keyfd, int certfd, char *err, size_t errlen)
{
	int next = kh_cur == 0 ? 1 : 0;
	size_t len = 0;
	int rc;

	kh_chan_close_slot(next);
	rc = kh_read_file(keyfd, err, errlen, &len);
	if (rc == 0)
		rc = tls_key_parse(kh_pem, len, &kh_keys[next], err, errlen);
	explicit_bzero(kh_pem, len);
	if (rc == -1) {
		if (close(certfd) == -1)
			log_warn("cannot close a sign channel");
		return -1;
	}
	if (kh_read_file(certfd, err, errlen, &len) == -1 ||
	    tls_chain_parse(kh_pem, len, &kh_chain, err, errlen) == -1 ||
	    tls_key_match(&kh_keys[next], &kh_chain, err, errlen) == -1) {
		tls_key_wipe(&kh_keys[next]);
		return -1;
	}
	kh_cur = next;
	kh_forget_old();
	return 0;
}

static int
kh_take_fd(void)
{
	int fd;

	if (kh_nfds == 0)
		fatalx("control message from the parent without its "
		    "descriptor");
	fd = kh_fds[0];
	memmove(kh_fds, kh_fds + 1, --kh_nfds * sizeof(kh_fds[0]));
	return fd;
}

/* ---- DKIM --------------------------------------------------------------- */

/* kh_dkim_find: the current key of domain and selector, or with selector
 * NULL the domain's newest key (the last made, for a rotation); NULL. */
static const struct kh_dkim *
kh_dkim_find(const char *domain, const char *selector)
{
	const struct kh_dkim *best = NULL, *k;
	size_t i;

	for (i = 0; i < kh_ndkim[kh_dkim_cur]; i++) {
		k = &kh_dkim[kh_dkim_cur][i];
		if (strcasecmp(k->domain, domain) != 0)
			continue;
		if (selector != NULL) {
			if (strcasecmp(k->selector, selector) == 0)
				return k;
			continue;
		}
		if (best == NULL || k->mtime > best->mtime ||
		    (k->mtime == best->mtime &&
		    strcmp(k->selector, best->selector) > 0))
			best = k;
	}
	return best;
}

int
keyholder_dkim_parse(struct frame *f, const uint8_t *buf, size_t len,
    struct keyholder_dkim_req *r)
{
	const uint8_t *hash;
	size_t hashlen;

	memset(r, 0, sizeof(*r));
	if (frame_parse(f, buf, len) == -1)
		return -1;
	r->type = f->type;
	if (f->type == MSG_KEY_DKIM_SELECTOR)
		return frame_get_str(f, r->domain, sizeof(r->domain)) == -1 ||
		    frame_end(f) == -1 ? -1 : 0;
	if (f->type != MSG_KEY_DKIM_SIGN ||
	    frame_get_str(f, r->domain, sizeof(r->domain)) == -1 ||
	    frame_get_str(f, r->selector, sizeof(r->selector)) == -1 ||
	    frame_get_bytes(f, &hash, &hashlen) == -1 || frame_end(f) == -1 ||
	    hashlen != sizeof(r->hash))
		return -1;
	memcpy(r->hash, hash, sizeof(r->hash));
	return 0;
}

/* kh_dkim_req: one request on a relay's DKIM channel; -1 closes it. */
static int
kh_dkim_req(struct kh_chan *c, const uint8_t *buf, size_t len)
{
	struct keyholder_dkim_req r;
	unsigned char sig[KH_SIG_MAX];
	const struct kh_dkim *k;
	size_t siglen = 0;

	if (keyholder_dkim_parse(&kh_req, buf, len, &r) == -1) {
		log_warnx("malformed DKIM request; closing the channel");
		return -1;
	}
	k = kh_dkim_find(r.domain, r.type == MSG_KEY_DKIM_SIGN ?
	    r.selector : NULL);
	frame_init(&kh_ans, r.type);
	if (r.type == MSG_KEY_DKIM_SELECTOR) {
		frame_add_u32(&kh_ans, k == NULL);
		frame_add_str(&kh_ans, k != NULL ? k->selector : "");
	} else {
		if (k != NULL && br_rsa_pkcs1_sign_get_default()(
		    BR_HASH_OID_SHA256, r.hash, sizeof(r.hash), &k->key.rsa,
		    sig) == 1)
			siglen = (k->key.rsa.n_bitlen + 7) / 8;
		frame_add_u32(&kh_ans, siglen == 0);
		frame_add_bytes(&kh_ans, sig, siglen);
	}
	if (frame_finish(&kh_ans) == -1)
		return -1;
	return kh_send(c->fd, &kh_ans, MSG_DONTWAIT);
}

/* kh_dkim_load: parse one key file into the next set.  Consumes fd. */
static int
kh_dkim_load(int fd, const char *domain, const char *selector,
    int64_t mtime, char *err, size_t errlen)
{
	int next = !kh_dkim_cur;
	struct kh_dkim *k;
	size_t len = 0;
	int rc;

	if (kh_ndkim[next] == DKIM_KEYDIR_MAX) {
		(void)close(fd);
		(void)snprintf(err, errlen, "more than %d DKIM keys",
		    DKIM_KEYDIR_MAX);
		return -1;
	}
	k = &kh_dkim[next][kh_ndkim[next]];
	rc = kh_read_file(fd, err, errlen, &len);
	if (rc == 0)
		rc = tls_key_parse_min(kh_pem, len, &k->key, DKIM_RSA_MIN_BITS,
		    err, errlen);
	explicit_bzero(kh_pem, len);
	if (rc == 0 && k->key.type != BR_KEYTYPE_RSA) {
		(void)snprintf(err, errlen, "a DKIM key must be RSA");
		rc = -1;
	}
	if (rc == -1) {
		tls_key_wipe(&k->key);
		return -1;
	}
	(void)str_copy(k->domain, domain, sizeof(k->domain));
	(void)str_copy(k->selector, selector, sizeof(k->selector));
	k->mtime = mtime;
	kh_ndkim[next]++;
	return 0;
}

static void
kh_ctl_dkim_load(int ctlfd)
{
	char domain[DNS_NAME_MAX + 1], selector[DKIM_SELECTOR_MAX + 1];
	char err[256];
	uint64_t mtime;
	int fd, rc;

	fd = kh_take_fd();
	if (frame_get_str(&kh_req, domain, sizeof(domain)) == -1 ||
	    frame_get_str(&kh_req, selector, sizeof(selector)) == -1 ||
	    frame_get_u64(&kh_req, &mtime) == -1 ||
	    frame_end(&kh_req) == -1 || !dkim_name_ok(domain) ||
	    !dkim_name_ok(selector))
		fatalx("malformed DKIM key load from the parent");
	err[0] = '\0';
	rc = kh_dkim_load(fd, domain, selector, (int64_t)mtime, err,
	    sizeof(err));
	frame_init(&kh_ans, MSG_KEY_DKIM_LOAD);
	frame_add_u32(&kh_ans, rc == -1);
	frame_add_str(&kh_ans, rc == -1 ? err : "");
	if (frame_finish(&kh_ans) == -1 || kh_send(ctlfd, &kh_ans, 0) == -1)
		fatalx("cannot answer the parent");
}

/* kh_ctl_dkim_commit: the keys loaded since the last commit replace the
 * current ones, which are wiped. */
static void
kh_ctl_dkim_commit(int ctlfd)
{
	int old = kh_dkim_cur;

	kh_dkim_cur = !kh_dkim_cur;
	explicit_bzero(kh_dkim[old], sizeof(kh_dkim[old]));
	kh_ndkim[old] = 0;
	frame_init(&kh_ans, MSG_KEY_DKIM_COMMIT);
	frame_add_u32(&kh_ans, (uint32_t)kh_ndkim[kh_dkim_cur]);
	if (frame_finish(&kh_ans) == -1 || kh_send(ctlfd, &kh_ans, 0) == -1)
		fatalx("cannot answer the parent");
}

static void
kh_ctl_load(int ctlfd)
{
	char err[256];
	int keyfd, certfd, rc;

	keyfd = kh_take_fd();
	certfd = kh_take_fd();
	err[0] = '\0';
	rc = kh_load(keyfd, certfd, err, sizeof(err));
	if (rc == -1)
		log_warnx("key not loaded: %s", err);
	frame_init(&kh_ans, MSG_KEY_LOAD);
	frame_add_u32(&kh_ans, rc == -1);
	frame_add_str(&kh_ans, rc == -1 ? err : "");
	if (frame_finish(&kh_ans) == -1 || kh_send(ctlfd, &kh_ans, 0) == -1)
		fatalx("cannot answer the parent");
}

static void
kh_ctl_channel(int dkim)
{
	int fd = kh_take_fd();

	if (kh_nchans == KEYHOLDER_MAX_CHANNELS) {
		log_warnx("%d sign channels in use; refusing one",
		    KEYHOLDER_MAX_CHANNELS);
		if (close(fd) == -1)
			log_warn("cannot close a sign channel");
		return;
	}
	kh_chans[kh_nchans].fd = fd;
	kh_chans[kh_nchans].slot = kh_cur;
	kh_chans[kh_nchans].dkim = dkim;
	kh_chans[kh_nchans].len = 0;
	kh_nchans++;
}

static void
kh_ctl_frame(int ctlfd, const uint8_t *buf, size_t len)
{
	if (frame_parse(&kh_req, buf, len) == -1)
		fatalx("malformed control message from the parent");
	if (kh_req.type == MSG_KEY_DKIM_LOAD) {
		kh_ctl_dkim_load(ctlfd);
		return;
	}
	if (frame_end(&kh_req) == -1)
		fatalx("malformed control message from the parent");
	switch (kh_req.type) {
	case MSG_KEY_LOAD:
		kh_ctl_load(ctlfd);
		break;
	case MSG_KEY_CHANNEL:
		kh_ctl_channel(0);
		break;
	case MSG_KEY_DKIM_CHANNEL:
		kh_ctl_channel(1);
		break;
	case MSG_KEY_DKIM_COMMIT:
		kh_ctl_dkim_commit(ctlfd);
		break;
	default:
		fatalx("unexpected control message %d from the parent",
		    kh_req.type);
	}
}

/* kh_ctl_fds: keep the descriptors that came with a control read. */
static void
kh_ctl_fds(struct msghdr *msg)
{
	struct cmsghdr *cm;
	size_t i, n;
	int fd;

	if (msg->msg_flags & MSG_CTRUNC)
		fatalx("too many descriptors from the parent");
	for (cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS)
			fatalx("unexpected control data from the parent");
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
			    sizeof(fd));
			if (kh_nfds == KH_FDS_MAX)
				fatalx("too many descriptors held");
			kh_fds[kh_nfds++] = fd;
		}
	}
}

static void
kh_ctl_read(int ctlfd)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(KH_FDS_MAX * sizeof(int))];
	} cmsg;
	struct msghdr msg;
	struct iovec iov;
	ssize_t n;
	long flen;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = kh_ctlbuf + kh_ctllen;
	iov.iov_len = sizeof(kh_ctlbuf) - kh_ctllen;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsg.buf;
	msg.msg_controllen = sizeof(cmsg.buf);
	if ((n = recvmsg(ctlfd, &msg, 0)) == -1) {
		if (errno == EINTR || errno == EAGAIN)
			return;
		fatal("cannot read the control channel");
	}
	if (n == 0)
		kh_exit(0);
	kh_ctl_fds(&msg);
	kh_ctllen += (size_t)n;
	while ((flen = frame_complete(kh_ctlbuf, kh_ctllen)) > 0) {
		kh_ctl_frame(ctlfd, kh_ctlbuf, (size_t)flen);
		memmove(kh_ctlbuf, kh_ctlbuf + flen, kh_ctllen - (size_t)flen);
		kh_ctllen -= (size_t)flen;
	}
	if (flen == -1)
		fatalx("malformed control frame from the parent");
}

static void kh_loop(int) __attribute__((noreturn));

static void
kh_loop(int ctlfd)
{
	size_t i, n;

	for (;;) {
		kh_pfd[0].fd = ctlfd;
		kh_pfd[0].events = POLLIN;
		for (i = 0; i < kh_nchans; i++) {
			kh_pfd[i + 1].fd = kh_chans[i].fd;
			kh_pfd[i + 1].events = POLLIN;
		}
		n = kh_nchans;
		if (poll(kh_pfd, n + 1, -1) == -1) {
			if (errno == EINTR)
				continue;
			fatal("keyholder poll");
		}
		/* Backwards: kh_chan_close moves the last channel into i. */
		for (i = n; i-- > 0; )
			if (kh_pfd[i + 1].revents != 0 &&
			    kh_chan_read(&kh_chans[i]) == -1)
				kh_chan_close(i);
		if (kh_pfd[0].revents != 0)
			kh_ctl_read(ctlfd);
	}
}

void
keyholder_main(int ctlfd, const char *chroot_dir, int uid, int gid)
{
	log_set_role("keyholder");
	kh_setup(ctlfd);
	log_reopen();		/* kh_setup closed the inherited syslog socket */
	if (uid != -1)
		privsep_drop(chroot_dir, (uid_t)uid, (gid_t)gid);
	keyholder_sandbox();
	kh_loop(KH_CTLFD);
}

/* ---- parent and net side ------------------------------------------------ */

int
kh_send_fds(int ctlfd, const struct frame *f, const int *fds, size_t nfds)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(2 * sizeof(int))];
	} cmsg;
	struct msghdr msg;
	struct cmsghdr *cm;
	struct iovec iov;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	memset(&cmsg, 0, sizeof(cmsg));
	iov.iov_base = (void *)f->buf;
	iov.iov_len = f->len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsg.buf;
	msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	do {
		n = sendmsg(ctlfd, &msg, MSG_NOSIGNAL);
	} while (n == -1 && errno == EINTR);
	/* Frames are far smaller than a socket buffer: all or nothing. */
	return n == (ssize_t)f->len ? 0 : -1;
}

int
keyholder_load(int ctlfd, int keyfd, int certfd, char *err, size_t errlen)
{
	struct frame f;
	uint32_t status;
	int fds[2] = { keyfd, certfd };

	frame_init(&f, MSG_KEY_LOAD);
	if (frame_finish(&f) == -1 || kh_send_fds(ctlfd, &f, fds, 2) == -1) {
		(void)snprintf(err, errlen, "keyholder_load: send: %s", strerror(errno));
		return -1;
	}
	if (frame_read(ctlfd, &f, mono_ms() + KH_LOAD_TIMEOUT_MS) == -1 ||
	    f.type != MSG_KEY_LOAD || frame_get_u32(&f, &status) == -1 ||
	    frame_get_str(&f, err, errlen) == -1 || frame_end(&f) == -1) {
		(void)snprintf(err, errlen, "keyholder_load: no answer from the keyholder");
		return -1;
	}
	return status == 0 ? 0 : -1;
}

int
keyholder_channel(int ctlfd)
{
	struct frame f;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("cannot make a sign channel");
		return -1;
	}
	frame_init(&f, MSG_KEY_CHANNEL);
	if (frame_finish(&f) == -1 || kh_send_fds(ctlfd, &f, &sv[1], 1) == -1) {
		log_warn("cannot hand a sign channel to the keyholder");
		(void)close(sv[0]);
		(void)close(sv[1]);
		return -1;
	}
	if (close(sv[1]) == -1)
		log_warn("cannot close a sign channel");
	return sv[0];
}

size_t
keyholder_sign(int fd, int hash_id, const unsigned char *hash,
    size_t hashlen, unsigned char *sig, size_t siglen)
{
	struct frame f;
	const uint8_t *p;
	uint32_t status;
	size_t len;

	frame_init(&f, MSG_KEY_SIGN);
	frame_add_u32(&f, (uint32_t)hash_id);
	frame_add_bytes(&f, hash, hashlen);
	if (frame_finish(&f) == -1 || kh_send(fd, &f, 0) == -1) {
		log_warn("cannot send a sign request to the keyholder");
		return 0;
	}
	if (frame_read(fd, &f, mono_ms() + TLS_SIGN_TIMEOUT_MS) == -1 ||
	    f.type != MSG_KEY_SIGN || frame_get_u32(&f, &status) == -1 ||
	    frame_get_bytes(&f, &p, &len) == -1 || frame_end(&f) == -1) {
		log_warnx("the keyholder gave no valid signature within %d ms",
		    TLS_SIGN_TIMEOUT_MS);
		return 0;
	}
	if (status != 0 || len == 0 || len > siglen) {
		log_warnx("the keyholder refused to sign");
		return 0;
	}
	memcpy(sig, p, len);
	return len;
}
