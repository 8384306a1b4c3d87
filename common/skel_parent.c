/*
 * skel_parent.c: a network daemon's entry point and parent role (skel.h).
 *
 * Runs as root for the daemon's life (or as the invoking user in
 * development mode).  It reads the configuration and the certificate
 * chain, binds the daemon's listeners, starts the keyholder by fork + exec
 * (handing it the key file as a descriptor it never reads itself),
 * accepts connections and forks one monitor for each.  Each connection
 * holds a slot of the unauthenticated budget until its monitor reports a
 * login over a channel of its own, then one of the session budget
 * (common/admission.h); the parent answers whether the session may start.
 * SIGHUP reloads the certificate and key; a bad pair keeps the old one.
 * smtpd's keyholder also gets the DKIM keys of the "dkim key directory",
 * each file passed the same way, at start and on SIGHUP.
 * The parent never holds a secret, so per-connection processes may be
 * plain forks of it.  It trusts the configuration file and the files it
 * names, and its monitors until they report a login; it never blocks on
 * a monitor.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/admission.h"
#include "common/authc.h"
#include "common/config.h"
#include "common/daemon.h"
#include "common/dkim.h"
#include "common/frame.h"
#include "common/keyholder.h"
#include "common/log.h"
#include "common/netaddr.h"
#include "common/rolemsg.h"
#include "common/preflight.h"
#include "common/ratelimit.h"
#include "common/privsep.h"
#include "common/skel.h"
#include "common/skel_roles.h"
#include "common/tls.h"
#include "common/util.h"
#include "common/version.h"

static const struct skel_daemon *dmn;
static struct config	 cfg;
static struct skel_ids	 ids;
static struct tls_chain	 chain;
static int		 keyctl = -1;
static pid_t		 keyholder;
static int		 sigpipe[2];
static const char	*conf_path = CONFIG_PATH_DEFAULT;

static struct admission	 adm;
static struct ratelimit	 msgrate;	/* the daemon's message_rate */

/* The channels of monitors that have not reported a login. */
static struct parent_chan {
	pid_t	pid;
	int	fd;
} *chans;
static size_t		 nchans;
static struct pollfd	*pfds;

/* Every live monitor, for the line that reports an abnormal end: the
 * parent names the session as its monitor's log lines do. */
static struct parent_conn {
	pid_t	pid;
	int	mail;			/* logged in: it became the mail role */
	char	address[64];
	char	session[24];
} *conns;
static size_t		 nconns;

static struct config_listen listeners[CONFIG_MAX_LISTEN];
static int		 lplain[CONFIG_MAX_LISTEN];	/* STARTTLS kind */
static int		 lfds[CONFIG_MAX_LISTEN];
static int		 nlisten;
static int64_t		 cert_next_check;	/* mono_ms() */

#define PARENT_CERT_CHECK_MS	(24 * 3600 * 1000)
#define PARENT_RATE_SLOTS	4096	/* addresses whose rate is kept */

static const struct option parent_longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

/* parent_usage: on stdout with status 0 for --help, else on stderr. */
static void __attribute__((noreturn))
parent_usage(int status)
{
	fprintf(status ? stderr : stdout, "usage: %s [-dnv] [-f file] "
	    "[--help] [--version]\n", dmn->name);
	exit(status);
}

static void
parent_signal(int sig)
{
	unsigned char c = (unsigned char)sig;
	int saved = errno;

	/* A full pipe already holds a wake-up: nothing is lost. */
	if (write(sigpipe[1], &c, 1) == -1)
		c = 0;
	errno = saved;
}

