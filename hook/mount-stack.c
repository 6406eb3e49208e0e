/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mount-table.h"
#include "path-util.h"

/* A table larger than this is not a container's mount table but an attempt to exhaust us. */
#define MAX_MOUNTS_AT_ONE_PATH 64

bool fs_identity_equal(const FsIdentity *a, const FsIdentity *b) {
        return a->dev == b->dev && strcmp(a->root, b->root) == 0;
}

static AutofsMode parse_mode(const char *options) {
        char *v;
        size_t n;

        if (!options)
                return AUTOFS_MODE_UNKNOWN;
        if (mnt_optstr_get_option(options, "direct", &v, &n) == 0)
                return AUTOFS_MODE_DIRECT;
        if (mnt_optstr_get_option(options, "offset", &v, &n) == 0)
                return AUTOFS_MODE_OFFSET;
        if (mnt_optstr_get_option(options, "indirect", &v, &n) == 0)
                return AUTOFS_MODE_INDIRECT;
        return AUTOFS_MODE_UNKNOWN;
}

static uint64_t parse_pipe_ino(const char *options) {
        char buf[32], *v, *end;
        size_t n;
        unsigned long long ino;

        if (!options || mnt_optstr_get_option(options, "pipe_ino", &v, &n) != 0)
                return 0;
        if (n == 0 || n >= sizeof buf)
                return 0;
        memcpy(buf, v, n);
        buf[n] = '\0';
        errno = 0;
        ino = strtoull(buf, &end, 10);
        return errno == 0 && *end == '\0' ? ino : 0;
}

void autofs_options_parse(const char *options, AutofsMode *ret_mode, uint64_t *ret_pipe_ino) {
        *ret_mode = parse_mode(options);
        *ret_pipe_ino = parse_pipe_ino(options);
}

static void identity_of(struct libmnt_fs *fs, FsIdentity *ret) {
        ret->dev = mnt_fs_get_devno(fs);
        snprintf(ret->root, sizeof ret->root, "%s", mnt_fs_get_root(fs) ?: "/");
}

int mount_table_autofs_stack(struct libmnt_table *t, const char *where, AutofsStack *ret) {
        struct libmnt_fs *at[MAX_MOUNTS_AT_ONE_PATH], *chain[MAX_MOUNTS_AT_ONE_PATH];
        AutofsStack s = {};
        size_t n = 0, len = 0;
        int autofs_pos = -1, r;

        r = mount_table_find_at(t, where, at, ELEMENTSOF(at), &n);
        if (r < 0)
                return r;
        if (n == 0)
                return -ENOENT;

        /* The bottom of the stack is the one mount whose parent is not at this path. */
        for (size_t i = 0; i < n; i++) {
                bool parent_here = false;

                for (size_t j = 0; j < n; j++)
                        if (mnt_fs_get_parent_id(at[i]) == mnt_fs_get_id(at[j]) && i != j)
                                parent_here = true;
                if (!parent_here) {
                        if (len > 0)
                                return -ENOTUNIQ;
                        chain[len++] = at[i];
                }
        }
        if (len == 0)
                return -ENOTUNIQ;

        /* Follow children upwards; a fork in the chain means a shape we do not touch. */
        while (len < n) {
                struct libmnt_fs *next = NULL;

                for (size_t j = 0; j < n; j++)
                        if (mnt_fs_get_parent_id(at[j]) == mnt_fs_get_id(chain[len - 1])) {
                                if (next)
                                        return -ENOTUNIQ;
                                next = at[j];
                        }
                if (!next)
                        return -ENOTUNIQ;
                chain[len++] = next;
        }

        for (size_t i = 0; i < len; i++)
                if (streq_ptr(mnt_fs_get_fstype(chain[i]), "autofs"))
                        autofs_pos = (int) i;

        identity_of(chain[len - 1], &s.visible);

        if (autofs_pos >= 0) {
                struct libmnt_fs *a = chain[autofs_pos];
                const char *options = mnt_fs_get_fs_options(a);

                s.has_autofs = true;
                s.autofs_id = mnt_fs_get_id(a);
                s.autofs_dev = mnt_fs_get_devno(a);
                s.pipe_ino = parse_pipe_ino(options);
                s.mode = parse_mode(options);
                s.n_on_top = (unsigned) (len - 1 - (size_t) autofs_pos);
        }

        if (s.n_on_top > 0) {
                struct libmnt_fs *top = chain[len - 1];

                identity_of(top, &s.top);
                snprintf(s.top_fstype, sizeof s.top_fstype, "%s", mnt_fs_get_fstype(top) ?: "?");
        }

        *ret = s;
        return 0;
}

int mount_table_children_of(struct libmnt_table *t, const char *dir, char ***ret) {
        _cleanup_(mnt_free_iterp) struct libmnt_iter *it = NULL;
        _cleanup_strv_free_ char **l = NULL;
        struct libmnt_fs *fs;
        size_t n = 0;

        it = mnt_new_iter(MNT_ITER_FORWARD);
        if (!it)
                return -ENOMEM;

        while (mnt_table_next_fs(t, it, &fs) == 0) {
                const char *target = mnt_fs_get_target(fs), *rest;
                char **nl;

                if (!target)
                        continue;
                rest = path_startswith(target, dir);
                if (!rest || *rest == '\0' || strchr(rest, '/'))
                        continue;
                /* The same name twice (stacked mounts) is listed once. */
                bool seen = false;
                for (size_t i = 0; i < n; i++)
                        if (strcmp(l[i], rest) == 0)
                                seen = true;
                if (seen)
                        continue;

                nl = realloc(l, (n + 2) * sizeof(char *));
                if (!nl)
                        return -ENOMEM;
                l = nl;
                l[n] = strdup(rest);
                if (!l[n])
                        return -ENOMEM;
                l[++n] = NULL;
        }

        if (!l) {
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}
