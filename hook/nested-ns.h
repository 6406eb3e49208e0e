/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "container.h"

/* A mount namespace of the container other than its init's: a service with PrivateTmp=,
 * ProtectSystem= and the like, or a process started with unshare -m. Found from the host (the
 * container's processes grouped by mount namespace) before the worker starts; the worker, which
 * inherits the fds, enters each one to look at its copies of the autofs the repair touches. */
typedef struct NestedNamespace {
        ino_t ino;
        int mntns_fd;
        int root_fd;            /* the root of the process below: what paths mean in there */
        int mountinfo_fd;       /* that process's mountinfo: a leaf, re-read from the start */
        pid_t pid;              /* one process in it (host PID), to name it in the log */
        char comm[17];
        unsigned n_processes;
} NestedNamespace;

typedef struct NestedNamespaces {
        NestedNamespace *ns;
        size_t n;
} NestedNamespaces;

#define NESTED_NAMESPACES_NULL (NestedNamespaces) {}

int nested_namespaces_find(const Container *c, NestedNamespaces *ret);
void nested_namespaces_done(NestedNamespaces *n);

/* Their namespace, root and mountinfo fds, followed by the n_extra fds of extra, for the worker to keep
 * (worker_run()'s extra_fds). */
int nested_namespaces_fds(const NestedNamespaces *n, const int *extra, size_t n_extra, int **ret,
                          size_t *ret_n);

/* setns() into a mount namespace, then make root the root, as join_container() does for the
 * main one. For a worker that moves between the container's mount namespaces. */
int enter_mount_namespace(int mntns_fd, int root_fd);