/* parent_open_secret: open a key file, refusing one others may read. */
static int
parent_open_secret(const char *path)
{
	struct stat st;
	int fd;

	/* A symbolic link is fine (certbot's live/ directory): the mode that
	 * counts is the file's, checked below. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("cannot open the private key %s", path);
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & 077) != 0) {
		log_warnx("%s: the private key must be a regular file "
		    "readable by its owner only (chmod 600)", path);
		close(fd);
		return -1;
	}
	return fd;
}

/* parent_load: read the chain, hand key and chain to the keyholder;
 * only when it accepted them does the new chain replace the old. */
static int
parent_load(void)
{
	static struct tls_chain fresh;
	char err[256];
	int keyfd, certfd, rc;

	if (tls_chain_load(cfg.tls_cert, &fresh, err, sizeof(err)) == -1) {
		log_warnx("certificate: %s", err);
		return -1;
	}
	if (preflight_cert(&fresh, cfg.tls_cert, (int64_t)time(NULL)) == -1)
		return -1;
	if ((keyfd = parent_open_secret(cfg.tls_key)) == -1)
		return -1;
	if ((certfd = open(cfg.tls_cert, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("cannot open the certificate %s", cfg.tls_cert);
		close(keyfd);
		return -1;
	}
	rc = keyholder_load(keyctl, keyfd, certfd, err, sizeof(err));
	close(keyfd);
	close(certfd);
	if (rc == -1) {
		log_warnx("%s: %s", cfg.tls_key, err);
		return -1;
	}
	chain = fresh;
	cert_next_check = mono_ms() + PARENT_CERT_CHECK_MS;
	return 0;
}

/* parent_dkim_one: hand the keyholder the key file of dir/name. */
static void
parent_dkim_one(const char *name)
{
	char domain[DNS_NAME_MAX + 1], selector[DKIM_SELECTOR_MAX + 1];
	char path[CONFIG_PATH_MAX + 300], err[256];
	struct stat st;
	int fd;

	if (dkim_keyfile_split(name, domain, selector) == -1)
		return;
	(void)snprintf(path, sizeof(path), "%s/%s", cfg.dkim_key_dir, name);
	if ((fd = parent_open_secret(path)) == -1)
		return;
	if (fstat(fd, &st) == -1)
		log_warn("%s", path);
	else if (keyholder_dkim_load(keyctl, fd, domain, selector,
	    (int64_t)st.st_mtime, err, sizeof(err)) == -1)
		log_warnx("%s: DKIM key not loaded: %s", path, err);
	else
		log_info("DKIM key of %s, selector %s, loaded", domain,
		    selector);
	close(fd);
}

/*
 * parent_dkim: (smtpd) give the keyholder every key of the "dkim key
 * directory", then make them the current set.  A missing directory is
 * no keys; a file that does not load is logged and skipped, so one bad
 * key does not stop the mail of the other domains.
 */
static void
parent_dkim(void)
{
	struct dirent *e;
	DIR *d;
	int n;

	if (!dmn->dkim)
		return;
	if ((d = opendir(cfg.dkim_key_dir)) == NULL) {
		if (errno != ENOENT)
			log_warn("cannot read the DKIM key directory %s",
			    cfg.dkim_key_dir);
	} else {
		while ((e = readdir(d)) != NULL)
			parent_dkim_one(e->d_name);
		closedir(d);
	}
	if ((n = keyholder_dkim_commit(keyctl)) == -1)
		fatalx("the keyholder did not take the DKIM keys");
	if (n == 0)
		log_info("no DKIM key in %s: outbound mail is not signed",
		    cfg.dkim_key_dir);
}

/* parent_cert_daily: once a day, say again that the certificate served
 * expires soon or has expired, until a reload replaces it. */
static void
parent_cert_daily(void)
{
	if (mono_ms() < cert_next_check)
		return;
	cert_next_check = mono_ms() + PARENT_CERT_CHECK_MS;
	(void)preflight_cert(&chain, cfg.tls_cert, (int64_t)time(NULL));
}

/* parent_listeners: the daemon's listen statements; none is an error:
 * a daemon listens only where the administrator said. */
static int
parent_listeners(void)
{
	int i, n = 0;

	nlisten = config_listeners(&cfg, dmn->listen, listeners,
	    CONFIG_MAX_LISTEN);
	if (dmn->listen_plain_word != NULL)
		n = config_listeners(&cfg, dmn->listen_plain,
		    listeners + nlisten, CONFIG_MAX_LISTEN - nlisten);
	for (i = 0; i < nlisten + n; i++)
		lplain[i] = i >= nlisten;
	nlisten += n;
	if (nlisten > 0)
		return 0;
	log_warnx("%s: no \"listen %s\" statement: %s listens only "
	    "where one says; add one, such as \"listen %s on 127.0.0.1\" "
	    "(port %u unless \"port N\" follows), or one for 0.0.0.0 and "
	    "one for :: for every interface", conf_path, dmn->listen_word,
	    dmn->name, dmn->listen_word, dmn->port);
	return -1;
}

/* parent_preflight: what start-up would reject, for -n and at start:
 * listeners, the roles' users, the runtime and mail directories. */
static int
parent_preflight(void)
{
	static const enum config_role roles[] = {
		ROLE_NET, ROLE_MAIL, ROLE_KEYHOLDER, ROLE_QUEUE, ROLE_RELAY
	};
	int rv = 0, nroles = (int)(sizeof(roles) / sizeof(roles[0]));

	if (parent_listeners() == -1)
		rv = -1;
	/* The queue user is smtpd's (its queue and broker roles), and so
	 * is the relay user (its relay role). */
	if (preflight_users(&cfg, conf_path, roles, dmn->roles != NULL ?
	    nroles : dmn->broker != NULL ? nroles - 1 : nroles - 2, 0) == -1)
		rv = -1;
	if (dmn->roles != NULL &&
	    preflight_dir(conf_path, "spool", cfg.spool_dir) == -1)
		rv = -1;
	if (preflight_dir(conf_path, "runtime", cfg.runtime_dir) == -1)
		rv = -1;
	if (preflight_dir(conf_path, "mail", cfg.mail_dir) == -1)
		rv = -1;
	return rv;
}

/* parent_check: -n: what start-up checks, and the TLS files as far as
 * the parent may look at them (the chain and its validity; the key file's
 * type and mode — only the keyholder reads the key, so whether it matches
 * shows at start).  Prints where the daemon will listen. */
static int
parent_check(void)
{
	static struct tls_chain c;
	char err[256];
	int fd, i, rv;

	rv = parent_preflight();
	if (tls_chain_load(cfg.tls_cert, &c, err, sizeof(err)) == -1) {
		log_warnx("%s: certificate: %s", conf_path, err);
		rv = -1;
	} else if (preflight_cert(&c, cfg.tls_cert,
	    (int64_t)time(NULL)) == -1)
		rv = -1;
	if ((fd = parent_open_secret(cfg.tls_key)) == -1)
		rv = -1;
	else
		close(fd);
	if (rv == -1)
		return 1;
	for (i = 0; i < nlisten; i++)
		printf("%s will listen on %s port %u\n", dmn->name,
		    listeners[i].address, listeners[i].port);
	printf("%s: configuration OK\n", conf_path);
	return 0;
}

int
skel_dkim_channel(void)
{
	if (keyctl == -1)
		return -1;
	return keyholder_dkim_channel(keyctl);
}

/* parent_keyholder: start the keyholder role, with its end of the
 * control channel as descriptor 3. */
static void
parent_keyholder(void)
{
	int sp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		fatal("cannot make a socket pair");
	if ((keyholder = skel_roles_keyholder(sp[1])) == -1)
		fatal("cannot fork");
	close(sp[1]);
	keyctl = sp[0];
}

static int
parent_bind(const struct config_listen *l)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, on = 1, v6;

	memset(&ss, 0, sizeof(ss));
	v6 = strchr(l->address, ':') != NULL;
	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(l->port);
		inet_pton(AF_INET6, l->address, &s6->sin6_addr);
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(l->port);
		inet_pton(AF_INET, l->address, &s4->sin_addr);
		len = sizeof(*s4);
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1)
		fatal("cannot make a listening socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    (v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
	    sizeof(on)) == -1))
		fatal("cannot set listening socket options");
	if (bind(fd, (struct sockaddr *)&ss, len) == -1)
		fatal("cannot listen on %s port %u", l->address, l->port);
	if (listen(fd, 128) == -1)
		fatal("cannot listen");
	return fd;
}

