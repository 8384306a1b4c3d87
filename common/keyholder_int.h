/*
 * keyholder_int.h: what keyholder.c shares with keyholder_dkim.c (the
 * DKIM stubs of the parent and relay side): sending whole frames, with
 * or without descriptors.  Not for any other file.
 */
#ifndef POSTERN_KEYHOLDER_INT_H
#define POSTERN_KEYHOLDER_INT_H

#include <stddef.h>

#include "common/frame.h"

#define KH_LOAD_TIMEOUT_MS	10000

/* kh_send: all of f on fd (send flags | MSG_NOSIGNAL); 0 or -1. */
int	kh_send(int fd, const struct frame *f, int flags);

/* kh_send_fds: f with nfds (1 or 2) descriptors, in one sendmsg; 0 or -1. */
int	kh_send_fds(int ctlfd, const struct frame *f, const int *fds,
	    size_t nfds);

#endif
