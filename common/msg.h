/*
 * msg.h: every message type that crosses a process boundary in postern,
 * and the process graph: which role sends it to which.
 *
 * One registry, so numbers never collide and a log line can name a
 * message.  Frames are as in frame.h; each message's fields are in the
 * header of the code that builds and decodes it (authproto.h for authd's
 * protocol, keyholder.h for the keyholder's, rolemsg.h for a daemon's own
 * roles, authd/reload.h inside authd).  Numbers are part of the authd
 * protocol (1..15) and otherwise private to one build: every process of
 * a daemon is the same binary.
 *
 * The process graph, as OpenSMTPD's setup_peers lines list it:
 *
 *   from                 to                 messages
 *   monitor, parent,     authd server       AUTH_LOGIN AUTH_BANCHECK
 *   authctl, smtpd                          AUTH_RCPT AUTH_SESSION
 *                                           AUTH_OPEN AUTH_KNOWN
 *   authctl              authd server       AUTH_WHO AUTH_KICK
 *   authd server         mail               AUTH_END
 *   net                  monitor            NET_LOGIN
 *   monitor              parent             MONITOR_SESSION MONITOR_MESSAGE
 *   parent               keyholder          KEY_LOAD KEY_CHANNEL
 *   net                  keyholder          KEY_SIGN
 *   parent               keyholder          KEY_DKIM_LOAD KEY_DKIM_COMMIT
 *                                           KEY_DKIM_CHANNEL
 *   relay                keyholder          KEY_DKIM_SELECTOR KEY_DKIM_SIGN
 *   authd parent         authd server       AUTHD_READY AUTHD_POLICY
 *   authd server         authd parent       AUTHD_NOTICE
 *   smtpd (its monitor)  authd server       AUTH_SEND
 *   net (smtpd)          monitor            SMTP_MAIL SMTP_RCPT SMTP_DATA
 *                                           SMTP_END SMTP_RSET
 *   smtpd (its monitor)  queue              QUEUE_ENV QUEUE_RCPT QUEUE_DATA
 *                                           QUEUE_COMMIT QUEUE_ABORT
 *                                           QUEUE_ROOM
 *   authctl              queue              QUEUE_LIST QUEUE_SHOW
 *                                           QUEUE_REMOVE QUEUE_FLUSH
 *   queue                deliver            DELIVER_MSG DELIVER_ROOM
 *   queue                relay              RELAY_JOB RELAY_RCPT RELAY_GO
 *   relay                queue              RELAY_RESULT RELAY_DONE
 *   smtpd (its monitor)  queue              QUEUE_CHECKS
 *   smtpd (its monitor)  check              CHECK_MSG CHECK_SIG CHECK_RUN
 *
 * (each request is answered with a message of the same type, back along
 * the same edge).  msg_graph[] holds these edges, so a receiver can say
 * which edge a stray message belongs to, and test_frame checks the table.
 */
#ifndef POSTERN_MSG_H
#define POSTERN_MSG_H

#include <stddef.h>

enum msg_type {
	MSG_AUTH_LOGIN = 1,
	MSG_AUTH_BANCHECK = 2,
	MSG_AUTH_RCPT = 3,
	MSG_AUTH_SESSION = 4,
	MSG_AUTH_OPEN = 5,
	MSG_AUTH_END = 6,
	MSG_AUTH_WHO = 7,
	MSG_AUTH_KICK = 8,
	MSG_AUTH_KNOWN = 9,
	MSG_AUTH_SEND = 10,

	MSG_NET_LOGIN = 16,
	MSG_MONITOR_SESSION = 17,
	MSG_MONITOR_MESSAGE = 18,

	MSG_KEY_LOAD = 32,
	MSG_KEY_CHANNEL = 33,
	MSG_KEY_SIGN = 34,
	MSG_KEY_DKIM_LOAD = 35,
	MSG_KEY_DKIM_COMMIT = 36,
	MSG_KEY_DKIM_CHANNEL = 37,
	MSG_KEY_DKIM_SELECTOR = 38,
	MSG_KEY_DKIM_SIGN = 39,

	MSG_AUTHD_READY = 48,
	MSG_AUTHD_POLICY = 49,
	MSG_AUTHD_NOTICE = 50,

	/* smtpd: net -> monitor (smtpd/smtpmsg.h) */
	MSG_SMTP_MAIL = 64,
	MSG_SMTP_RCPT = 65,
	MSG_SMTP_DATA = 66,
	MSG_SMTP_END = 67,
	MSG_SMTP_RSET = 68,

	/* smtpd: monitor, authctl -> queue (smtpd/queueproto.h) */
	MSG_QUEUE_ENV = 80,
	MSG_QUEUE_RCPT = 81,
	MSG_QUEUE_DATA = 82,
	MSG_QUEUE_COMMIT = 83,
	MSG_QUEUE_ABORT = 84,
	MSG_QUEUE_ROOM = 85,
	MSG_QUEUE_LIST = 86,
	MSG_QUEUE_SHOW = 87,
	MSG_QUEUE_REMOVE = 88,
	MSG_QUEUE_FLUSH = 89,
	MSG_QUEUE_CHECKS = 90,

	/* smtpd: queue -> deliver */
	MSG_DELIVER_MSG = 96,
	MSG_DELIVER_ROOM = 97,

	/* smtpd: queue <-> relay (smtpd/relayproto.h) */
	MSG_RELAY_JOB = 100,
	MSG_RELAY_RCPT = 101,
	MSG_RELAY_GO = 102,
	MSG_RELAY_RESULT = 103,
	MSG_RELAY_DONE = 104,
	/* smtpd: monitor -> check (smtpd/checkproto.h) */
	MSG_CHECK_MSG = 112,
	MSG_CHECK_SIG = 113,
	MSG_CHECK_RUN = 114,
};

/* The roles of the graph (a process may play one or, like pop3d's
 * monitor, which becomes its mail role, two in turn). */
enum msg_role {
	PROC_AUTHD_PARENT, PROC_AUTHD_SERVER, PROC_AUTHCTL, PROC_PARENT,
	PROC_MONITOR, PROC_NET, PROC_MAIL, PROC_KEYHOLDER, PROC_SMTPD,
	PROC_QUEUE, PROC_DELIVER, PROC_RELAY, PROC_CHECK, PROC_COUNT
};

struct msg_edge {
	enum msg_type	type;
	enum msg_role	from;		/* the requester */
	enum msg_role	to;		/* answers go back the same way */
};

extern const struct msg_edge	msg_graph[];
extern const size_t		msg_graph_len;

/* msg_name: "AUTH_LOGIN" etc.; "unknown" for a type not in the
 * registry (never NULL). */
const char	*msg_name(int type);

/* msg_role_name: "monitor" etc.; "unknown" outside the enum. */
const char	*msg_role_name(int role);

/* msg_allowed: 1 when from may send type to to (or answer it along the
 * edge), else 0. */
int		 msg_allowed(int type, int from, int to);

#endif