/* parent_now: the admission clock, in seconds. */
static int64_t
parent_now(void)
{
	return mono_ms() / 1000;
}

/*
 * parent_known: learn from authd the addresses users logged in from, so
 * that the budget of connections not logged in keeps its pool for the
 * office across a restart.  Without authd, the parent learns them anew
 * from the logins it sees.
 */
static void
parent_known(void)
{
	static struct auth_known_ans a;
	struct auth_known_req r;
	uint32_t i, n = 0;
	int fd;

	if ((fd = authc_connect(cfg.auth_socket)) == -1) {
		log_warnx("authd cannot be asked for the addresses users log "
		    "in from; they count as known again after their next "
		    "login");
		return;
	}
	memset(&r, 0, sizeof(r));
	do {
		r.offset = n;
		if (authc_known(fd, &r, &a) == -1)
			break;
		for (i = 0; i < a.count && n < ADMISSION_KNOWN_MAX; i++, n++)
			admission_known(&adm, a.h[i].host,
			    parent_now() - (int64_t)a.h[i].age);
	} while (a.count > 0 && n < a.total && n < ADMISSION_KNOWN_MAX);
	(void)close(fd);
	log_info("%u address%s known to log in", n, n == 1 ? "" : "es");
}

static void
parent_chan_drop(size_t i)
{
	close(chans[i].fd);
	chans[i] = chans[--nchans];
}

