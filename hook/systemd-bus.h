/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <systemd/sd-bus.h>

#include "time-util.h"

#define SYSTEMD_SERVICE     "org.freedesktop.systemd1"
#define SYSTEMD_PATH        "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER     "org.freedesktop.systemd1.Manager"

/* The connection to a container's systemd, which is an untrusted peer: every wait on it is
 * bounded by the run's deadline, and nothing it sends piles up while we wait. The questions
 * asked over it are in systemd-units.h. */

/* Connects to systemd's private socket of the mount namespace we are in, from the PID namespace
 * pidns_fd (see pidns-connect.h), and checks that the peer is expected_pid (in our PID
 * namespace), so that no other process in the container can pose as its systemd. */
int systemd_bus_open(int pidns_fd, pid_t expected_pid, usec_t deadline, sd_bus **ret);

/* Sets sd-bus's method call timeout to what is left until deadline; -ETIMEDOUT if nothing is. */
int bus_set_call_timeout(sd_bus *bus, usec_t deadline);

/* Runs the bus until done() says so or the deadline passes. Every message is dispatched as it
 * arrives: nothing a flooding peer sends piles up in sd-bus's queues while we wait. */
int bus_run_until(sd_bus *bus, usec_t deadline, bool (*done)(void *userdata), void *userdata);

/* sd_bus_call() with the run's deadline, but without its queueing: sd_bus_call() keeps every
 * other message that arrives meanwhile (sd-bus allows hundreds of thousands), which a container's
 * systemd can fill with large signals. A method error is copied to error. */
int bus_call_bounded(sd_bus *bus, sd_bus_message *call, usec_t deadline, sd_bus_error *error,
                     sd_bus_message **ret_reply);
