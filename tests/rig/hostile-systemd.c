/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hostile-systemd SCENARIO [FLOOD-COUNT [FLOOD-SIZE]]
 *
 * Test rig only. Runs as PID 1 of a test container and plays the container's systemd the way a
 * hostile container could: it serves /run/systemd/private and lies, floods or stalls. The
 * container is the attacker in our threat model, so this is the peer the hook must survive.
 *
 * It mounts a direct autofs at /srv/a1 (its own pipe) with a tmpfs holding /srv/a1/file on top,
 * so that the hook finds something to repair, and announces the unit srv-a1.automount.
 *
 * Scenarios:
 *   stall       listens with a full backlog and never accepts: connect() blocks for ever
 *   silent      accepts and reads, never answers: no authentication ever completes
 *   lie         answers with strings full of control characters, newlines and "<0>" (a
 *               forged priority), and with a Where= that does not match its unit
 *   flood       before each reply, sends FLOOD-COUNT JobRemoved signals of FLOOD-SIZE bytes
 *   slow-jobs   accepts restart jobs and never finishes them; cancels them when asked
 *   stuck-jobs  the same, but refuses to cancel them
 *   impostor    PID 1 stays idle; another process of the container serves the socket as
 *               systemd would (done-lie answers)
 *   done-lie    finishes restart jobs with "done" but leaves the old autofs in place
 *
 * It writes /run/hostile-systemd.ready once it listens.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#define PRIVATE_SOCKET "/run/systemd/private"
#define UNIT_PATH "/org/freedesktop/systemd1/unit/srv_2da1_2eautomount"
#define FORGED "\n<0>FORGED by the container \x1b[31mred\x1b[0m\r\x07"

typedef enum Scenario {
        SCENARIO_STALL,
        SCENARIO_SILENT,
        SCENARIO_LIE,
        SCENARIO_FLOOD,
        SCENARIO_SLOW_JOBS,
        SCENARIO_DONE_LIE,
        SCENARIO_STUCK_JOBS,
        SCENARIO_IMPOSTOR,
} Scenario;

static Scenario scenario;
static unsigned flood_count = 2000;
static size_t flood_size = 64 * 1024;
static char *flood_text;
static unsigned job_id;

static void die(const char *what) {
        fprintf(stderr, "hostile-systemd: %s: %s\n", what, strerror(errno));
        exit(EXIT_FAILURE);
}

/* A direct autofs at /srv/a1 with a tmpfs and a file on top: what a repair would set aside. */
static void set_up_mounts(void) {
        static int pipe_fds[2];
        char options[128];
        FILE *f;

        (void) mkdir("/srv", 0755);
        (void) mkdir("/srv/a1", 0755);
        if (pipe2(pipe_fds, O_CLOEXEC) < 0)
                die("pipe");
        snprintf(options, sizeof options, "fd=%d,pgrp=%d,minproto=5,maxproto=5,direct",
                 pipe_fds[1], (int) getpgrp());
        if (mount("hostile", "/srv/a1", "autofs", 0, options) < 0)
                die("mount autofs");
        if (mount("tmpfs", "/srv/a1", "tmpfs", 0, "mode=755") < 0)
                die("mount tmpfs");
        f = fopen("/srv/a1/file", "we");
        if (!f)
                die("/srv/a1/file");
        fputs("content of /srv/a1\n", f);
        fclose(f);
}

static int listen_private(int backlog) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = PRIVATE_SOCKET };
        int fd;

        (void) mkdir("/run/systemd", 0755);
        (void) mkdir("/run/systemd/system", 0755);
        (void) unlink(PRIVATE_SOCKET);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                die("socket");
        if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                die("bind");
        if (listen(fd, backlog) < 0)
                die("listen");
        return fd;
}

static void ready(void) {
        int fd = open("/run/hostile-systemd.ready", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0)
                close(fd);
}

/* Fills the listen backlog with connections of our own, so that every other connect() waits. */
static void stall(int listen_fd) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = PRIVATE_SOCKET };

        for (int i = 0; i < 64; i++) {
                int c = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
                if (c < 0)
                        die("socket");
                if (connect(c, (struct sockaddr *) &sa, sizeof sa) < 0) {
                        if (errno != EAGAIN)
                                die("connect");
                        close(c);
                        break;
                }
        }
        (void) listen_fd;
        ready();
        for (;;)
                pause();
}

static void silent(int listen_fd) {
        char buf[4096];

        ready();
        for (;;) {
                int c = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
                if (c < 0)
                        continue;
                if (fork() == 0) {
                        while (read(c, buf, sizeof buf) > 0)
                                ;
                        _exit(0);
                }
                close(c);
        }
}