/* parent_session: the monitor of chans[i] logged in as user: may the
 * session start?  ADMIT_OK moves it to the session budget. */
static void
parent_session(size_t i, const char *user)
{
	struct frame f;
	const char *address = "?";
	size_t k;
	int v;

	v = admission_login(&adm, chans[i].pid, user, parent_now());
	if (rolemsg_verdict_encode(&f, MSG_MONITOR_SESSION, (uint32_t)v) == -1 ||
	    send(chans[i].fd, f.buf, f.len,
	    MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)f.len)
		log_warn("cannot answer monitor %ld", (long)chans[i].pid);
	if (v == ADMIT_OK) {
		for (k = 0; k < nconns; k++)
			if (conns[k].pid == chans[i].pid)
				conns[k].mail = 1;
		parent_chan_drop(i);
		return;
	}
	for (k = 0; k < adm.nslots; k++)
		if (adm.slots[k].id == chans[i].pid)
			address = adm.slots[k].address;
	log_info("%s from %s: session refused: %s", user, address,
	    admission_verdict(v));
}

/* parent_message: may the client of chans[i] send one more message
 * (the daemon's message_rate a minute from one address)? */
static void
parent_message(size_t i)
{
	struct frame f;
	const char *address = NULL;
	char key[RATELIMIT_KEY_MAX];
	size_t k;
	int v = ADMIT_OK;

	for (k = 0; k < nconns; k++)
		if (conns[k].pid == chans[i].pid)
			address = conns[k].address;
	if (address == NULL ||
	    netaddr_client_key(address, key, sizeof(key)) == -1)
		v = ADMIT_INVALID;
	else if (msgrate.nslots > 0 &&
	    !ratelimit_hit(&msgrate, key, parent_now())) {
		v = ADMIT_RATE;
		log_info("%s: message refused: %s", address,
		    admission_verdict(v));
	}
	if (rolemsg_verdict_encode(&f, MSG_MONITOR_MESSAGE,
	    (uint32_t)v) == -1 || send(chans[i].fd, f.buf, f.len,
	    MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)f.len)
		log_warn("cannot answer monitor %ld", (long)chans[i].pid);
}

/*
 * parent_chan_read: a monitor wrote.  It writes one small frame with one
 * write, so what is there now holds all of it (a read with a deadline
 * already past); anything else is a broken monitor, which is killed
 * rather than waited for.  End of file: the monitor ended first.
 */
static void
parent_chan_read(size_t i)
{
	static struct frame f;
	char user[AUTH_USER_MAX];
	int rc;

	rc = frame_read(chans[i].fd, &f, mono_ms());
	if (rc == -1 && errno == ECONNRESET) {
		parent_chan_drop(i);
		return;
	}
	if (rc == 0 && f.type == MSG_MONITOR_MESSAGE &&
	    rolemsg_message_decode(&f) == 0) {
		parent_message(i);
		return;
	}
	if (rc == -1 || rolemsg_session_decode(&f, user, sizeof(user)) == -1) {
		log_warnx("malformed message from monitor %ld; "
		    "killing it", (long)chans[i].pid);
		kill(chans[i].pid, SIGKILL);
		parent_chan_drop(i);
		return;
	}
	parent_session(i, user);
}

