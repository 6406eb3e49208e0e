/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "nested-ns.h"
#include "proc-iter.h"

typedef struct FindContext {
        ino_t main_ino;
        dev_t main_dev;
        NestedNamespaces *result;
        int error;
} FindContext;

static int add_namespace(const ContainerProcess *p, void *userdata) {
        FindContext *ctx = userdata;
        NestedNamespaces *l = ctx->result;
        _cleanup_close_ int mntns_fd = -EBADF, root_fd = -EBADF, mountinfo_fd = -EBADF;
        NestedNamespace *grown;
        struct stat st;

        if (fstatat(p->proc_fd, "ns/mnt", &st, 0) < 0)
                return 0; /* gone meanwhile */
        if (st.st_ino == ctx->main_ino && st.st_dev == ctx->main_dev)
                return 0;
        for (size_t i = 0; i < l->n; i++)
                if (l->ns[i].ino == st.st_ino) {
                        l->ns[i].n_processes++;
                        return 0;
                }

        mntns_fd = openat(p->proc_fd, "ns/mnt", O_RDONLY | O_CLOEXEC);
        root_fd = openat(p->proc_fd, "root", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        /* The worker cannot reach the host's /proc: the mount table of this namespace, as its
         * process sees it, is opened here. */
        mountinfo_fd = openat(p->proc_fd, "mountinfo", O_RDONLY | O_CLOEXEC);
        if (mntns_fd < 0 || root_fd < 0 || mountinfo_fd < 0)
                return 0;

        grown = realloc(l->ns, (l->n + 1) * sizeof *l->ns);
        if (!grown) {
                ctx->error = -ENOMEM;
                return 1;
        }
        l->ns = grown;
        l->ns[l->n] = (NestedNamespace) {
                .ino = st.st_ino,
                .mntns_fd = TAKE_FD(mntns_fd),
                .root_fd = TAKE_FD(root_fd),
                .mountinfo_fd = TAKE_FD(mountinfo_fd),
                .pid = p->pid,
                .n_processes = 1,
        };
        if (proc_read_small_file(p->proc_fd, "comm", l->ns[l->n].comm, sizeof l->ns[l->n].comm) > 0)
                l->ns[l->n].comm[strcspn(l->ns[l->n].comm, "\n")] = '\0';
        l->n++;
        return 0;
}

int nested_namespaces_find(const Container *c, NestedNamespaces *ret) {
        NestedNamespaces l = NESTED_NAMESPACES_NULL;
        FindContext ctx = { .result = &l };
        struct stat st;
        int r;

        if (fstat(c->mntns_fd, &st) < 0)
                return -errno;
        ctx.main_ino = st.st_ino;
        ctx.main_dev = st.st_dev;

        r = container_foreach_process(c, add_namespace, &ctx);
        if (r >= 0 && ctx.error < 0)
                r = ctx.error;
        if (r < 0) {
                nested_namespaces_done(&l);
                return r;
        }
        *ret = l;
        return 0;
}

void nested_namespaces_done(NestedNamespaces *l) {
        for (size_t i = 0; i < l->n; i++) {
                safe_close(l->ns[i].mntns_fd);
                safe_close(l->ns[i].root_fd);
                safe_close(l->ns[i].mountinfo_fd);
        }
        free(l->ns);
        *l = NESTED_NAMESPACES_NULL;
}

int enter_mount_namespace(int mntns_fd, int root_fd) {
        if (setns(mntns_fd, CLONE_NEWNS) < 0)
                return -errno;
        if (fchdir(root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0)
                return -errno;
        return 0;
}

int nested_namespaces_fds(const NestedNamespaces *n, const int *extra, size_t n_extra, int **ret,
                          size_t *ret_n) {
        int *fds = calloc(3 * n->n + n_extra + 1, sizeof(int));

        if (!fds)
                return -ENOMEM;
        for (size_t i = 0; i < n->n; i++) {
                fds[3 * i] = n->ns[i].mntns_fd;
                fds[3 * i + 1] = n->ns[i].root_fd;
                fds[3 * i + 2] = n->ns[i].mountinfo_fd;
        }
        for (size_t i = 0; i < n_extra; i++)
                fds[3 * n->n + i] = extra[i];
        *ret = fds;
        *ret_n = 3 * n->n + n_extra;
        return 0;
}
