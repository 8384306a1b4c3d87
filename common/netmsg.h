/*
 * netmsg.h: messages between a net process and its monitor.
 *
 * The net process (unprivileged, chrooted, sandboxed) parses the client's
 * credentials; the monitor (root, one per connection) asks authd with the
 * client address the kernel reported and answers with the status only.
 * Frames as in frame.h.  The monitor treats anything malformed or out of
 * order from its net child as fatal: that child is compromised or broken.
 *
 *   MSG_NET_LOGIN  net -> monitor: mech (str), user (str), secret (bytes)
 *                  monitor -> net: status (u32, AUTH_* of authproto.h)
 */
#ifndef POSTERN_NETMSG_H
#define POSTERN_NETMSG_H

enum net_msg {
	MSG_NET_LOGIN = 16,
};

#endif
