/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <sys/types.h>

#include "container.h"
#include "time-util.h"

/* A hook that runs while CRIU restores a container sees the future init as a CRIU process
 * (criu, or the dynamic loader running it) under ptrace. The restore is complete and the tasks
 * run once that process is no longer traced and runs another executable than the one seen by
 * the hook. The hook takes that first look (restore_watch_start), its watcher, a detached process,
 * waits (restore_watch_wait). */
typedef struct RestoreWatch {
        pid_t pid;
        int pidfd;              /* the container's pin, borrowed: keep it open across
                                 * detach_process() */
        bool have_exe;
        dev_t exe_dev;
        ino_t exe_ino;
        /* The process already ran its restored program when first seen: a runtime that runs its
         * restore hooks once CRIU has restored the tasks (status "created"). Then the end of
         * the tracing alone says the restore is complete. */
        bool exe_final;
} RestoreWatch;

#define RESTORE_WATCH_NULL (RestoreWatch) { .pidfd = -EBADF }

/* The first look at a pinned container's init. */
int restore_watch_start(const Container *c, RestoreWatch *ret);

/* True while pid is traced: what a process being restored by CRIU looks like. */
int restore_watch_is_traced(const RestoreWatch *w);

/* 0 once restored and running, -ESRCH if the process died, -ETIMEDOUT at the deadline. */
int restore_watch_wait(const RestoreWatch *w, usec_t deadline);