static void
parent_reap(void)
{
	pid_t pid;
	size_t i;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == keyholder) {
			log_child_status("keyholder", (long)pid, NULL, NULL,
			    status);
			fatalx("the keyholder ended; shutting down");
		}
		if (skel_roles_reaped(pid, status))
			continue;
		admission_remove(&adm, pid);
		for (i = 0; i < nconns; i++)
			if (conns[i].pid == pid) {
				log_child_status(conns[i].mail ? "mail" :
				    "monitor", (long)pid, conns[i].address,
				    conns[i].session, status);
				conns[i] = conns[--nconns];
				break;
			}
		for (i = 0; i < nchans; i++)
			if (chans[i].pid == pid) {
				parent_chan_drop(i);
				break;
			}
	}
}

static void
parent_address(const struct sockaddr_storage *ss, char *out, size_t len)
{
	char text[INET6_ADDRSTRLEN] = "invalid";

	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
		    text, sizeof(text));
	else if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)ss)->sin6_addr, text,
		    sizeof(text));
	if (netaddr_normalize(text, out, len) == -1)
		snprintf(out, len, "%s", text);
}

/* parent_child_setup: what a new monitor must not inherit. */
static void
parent_child_setup(void)
{
	struct sigaction sa;
	int i;

	size_t k;

	daemon_child();
	for (i = 0; i < nlisten; i++)
		close(lfds[i]);
	for (k = 0; k < nchans; k++)
		close(chans[k].fd);
	close(sigpipe[0]);
	close(sigpipe[1]);
	close(keyctl);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

static uint32_t
parent_random(void)
{
	uint32_t r;

	random_bytes(&r, sizeof(r));
	return r;
}

/* parent_session_id: the id that names the session in every log line
 * and in authd's audit record of its login. */
static void
parent_session_id(struct skel_client *cl)
{
	uint8_t r[8];
	int i;

	random_bytes(r, sizeof(r));
	for (i = 0; i < 8; i++)
		snprintf(cl->session + 2 * i, 3, "%02x", r[i]);
}

static void
parent_accept(int lfd, unsigned port, int plain)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct skel_client cl;
	int one = 1, v, ch[2];
	pid_t pid;

	memset(&cl, 0, sizeof(cl));
	if ((cl.fd = accept4(lfd, (struct sockaddr *)&ss, &sl,
	    SOCK_CLOEXEC)) == -1) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("cannot accept a connection");
		return;
	}
	/* Responses are whole TLS records flushed on purpose: Nagle would
	 * hold the handshake's last flight for the client's delayed ACK. */
	if (setsockopt(cl.fd, IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof(one)) == -1)
		log_warn("cannot set TCP_NODELAY");
	parent_address(&ss, cl.address, sizeof(cl.address));
	cl.port = port;
	cl.starttls = plain;
	v = admission_check(&adm, cl.address, parent_now(), parent_random());
	if (v != ADMIT_OK) {
		log_info("%s refused: %s", cl.address,
		    admission_verdict(v));
		close(cl.fd);
		return;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ch) == -1) {
		log_warn("cannot make a socket pair");
		close(cl.fd);
		return;
	}
	if ((cl.keyfd = keyholder_channel(keyctl)) == -1) {
		close(ch[0]);
		close(ch[1]);
		close(cl.fd);
		return;
	}
	cl.parentfd = ch[1];
	parent_session_id(&cl);
	if ((pid = fork()) == -1) {
		log_warn("cannot fork");
		close(ch[0]);
	} else if (pid == 0) {
		close(ch[0]);
		parent_child_setup();
		skel_monitor_main(dmn, &cfg, &ids, &chain, &cl);
	} else if (admission_add(&adm, pid, cl.address, parent_now()) == -1) {
		fatalx("admission table out of step");
	} else {
		chans[nchans].pid = pid;
		chans[nchans++].fd = ch[0];
		conns[nconns].pid = pid;
		conns[nconns].mail = 0;
		str_copy(conns[nconns].address, cl.address,
		    sizeof(conns[nconns].address));
		str_copy(conns[nconns].session, cl.session,
		    sizeof(conns[nconns].session));
		nconns++;
	}
	close(ch[1]);
	close(cl.fd);
	close(cl.keyfd);
}

