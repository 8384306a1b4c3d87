/*
 * msg.c: the registry of message types and the process graph (msg.h).
 * Runs in every process; pure tables.
 */
#include "common/msg.h"

const struct msg_edge msg_graph[] = {
	{ MSG_AUTH_LOGIN, PROC_MONITOR, PROC_AUTHD_SERVER },
	{ MSG_AUTH_SESSION, PROC_MONITOR, PROC_AUTHD_SERVER },
	{ MSG_AUTH_OPEN, PROC_MAIL, PROC_AUTHD_SERVER },
	{ MSG_AUTH_END, PROC_AUTHD_SERVER, PROC_MAIL },
	{ MSG_AUTH_BANCHECK, PROC_MONITOR, PROC_AUTHD_SERVER },
	{ MSG_AUTH_KNOWN, PROC_PARENT, PROC_AUTHD_SERVER },
	{ MSG_AUTH_RCPT, PROC_SMTPD, PROC_AUTHD_SERVER },
	{ MSG_AUTH_LOGIN, PROC_AUTHCTL, PROC_AUTHD_SERVER },
	{ MSG_AUTH_BANCHECK, PROC_AUTHCTL, PROC_AUTHD_SERVER },
	{ MSG_AUTH_RCPT, PROC_AUTHCTL, PROC_AUTHD_SERVER },
	{ MSG_AUTH_KNOWN, PROC_AUTHCTL, PROC_AUTHD_SERVER },
	{ MSG_AUTH_WHO, PROC_AUTHCTL, PROC_AUTHD_SERVER },
	{ MSG_AUTH_KICK, PROC_AUTHCTL, PROC_AUTHD_SERVER },
	{ MSG_NET_LOGIN, PROC_NET, PROC_MONITOR },
	{ MSG_MONITOR_SESSION, PROC_MONITOR, PROC_PARENT },
	{ MSG_MONITOR_MESSAGE, PROC_MONITOR, PROC_PARENT },
	{ MSG_KEY_LOAD, PROC_PARENT, PROC_KEYHOLDER },
	{ MSG_KEY_CHANNEL, PROC_PARENT, PROC_KEYHOLDER },
	{ MSG_KEY_SIGN, PROC_NET, PROC_KEYHOLDER },
	{ MSG_AUTHD_READY, PROC_AUTHD_SERVER, PROC_AUTHD_PARENT },
	{ MSG_AUTHD_POLICY, PROC_AUTHD_PARENT, PROC_AUTHD_SERVER },
	{ MSG_AUTHD_NOTICE, PROC_AUTHD_SERVER, PROC_AUTHD_PARENT },
	{ MSG_AUTH_SEND, PROC_SMTPD, PROC_AUTHD_SERVER },
	{ MSG_SMTP_MAIL, PROC_NET, PROC_MONITOR },
	{ MSG_SMTP_RCPT, PROC_NET, PROC_MONITOR },
	{ MSG_SMTP_DATA, PROC_NET, PROC_MONITOR },
	{ MSG_SMTP_END, PROC_NET, PROC_MONITOR },
	{ MSG_SMTP_RSET, PROC_NET, PROC_MONITOR },
	{ MSG_QUEUE_ENV, PROC_SMTPD, PROC_QUEUE },
	{ MSG_QUEUE_RCPT, PROC_SMTPD, PROC_QUEUE },
	{ MSG_QUEUE_DATA, PROC_SMTPD, PROC_QUEUE },
	{ MSG_QUEUE_COMMIT, PROC_SMTPD, PROC_QUEUE },
	{ MSG_QUEUE_ABORT, PROC_SMTPD, PROC_QUEUE },
	{ MSG_QUEUE_ROOM, PROC_SMTPD, PROC_QUEUE },
	{ MSG_QUEUE_LIST, PROC_AUTHCTL, PROC_QUEUE },
	{ MSG_QUEUE_SHOW, PROC_AUTHCTL, PROC_QUEUE },
	{ MSG_QUEUE_REMOVE, PROC_AUTHCTL, PROC_QUEUE },
	{ MSG_QUEUE_FLUSH, PROC_AUTHCTL, PROC_QUEUE },
	{ MSG_DELIVER_MSG, PROC_QUEUE, PROC_DELIVER },
	{ MSG_DELIVER_ROOM, PROC_QUEUE, PROC_DELIVER },
	{ MSG_QUEUE_CHECKS, PROC_SMTPD, PROC_QUEUE },
	{ MSG_CHECK_MSG, PROC_SMTPD, PROC_CHECK },
	{ MSG_CHECK_SIG, PROC_SMTPD, PROC_CHECK },
	{ MSG_CHECK_RUN, PROC_SMTPD, PROC_CHECK },
};
const size_t msg_graph_len = sizeof(msg_graph) / sizeof(msg_graph[0]);