static void flood(sd_bus *bus) {
        if (scenario != SCENARIO_FLOOD)
                return;
        for (unsigned i = 0; i < flood_count; i++) {
                /* Removals of jobs of the very unit the hook restarts: the kind it must keep
                 * until it knows its own job's path. */
                char path[64];
                snprintf(path, sizeof path, "/org/freedesktop/systemd1/job/%u", 100000 + i);
                if (sd_bus_emit_signal(bus, "/org/freedesktop/systemd1",
                                       "org.freedesktop.systemd1.Manager", "JobRemoved", "uoss",
                                       100000 + i, path, "srv-a1.automount", flood_text) < 0)
                        return;
                /* Keep our own queue small: the hook reads, or we wait. */
                if (sd_bus_flush(bus) < 0)
                        return;
        }
}

static int reply_list_units(sd_bus_message *m) {
        sd_bus_message *reply = NULL;
        const char *active = scenario == SCENARIO_LIE ? "inactive" FORGED : "active";
        int r;

        r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(ssssssouso)");
        if (r >= 0)
                r = sd_bus_message_append(reply, "(ssssssouso)", "srv-a1.automount", "desc" FORGED,
                                          "loaded", active, "waiting", "", UNIT_PATH, 0, "", "/");
        if (r >= 0 && scenario == SCENARIO_LIE)
                /* Where= of this one is not what its name says. */
                r = sd_bus_message_append(reply, "(ssssssouso)", "srv-a2.automount", "", "loaded",
                                          "active", "waiting", "", "/org/freedesktop/systemd1/unit/srv_2da2_2eautomount",
                                          0, "", "/");
        if (r >= 0 && scenario == SCENARIO_LIE)
                r = sd_bus_message_append(reply, "(ssssssouso)", "bad\nname" FORGED ".automount", "",
                                          "loaded", "active", "waiting", "", "/x", 0, "", "/");
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        sd_bus_message_unref(reply);
        return r;
}

static int reply_property(sd_bus_message *m) {
        const char *interface, *property, *path = sd_bus_message_get_path(m);
        const char *value = "";
        int r;

        r = sd_bus_message_read(m, "ss", &interface, &property);
        if (r < 0)
                return r;
        if (strcmp(property, "Where") == 0) {
                if (path && strstr(path, "srv_2da2"))
                        value = "/etc";
                else
                        value = "/srv/a1";
        } else if (strcmp(property, "ActiveState") == 0)
                value = scenario == SCENARIO_DONE_LIE || scenario == SCENARIO_IMPOSTOR ? "active" :
                                                                                "failed" FORGED;
        return sd_bus_reply_method_return(m, "v", "s", value);
}

static int reply_restart(sd_bus_message *m) {
        const char *unit, *mode;
        char path[64];
        unsigned id = ++job_id;
        int r;

        r = sd_bus_message_read(m, "ss", &unit, &mode);
        if (r < 0)
                return r;
        snprintf(path, sizeof path, "/org/freedesktop/systemd1/job/%u", id);
        r = sd_bus_reply_method_return(m, "o", path);
        if (r < 0 || scenario == SCENARIO_SLOW_JOBS || scenario == SCENARIO_STUCK_JOBS)
                return r;
        flood(sd_bus_message_get_bus(m));
        return sd_bus_emit_signal(sd_bus_message_get_bus(m), "/org/freedesktop/systemd1",
                                  "org.freedesktop.systemd1.Manager", "JobRemoved", "uoss", id, path,
                                  unit, scenario == SCENARIO_DONE_LIE || scenario == SCENARIO_IMPOSTOR ?
                                  "done" : "failed" FORGED);
}

/* A waiting job of a real systemd is cancelled at once: the reply, then JobRemoved. */
static int reply_cancel(sd_bus_message *m) {
        const char *path = sd_bus_message_get_path(m);
        unsigned id = 0;
        int r;

        if (scenario != SCENARIO_SLOW_JOBS)
                return sd_bus_reply_method_errorf(m, "org.freedesktop.DBus.Error.AccessDenied",
                                                  "not cancelling" FORGED);
        if (!path || sscanf(path, "/org/freedesktop/systemd1/job/%u", &id) != 1)
                return sd_bus_reply_method_errorf(m, "org.freedesktop.systemd1.NoSuchJob", "no job");
        r = sd_bus_reply_method_return(m, NULL);
        if (r < 0)
                return r;
        return sd_bus_emit_signal(sd_bus_message_get_bus(m), "/org/freedesktop/systemd1",
                                  "org.freedesktop.systemd1.Manager", "JobRemoved", "uoss", id, path,
                                  "srv-a1.automount", "canceled");
}

