/*
 * broker.h: smtpd's monitor, the broker of common/skel.h (broker.c):
 * recipients, senders, limits, and the message's way into the queue.
 */
#ifndef SMTPD_BROKER_H
#define SMTPD_BROKER_H

#include "common/skel.h"

extern const struct skel_broker smtp_broker;

#endif
