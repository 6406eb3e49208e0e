/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * autofs-answer-probe DIR ANSWER ACCESS
 *
 * Test rig only. Shows what a process that blocked on an autofs sees when that autofs is
 * replaced the way a unit's restart replaces it and the old one is then answered with ANSWER:
 *   catatonic   AUTOFS_DEV_IOCTL_CATATONIC on the old autofs (what the repair does)
 *   estale      AUTOFS_DEV_IOCTL_FAIL with -ESTALE on the waiter's token
 *   eagain      AUTOFS_DEV_IOCTL_FAIL with -EAGAIN on the waiter's token
 *   ready       AUTOFS_DEV_IOCTL_READY on the waiter's token, nothing mounted
 *   foreign     AUTOFS_DEV_IOCTL_FAIL with -ESTALE from a process outside the daemon's process
 *               group (as the repair's worker is), then catatonic; prints "answer: RESULT" first
 * ACCESS is how the waiter reaches the mount point: open, stat (of DIR/where/marker) or cwd
 * (chdir to DIR/where, then open marker).
 *
 * In a mount namespace of its own: a tmpfs on DIR, a direct autofs on DIR/where served by us. A
 * child in a process group of its own blocks on it. Then, as systemd's restart does, everything
 * at DIR/where is detached and a new autofs mounted there; the old one gets ANSWER, and the new
 * one is served by mounting a tmpfs holding "marker" (content "repaired") and answering READY.
 * Prints one line: "ACCESS: RESULT [CONTENT]" where RESULT is "ok" or an errno name, or
 * "ACCESS: still waiting" when the child has not returned one second after the answer.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/auto_dev-ioctl.h>
#include <linux/auto_fs4.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int control_fd = -1;
static char where[PATH_MAX], marker[PATH_MAX + 16];

_Noreturn static void die(const char *what) {
        fprintf(stderr, "autofs-answer-probe: %s: %s\n", what, strerror(errno));
        exit(EXIT_FAILURE);
}

static int dev_ioctl(unsigned long request, int mount_fd, unsigned token, int status) {
        struct autofs_dev_ioctl p;

        init_autofs_dev_ioctl(&p);
        p.ioctlfd = mount_fd;
        if (request == AUTOFS_DEV_IOCTL_READY)
                p.ready.token = token;
        else if (request == AUTOFS_DEV_IOCTL_FAIL) {
                p.fail.token = token;
                p.fail.status = status;
        }
        return ioctl(control_fd, request, &p);
}

/* Mounts a direct autofs at where that sends its requests to pipe_w; returns a handle on it. */
static int mount_autofs(int pipe_w) {
        char options[128], buf[sizeof(struct autofs_dev_ioctl) + PATH_MAX];
        struct autofs_dev_ioctl *p = (struct autofs_dev_ioctl *) buf;
        struct stat st;

        snprintf(options, sizeof options, "fd=%d,pgrp=%d,minproto=5,maxproto=5,direct", pipe_w,
                 (int) getpgrp());
        if (mount("probe", where, "autofs", 0, options) < 0)
                die("mount autofs");
        if (stat(where, &st) < 0)
                die("stat");
        init_autofs_dev_ioctl(p);
        p->size = (__u32) (sizeof *p + strlen(where) + 1);
        strcpy(p->path, where);
        p->openmount.devid = (__u32) st.st_dev;
        if (ioctl(control_fd, AUTOFS_DEV_IOCTL_OPENMOUNT, p) < 0)
                die("AUTOFS_DEV_IOCTL_OPENMOUNT");
        return p->ioctlfd;
}

static unsigned next_token(int pipe_r) {
        union autofs_v5_packet_union packet;

        if (read(pipe_r, &packet, sizeof packet.v5_packet) != sizeof packet.v5_packet)
                die("read request");
        return packet.v5_packet.wait_queue_token;
}

_Noreturn static void waiter(const char *access) {
        char content[32] = "";
        int fd = -1, r = 0;

        if (setpgid(0, 0) < 0) /* not the daemon's group: it must wait like anyone else */
                die("setpgid");
        if (strcmp(access, "stat") == 0) {
                struct stat st;
                r = stat(marker, &st);
                if (r == 0)
                        snprintf(content, sizeof content, "size %lld", (long long) st.st_size);
        } else {
                if (strcmp(access, "cwd") == 0)
                        r = chdir(where);
                if (r == 0)
                        fd = open(strcmp(access, "cwd") == 0 ? "marker" : marker, O_RDONLY | O_CLOEXEC);
                if (r == 0 && fd < 0)
                        r = -1;
                if (fd >= 0 && read(fd, content, sizeof content - 1) < 0)
                        r = -1;
        }
        printf("%s: %s %s\n", access, r == 0 ? "ok" : strerrorname_np(errno), content);
        fflush(stdout);
        _exit(EXIT_SUCCESS);
}

int main(int argc, char **argv) {
        int old_pipe[2], new_pipe[2], old_handle, new_handle, r;
        unsigned token;
        pid_t pid;

        if (argc != 4) {
                fprintf(stderr, "Usage: autofs-answer-probe DIR catatonic|estale|eagain|ready open|stat|cwd\n");
                return 2;
        }
        snprintf(where, sizeof where, "%s/where", argv[1]);
        snprintf(marker, sizeof marker, "%s/marker", where);
        control_fd = open("/dev/autofs", O_RDONLY | O_CLOEXEC);
        if (control_fd < 0)
                die("/dev/autofs");
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                die("mount namespace");
        if (mount("tmpfs", argv[1], "tmpfs", 0, NULL) < 0 || mkdir(where, 0755) < 0)
                die("tmpfs");
        if (pipe2(old_pipe, O_CLOEXEC) < 0 || pipe2(new_pipe, O_CLOEXEC) < 0)
                die("pipe");
        old_handle = mount_autofs(old_pipe[1]);

        pid = fork();
        if (pid < 0)
                die("fork");
        if (pid == 0)
                waiter(argv[3]);
        token = next_token(old_pipe[0]);

        /* What the restart of a unit does: detach everything at where, mount a new autofs. */
        if (umount2(where, MNT_DETACH) < 0)
                die("umount");
        new_handle = mount_autofs(new_pipe[1]);

        if (strcmp(argv[2], "catatonic") == 0)
                r = dev_ioctl(AUTOFS_DEV_IOCTL_CATATONIC, old_handle, 0, 0);
        else if (strcmp(argv[2], "estale") == 0)
                r = dev_ioctl(AUTOFS_DEV_IOCTL_FAIL, old_handle, token, -ESTALE);
        else if (strcmp(argv[2], "eagain") == 0)
                r = dev_ioctl(AUTOFS_DEV_IOCTL_FAIL, old_handle, token, -EAGAIN);
        else if (strcmp(argv[2], "ready") == 0)
                r = dev_ioctl(AUTOFS_DEV_IOCTL_READY, old_handle, token, 0);
        else if (strcmp(argv[2], "foreign") == 0) {
                int status;
                pid_t answerer = fork();

                if (answerer < 0)
                        die("fork");
                if (answerer == 0) {
                        if (setpgid(0, 0) < 0)
                                _exit(255);
                        _exit(dev_ioctl(AUTOFS_DEV_IOCTL_FAIL, old_handle, token, -ESTALE) < 0 ? errno : 0);
                }
                if (waitpid(answerer, &status, 0) < 0 || !WIFEXITED(status))
                        die("answerer");
                printf("answer: %s\n", WEXITSTATUS(status) == 0 ? "ok" : strerrorname_np(WEXITSTATUS(status)));
                fflush(stdout);
                r = dev_ioctl(AUTOFS_DEV_IOCTL_CATATONIC, old_handle, 0, 0);
        }
        else {
                fprintf(stderr, "autofs-answer-probe: unknown answer %s\n", argv[2]);
                return 2;
        }
        if (r < 0)
                die(argv[2]);

        /* Serve the new autofs as systemd would, for one request. */
        if (fcntl(new_pipe[0], F_SETFL, O_NONBLOCK) < 0)
                die("fcntl");
        for (int i = 0; i < 100; i++) {
                union autofs_v5_packet_union packet;
                int fd;

                if (read(new_pipe[0], &packet, sizeof packet.v5_packet) != sizeof packet.v5_packet) {
                        if (waitpid(pid, NULL, WNOHANG) == pid)
                                return EXIT_SUCCESS;
                        usleep(10000);
                        continue;
                }
                if (mount("tmpfs", where, "tmpfs", 0, NULL) < 0)
                        die("mount tmpfs");
                fd = open(marker, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
                if (fd < 0 || write(fd, "repaired", 8) != 8)
                        die("marker");
                close(fd);
                if (dev_ioctl(AUTOFS_DEV_IOCTL_READY, new_handle, packet.v5_packet.wait_queue_token, 0) < 0)
                        die("ready");
        }
        if (waitpid(pid, NULL, WNOHANG) == pid)
                return EXIT_SUCCESS;
        printf("%s: still waiting\n", argv[3]);
        fflush(stdout);
        (void) kill(pid, SIGKILL);
        (void) waitpid(pid, NULL, 0);
        return EXIT_SUCCESS;
}