static int on_message(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *member = sd_bus_message_get_member(m);
        sd_bus *bus = sd_bus_message_get_bus(m);

        if (!member || !sd_bus_message_is_method_call(m, NULL, NULL))
                return 0;
        flood(bus);
        if (strcmp(member, "ListUnitsByPatterns") == 0)
                return reply_list_units(m) < 0 ? -EIO : 1;
        if (strcmp(member, "Get") == 0)
                return reply_property(m) < 0 ? -EIO : 1;
        if (strcmp(member, "RestartUnit") == 0)
                return reply_restart(m) < 0 ? -EIO : 1;
        if (strcmp(member, "ResetFailedUnit") == 0)
                return sd_bus_reply_method_return(m, NULL) < 0 ? -EIO : 1;
        if (strcmp(member, "Cancel") == 0)
                return reply_cancel(m) < 0 ? -EIO : 1;
        return sd_bus_reply_method_errorf(m, "org.freedesktop.DBus.Error.UnknownMethod",
                                          "no %s here" FORGED, member) < 0 ? -EIO : 1;
}

static void serve_one(int fd) {
        sd_bus *bus = NULL;
        sd_id128_t id;

        if (sd_id128_randomize(&id) < 0 || sd_bus_new(&bus) < 0 || sd_bus_set_fd(bus, fd, fd) < 0 ||
            sd_bus_set_server(bus, 1, id) < 0 || sd_bus_add_filter(bus, NULL, on_message, NULL) < 0 ||
            sd_bus_start(bus) < 0)
                _exit(EXIT_FAILURE);
        for (;;) {
                int r = sd_bus_process(bus, NULL);
                if (r < 0)
                        break;
                if (r > 0)
                        continue;
                if (sd_bus_wait(bus, UINT64_MAX) < 0)
                        break;
        }
        sd_bus_flush_close_unref(bus);
        _exit(EXIT_SUCCESS);
}

/* Each connection is served by a child: SO_PEERCRED names the process that called listen(),
 * PID 1, which is what the hook checks. */
static void serve(int listen_fd) {
        ready();
        for (;;) {
                int c = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

                while (waitpid(-1, NULL, WNOHANG) > 0)
                        ;
                if (c < 0)
                        continue;
                if (fork() == 0) {
                        close(listen_fd);
                        serve_one(c);
                }
                close(c);
        }
}

int main(int argc, char **argv) {
        static const char *const names[] = {
                [SCENARIO_STALL] = "stall", [SCENARIO_SILENT] = "silent", [SCENARIO_LIE] = "lie",
                [SCENARIO_FLOOD] = "flood", [SCENARIO_SLOW_JOBS] = "slow-jobs",
                [SCENARIO_STUCK_JOBS] = "stuck-jobs",
                [SCENARIO_IMPOSTOR] = "impostor",
                [SCENARIO_DONE_LIE] = "done-lie",
        };
        int listen_fd;
        size_t i;

        if (argc < 2) {
                fprintf(stderr, "usage: hostile-systemd SCENARIO [FLOOD-COUNT [FLOOD-SIZE]]\n");
                return 2;
        }
        for (i = 0; i < sizeof names / sizeof names[0]; i++)
                if (strcmp(argv[1], names[i]) == 0)
                        break;
        if (i == sizeof names / sizeof names[0]) {
                fprintf(stderr, "hostile-systemd: unknown scenario %s\n", argv[1]);
                return 2;
        }
        scenario = (Scenario) i;
        /* Positional: runc's --init splitting leaves no room for options. */
        if (argc > 2)
                flood_count = (unsigned) strtoul(argv[2], NULL, 10);
        if (argc > 3)
                flood_size = strtoul(argv[3], NULL, 10);
        flood_text = malloc(flood_size + 1);
        if (!flood_text)
                die("malloc");
        memset(flood_text, 'x', flood_size);
        flood_text[flood_size] = '\0';

        /* PID 1 of a PID namespace gets no signal it has no handler for. */
        (void) signal(SIGCHLD, SIG_DFL);
        set_up_mounts();
        /* SO_PEERCRED names the process that called listen(): here not PID 1. */
        if (scenario == SCENARIO_IMPOSTOR && fork() > 0)
                for (;;)
                        pause();
        listen_fd = listen_private(scenario == SCENARIO_STALL ? 0 : 16);
        switch (scenario) {
        case SCENARIO_STALL:
                stall(listen_fd);
                break;
        case SCENARIO_SILENT:
                silent(listen_fd);
                break;
        case SCENARIO_LIE:
        case SCENARIO_FLOOD:
        case SCENARIO_SLOW_JOBS:
        case SCENARIO_STUCK_JOBS:
        case SCENARIO_IMPOSTOR:
        case SCENARIO_DONE_LIE:
        default:
                serve(listen_fd);
                break;
        }
        return 0;
}
