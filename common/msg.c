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
	{ MSG_KEY_LOAD, PROC_PARENT, PROC_KEYHOLDER },
	{ MSG_KEY_CHANNEL, PROC_PARENT, PROC_KEYHOLDER },
	{ MSG_KEY_SIGN, PROC_NET, PROC_KEYHOLDER },
	{ MSG_AUTHD_READY, PROC_AUTHD_SERVER, PROC_AUTHD_PARENT },
	{ MSG_AUTHD_POLICY, PROC_AUTHD_PARENT, PROC_AUTHD_SERVER },
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
	case MSG_KEY_LOAD:		return "KEY_LOAD";
	case MSG_KEY_CHANNEL:		return "KEY_CHANNEL";
	case MSG_KEY_SIGN:		return "KEY_SIGN";
	case MSG_AUTHD_READY:		return "AUTHD_READY";
	case MSG_AUTHD_POLICY:		return "AUTHD_POLICY";
	}
	return "unknown";
}

const char *
msg_role_name(int role)
{
	static const char *const names[PROC_COUNT] = {
		"authd parent", "authd server", "authctl", "parent",
		"monitor", "net", "mail", "keyholder", "smtpd"
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