const char *
msg_name(int type)
{
	switch (type) {
	case MSG_AUTH_LOGIN:		return "AUTH_LOGIN";
	case MSG_AUTH_BANCHECK:		return "AUTH_BANCHECK";
	case MSG_AUTH_RCPT:		return "AUTH_RCPT";
	case MSG_AUTH_SESSION:		return "AUTH_SESSION";
	case MSG_AUTH_OPEN:		return "AUTH_OPEN";
	case MSG_AUTH_END:		return "AUTH_END";
	case MSG_AUTH_WHO:		return "AUTH_WHO";
	case MSG_AUTH_KICK:		return "AUTH_KICK";
	case MSG_AUTH_KNOWN:		return "AUTH_KNOWN";
	case MSG_NET_LOGIN:		return "NET_LOGIN";
	case MSG_MONITOR_SESSION:	return "MONITOR_SESSION";
	case MSG_MONITOR_MESSAGE:	return "MONITOR_MESSAGE";
	case MSG_KEY_LOAD:		return "KEY_LOAD";
	case MSG_KEY_CHANNEL:		return "KEY_CHANNEL";
	case MSG_KEY_SIGN:		return "KEY_SIGN";
	case MSG_AUTHD_READY:		return "AUTHD_READY";
	case MSG_AUTHD_POLICY:		return "AUTHD_POLICY";
	case MSG_AUTHD_NOTICE:		return "AUTHD_NOTICE";
	case MSG_AUTH_SEND:		return "AUTH_SEND";
	case MSG_SMTP_MAIL:		return "SMTP_MAIL";
	case MSG_SMTP_RCPT:		return "SMTP_RCPT";
	case MSG_SMTP_DATA:		return "SMTP_DATA";
	case MSG_SMTP_END:		return "SMTP_END";
	case MSG_SMTP_RSET:		return "SMTP_RSET";
	case MSG_QUEUE_ENV:		return "QUEUE_ENV";
	case MSG_QUEUE_RCPT:		return "QUEUE_RCPT";
	case MSG_QUEUE_DATA:		return "QUEUE_DATA";
	case MSG_QUEUE_COMMIT:		return "QUEUE_COMMIT";
	case MSG_QUEUE_ABORT:		return "QUEUE_ABORT";
	case MSG_QUEUE_ROOM:		return "QUEUE_ROOM";
	case MSG_QUEUE_LIST:		return "QUEUE_LIST";
	case MSG_QUEUE_SHOW:		return "QUEUE_SHOW";
	case MSG_QUEUE_REMOVE:		return "QUEUE_REMOVE";
	case MSG_QUEUE_FLUSH:		return "QUEUE_FLUSH";
	case MSG_DELIVER_MSG:		return "DELIVER_MSG";
	case MSG_DELIVER_ROOM:		return "DELIVER_ROOM";
	case MSG_QUEUE_CHECKS:		return "QUEUE_CHECKS";
	case MSG_CHECK_MSG:		return "CHECK_MSG";
	case MSG_CHECK_SIG:		return "CHECK_SIG";
	case MSG_CHECK_RUN:		return "CHECK_RUN";
	}
	return "unknown";
}

const char *
msg_role_name(int role)
{
	static const char *const names[PROC_COUNT] = {
		"authd parent", "authd server", "authctl", "parent",
		"monitor", "net", "mail", "keyholder", "smtpd",
		"queue", "deliver", "check"
	};

	return role >= 0 && role < PROC_COUNT ? names[role] : "unknown";
}

int
msg_allowed(int type, int from, int to)
{
	size_t i;

	for (i = 0; i < msg_graph_len; i++)
		if ((int)msg_graph[i].type == type &&
		    (((int)msg_graph[i].from == from &&
		    (int)msg_graph[i].to == to) ||
		    ((int)msg_graph[i].from == to &&
		    (int)msg_graph[i].to == from)))
			return 1;
	return 0;
}
