/*
 * netmsg.h: messages between a net process and its monitor, and between
 * a monitor and the parent that forked it.
 *
 * The net process (unprivileged, chrooted, sandboxed) parses the client's
 * credentials; the monitor (root, one per connection) asks authd with the
 * client address the kernel reported and answers with the status only.
 * Frames as in frame.h.  The monitor treats anything malformed or out of
 * order from its net child as fatal: that child is compromised or broken.
 *
 *   MSG_NET_LOGIN  net -> monitor: mech (str), user (str), secret (bytes)
 *                  monitor -> net: status (u32, AUTH_* of authproto.h)
 *   MSG_MONITOR_SESSION  monitor -> parent: user (str), who just logged in
 *                  parent -> monitor: verdict (u32, ADMIT_* of
 *                  admission.h); the session may start on ADMIT_OK only
 *
 * The parent trusts its monitors (root, its own code) until one reports
 * a login: the monitor closes that channel before it becomes the mail
 * role, and the parent closes its end once it said ADMIT_OK.
 */
#ifndef POSTERN_NETMSG_H
#define POSTERN_NETMSG_H

enum net_msg {
	MSG_NET_LOGIN = 16,
	MSG_MONITOR_SESSION,
};

#endif
