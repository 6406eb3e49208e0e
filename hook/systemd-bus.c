/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "fd-util.h"
#include "log.h"
#include "macro.h"
#include "pidns-connect.h"
#include "systemd-bus.h"

#define SYSTEMD_PRIVATE_SOCKET "/run/systemd/private"

int bus_set_call_timeout(sd_bus *bus, usec_t deadline) {
        usec_t left = usec_until(deadline);

        if (left == 0)
                return -ETIMEDOUT;
        return sd_bus_set_method_call_timeout(bus, left);
}

int bus_run_until(sd_bus *bus, usec_t deadline, bool (*done)(void *userdata), void *userdata) {
        for (;;) {
                usec_t left;
                int r;

                if (done(userdata))
                        return 0;
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                left = usec_until(deadline);
                if (left == 0)
                        return -ETIMEDOUT;
                r = sd_bus_wait(bus, left);
                if (r < 0 && r != -EINTR)
                        return r;
        }
}

static bool bus_is_ready(void *userdata) {
        return sd_bus_is_ready(userdata) > 0;
}

typedef struct CallResult {
        bool done;
        sd_bus_message *reply;
} CallResult;

static int on_call_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        CallResult *c = userdata;

        c->reply = sd_bus_message_ref(m);
        c->done = true;
        return 0;
}

static bool call_is_done(void *userdata) {
        return ((CallResult *) userdata)->done;
}

int bus_call_bounded(sd_bus *bus, sd_bus_message *call, usec_t deadline, sd_bus_error *error,
                        sd_bus_message **ret_reply) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        CallResult c = {};
        int r;

        r = sd_bus_call_async(bus, &slot, call, on_call_reply, &c, usec_until(deadline) ?: 1);
        if (r < 0)
                return r;
        r = bus_run_until(bus, deadline, call_is_done, &c);
        if (r < 0)
                return r;
        if (sd_bus_message_is_method_error(c.reply, NULL)) {
                r = sd_bus_error_copy(error, sd_bus_message_get_error(c.reply));
                sd_bus_message_unref(c.reply);
                return r < 0 ? r : -EIO;
        }
        *ret_reply = c.reply;
        return 0;
}

static int check_peer(sd_bus *bus, pid_t expected_pid) {
        struct ucred cred;
        socklen_t len = sizeof cred;
        int fd;

        fd = sd_bus_get_fd(bus);
        if (fd < 0)
                return fd;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                return -errno;
        if (cred.pid != expected_pid)
                return log_error_errno(SYNTHETIC_ERRNO(EPERM),
                                       "/run/systemd/private is served by PID %d, not by the container's init (PID %d); refusing to talk to it.",
                                       (int) cred.pid, (int) expected_pid);
        return 0;
}

int systemd_bus_open(int pidns_fd, pid_t expected_pid, usec_t deadline, sd_bus **ret) {
        /* No flush on failure: a peer that never authenticates or never reads would hold us. */
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        fd = connect_unix_in_pidns(pidns_fd, SYSTEMD_PRIVATE_SOCKET, deadline);
        if (fd < 0)
                return fd;

        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_fd(bus, fd, fd);
        if (r < 0)
                return r;
        TAKE_FD(fd);
        r = sd_bus_start(bus);
        if (r < 0)
                return r;
        /* sd-bus would wait up to 90 s for a peer that accepts and never authenticates. */
        r = bus_run_until(bus, deadline, bus_is_ready, bus);
        if (r < 0)
                return r;
        r = check_peer(bus, expected_pid);
        if (r < 0)
                return r;
        r = bus_set_call_timeout(bus, deadline);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(bus);
        return 0;
}