static void
parent_signals(void)
{
	struct sigaction sa;

	if (pipe2(sigpipe, O_CLOEXEC | O_NONBLOCK) == -1)
		fatal("cannot make the signal pipe");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = parent_signal;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* parent_on_signal: 1 when the daemon should stop.  A stop wins over
 * the children's deaths that the same signal to the process group
 * caused (the keyholder's included). */
static int
parent_on_signal(void)
{
	unsigned char c;
	int chld = 0, hup = 0, stop = 0;

	while (read(sigpipe[0], &c, 1) == 1) {
		chld |= c == SIGCHLD;
		hup |= c == SIGHUP;
		stop |= c == SIGTERM || c == SIGINT;
	}
	if (stop)
		return 1;
	if (chld)
		parent_reap();
	if (hup) {
		parent_known();
		if (parent_load() == 0)
			log_info("certificate and key reloaded");
		else
			log_warnx("reload failed; keeping the old "
			    "certificate and key");
		parent_dkim();
	}
	return 0;
}

/* parent_poll: wait for the listeners, the signal pipe and the channels
 * of monitors not yet logged in (in that order in pfds). */
static int
parent_poll(void)
{
	size_t i, n = 0;
	int64_t wait;

	for (i = 0; i < (size_t)nlisten; i++) {
		pfds[n].fd = lfds[i];
		pfds[n++].events = POLLIN;
	}
	pfds[n].fd = sigpipe[0];
	pfds[n++].events = POLLIN;
	for (i = 0; i < nchans; i++) {
		pfds[n].fd = chans[i].fd;
		pfds[n++].events = POLLIN;
	}
	wait = cert_next_check - mono_ms();
	if (skel_roles_due() != -1 && skel_roles_due() - mono_ms() < wait)
		wait = skel_roles_due() - mono_ms();
	wait = wait < 0 ? 0 : wait > INT32_MAX ? INT32_MAX : wait;
	return poll(pfds, (nfds_t)n, (int)wait);
}

static void
parent_loop(void)
{
	size_t i, nc;
	int j;

	for (;;) {
		nc = nchans;
		if (parent_poll() == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		parent_cert_daily();
		skel_roles_tick();
		/* Backwards: dropping chans[i] moves one already seen. */
		for (i = nc; i-- > 0;)
			if (pfds[nlisten + 1 + i].revents)
				parent_chan_read(i);
		if ((pfds[nlisten].revents & POLLIN) && parent_on_signal())
			break;
		for (j = 0; j < nlisten; j++)
			if (pfds[j].revents & POLLIN)
				parent_accept(lfds[j], listeners[j].port,
				    lplain[j]);
	}
	for (i = 0; i < adm.nslots; i++)
		kill((pid_t)adm.slots[i].id, SIGTERM);
	skel_roles_stop();
	close(keyctl);
	log_info("exiting");
}

/* parent_ids: look up the privsep users (not in development mode). */
static void
parent_ids(void)
{
	memset(&ids, 0xff, sizeof(ids));
	if (privsep_is_dev())
		return;
	if (privsep_user(cfg.users[ROLE_NET], &ids.net_uid,
	    &ids.net_gid) == -1 ||
	    privsep_user(cfg.users[ROLE_MAIL], &ids.mail_uid,
	    &ids.mail_gid) == -1 ||
	    privsep_user(cfg.users[ROLE_KEYHOLDER], &ids.key_uid,
	    &ids.key_gid) == -1)
		exit(1);
	if ((dmn->roles != NULL || dmn->broker != NULL) &&
	    privsep_user(cfg.users[ROLE_QUEUE], &ids.queue_uid,
	    &ids.queue_gid) == -1)
		exit(1);
	if (dmn->roles != NULL &&
	    privsep_user(cfg.users[ROLE_RELAY], &ids.relay_uid,
	    &ids.relay_gid) == -1)
		exit(1);
}

/* parent_admission: the connection budgets from the configuration. */
static void
parent_admission(void)
{
	struct admission_limits lim;

	memset(&lim, 0, sizeof(lim));
	lim.per_address = (unsigned)cfg.login_per_address;
	lim.per_network = (unsigned)cfg.login_per_network;
	lim.startups = (unsigned)cfg.login_startups;
	lim.rate = (unsigned)cfg.login_drop;
	lim.full = (unsigned)cfg.login_full;
	lim.sessions = (unsigned)cfg.session_limit;
	lim.per_user = (unsigned)cfg.session_per_user;
	lim.known_ttl = cfg.lockout_known;
	if (admission_init(&adm, &lim) == -1)
		fatal("cannot set up the connection limits");
	if (dmn->message_rate != NULL && ratelimit_init(&msgrate,
	    PARENT_RATE_SLOTS, (unsigned)dmn->message_rate(&cfg), 60) == -1)
		fatal("cannot set up the message rate");
	chans = calloc(adm.maxslots, sizeof(*chans));
	conns = calloc(adm.maxslots, sizeof(*conns));
	pfds = calloc(adm.maxslots + CONFIG_MAX_LISTEN + 1, sizeof(*pfds));
	if (chans == NULL || conns == NULL || pfds == NULL)
		fatal("out of memory for the connection tables");
}

static void
parent_start(int debug)
{
	int i, ready = -1;

	for (i = 0; i < nlisten; i++)
		lfds[i] = parent_bind(&listeners[i]);
	if (!debug) {
		log_init(dmn->name, 0, 0);
		log_set_target(1);
		ready = daemon_detach();
		daemon_pidfile(cfg.runtime_dir, dmn->name);
	}
	parent_admission();
	parent_known();
	parent_signals();
	parent_keyholder();
	if (parent_load() == -1)
		fatalx("cannot load the TLS certificate and key");
	parent_dkim();
	skel_roles_start(dmn->roles, &cfg);
	if (ready != -1)
		daemon_ready(ready);
	for (i = 0; i < nlisten; i++)
		log_info("listening on %s port %u",
		    listeners[i].address, listeners[i].port);
}

int
skel_main(const struct skel_daemon *d, int argc, char *argv[])
{
	int ch, debug = 0, check = 0, verbose = 0, role_key = 0;
	const char *role = NULL;
	char self[4096];
	ssize_t n;

	dmn = d;
	while ((ch = getopt_long(argc, argv, "df:KnR:v", parent_longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'd': debug = 1; break;
		case 'f': conf_path = optarg; break;
		case 'K': role_key = 1; break;
		case 'n': check = 1; break;
		case 'R': role = optarg; break;
		case 'v': verbose = 1; break;
		case 'h': parent_usage(0);
		case 'V':
			printf("%s (postern) %s\n", d->name, POSTERN_VERSION);
			exit(0);
		default: parent_usage(2);
		}
	}
	if (optind != argc)
		parent_usage(2);
	if (role != NULL && (d->roles == NULL || role_key))
		parent_usage(2);
	/* The keyholder role (-K) gets its control channel as 3, a
	 * daemon's role (-R) its descriptors from 3 on (3..10:
	 * skel_roles.c's ROLES_FDS_MAX). */
	daemon_close_inherited(role != NULL ? 10 : role_key ? 3 :
	    STDERR_FILENO);
	log_init(d->name, 1, verbose);
	if (config_load(&cfg, conf_path) == -1)
		exit(1);
	if (check)
		exit(parent_check());
	if (!role_key && role == NULL && privsep_is_dev() && !debug)
		fatalx("not root: run as root, or with -d for "
		    "development mode");
	if (!role_key && role == NULL && parent_preflight() == -1)
		exit(1);
	parent_ids();
	if (role != NULL) {
		log_init(d->name, debug, verbose);
		log_set_role(role);
		skel_roles_child(getppid());
		d->roles->main(role, &cfg, &ids, debug);
	}
	if (role_key) {
		log_init(d->name, debug, verbose);
		log_set_role("keyholder");
		keyholder_main(3, cfg.empty_dir, (int)ids.key_uid,
		    (int)ids.key_gid);
	}
	if (privsep_is_dev())
		privsep_dev_warning(d->name);
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) == -1)
		fatal("cannot find this program's path (/proc/self/exe)");
	self[n] = '\0';
	skel_roles_init(d->name, self, conf_path, debug, verbose);
	parent_start(debug);
	parent_loop();
	return 0;
}
