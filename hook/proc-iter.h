/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "container.h"

/* One process of a container, seen from the host. */
typedef struct ContainerProcess {
        pid_t pid;              /* in the host's PID namespace */
        int pidfd;              /* pins it: pid and proc_fd name this process, no later one */
        int proc_fd;            /* its /proc/PID directory in the host's procfs */
} ContainerProcess;

/* Calls fn for every process in the container's PID namespace. fn returns 0 to go on, > 0 to
 * stop, < 0 to stop with that error. Processes that vanish meanwhile are skipped. Returns what
 * stopped the walk (0 when it went through). */
typedef int (*ContainerProcessFunction)(const ContainerProcess *p, void *userdata);
int container_foreach_process(const Container *c, ContainerProcessFunction fn, void *userdata);
