/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fd-util.h"
#include "mount-table.h"
#include "path-util.h"

/* A table larger than this is not a container's mount table but an attempt to exhaust us. */
#define MAX_MOUNTS_AT_ONE_PATH 64

DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_iter *, mnt_free_iter);

/* Every lookup the engine makes is by target path or by parent mount: with the entries sorted
 * both ways once per read, a lookup costs a binary search instead of a pass over the whole
 * table, and a run stays linear in the number of mounts whatever the number of units. The index
 * hangs off the table as its userdata; mount_table_free() frees both. */
typedef struct MountIndex {
        struct libmnt_fs **by_target;   /* by target, then table order */
        struct libmnt_fs **by_parent;   /* by parent ID, then table order */
        size_t n;
} MountIndex;

static void mount_index_free(MountIndex *x) {
        if (!x)
                return;
        free(x->by_target);
        free(x->by_parent);
        free(x);
}

/* qsort() is not stable: ties are broken by the position in the table, kept in each entry's
 * userdata while the index is built. */
static size_t fs_position(struct libmnt_fs *fs) {
        return (size_t) (uintptr_t) mnt_fs_get_userdata(fs);
}

static int cmp_target(const void *a, const void *b) {
        struct libmnt_fs *x = *(struct libmnt_fs * const *) a, *y = *(struct libmnt_fs * const *) b;
        int c = strcmp(mnt_fs_get_target(x) ?: "", mnt_fs_get_target(y) ?: "");

        if (c != 0)
                return c;
        return fs_position(x) < fs_position(y) ? -1 : fs_position(x) > fs_position(y);
}

static int cmp_parent(const void *a, const void *b) {
        struct libmnt_fs *x = *(struct libmnt_fs * const *) a, *y = *(struct libmnt_fs * const *) b;
        int px = mnt_fs_get_parent_id(x), py = mnt_fs_get_parent_id(y);

        if (px != py)
                return px < py ? -1 : 1;
        return fs_position(x) < fs_position(y) ? -1 : fs_position(x) > fs_position(y);
}

static int mount_index_build(struct libmnt_table *t) {
        _cleanup_(mnt_free_iterp) struct libmnt_iter *it = NULL;
        MountIndex *x;
        struct libmnt_fs *fs;
        size_t n = (size_t) mnt_table_get_nents(t), i = 0;

        it = mnt_new_iter(MNT_ITER_FORWARD);
        x = calloc(1, sizeof *x);
        if (!it || !x) {
                free(x);
                return -ENOMEM;
        }
        x->by_target = calloc(n ?: 1, sizeof *x->by_target);
        x->by_parent = calloc(n ?: 1, sizeof *x->by_parent);
        if (!x->by_target || !x->by_parent) {
                mount_index_free(x);
                return -ENOMEM;
        }
        while (i < n && mnt_table_next_fs(t, it, &fs) == 0) {
                (void) mnt_fs_set_userdata(fs, (void *) (uintptr_t) i);
                x->by_target[i] = x->by_parent[i] = fs;
                i++;
        }
        x->n = i;
        qsort(x->by_target, x->n, sizeof *x->by_target, cmp_target);
        qsort(x->by_parent, x->n, sizeof *x->by_parent, cmp_parent);
        (void) mnt_table_set_userdata(t, x);
        return 0;
}

void mount_table_free(struct libmnt_table *t) {
        if (!t)
                return;
        mount_index_free(mnt_table_get_userdata(t));
        mnt_free_table(t);
}

/* The first entry of a sorted array not below key, by cmp. */
static size_t lower_bound(struct libmnt_fs **a, size_t n, const void *key,
                          int (*cmp)(struct libmnt_fs *fs, const void *key)) {
        size_t lo = 0, hi = n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (cmp(a[mid], key) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

static int cmp_fs_target_key(struct libmnt_fs *fs, const void *key) {
        return strcmp(mnt_fs_get_target(fs) ?: "", key);
}

static int cmp_fs_parent_key(struct libmnt_fs *fs, const void *key) {
        int p = mnt_fs_get_parent_id(fs), k = *(const int *) key;

        return p < k ? -1 : p > k;
}

const char *autofs_mode_to_string(AutofsMode m) {
        switch (m) {
        case AUTOFS_MODE_DIRECT:
                return "direct";
        case AUTOFS_MODE_INDIRECT:
                return "indirect";
        case AUTOFS_MODE_OFFSET:
                return "offset";
        case AUTOFS_MODE_UNKNOWN:
        default:
                return "unknown";
        }
}

bool fs_identity_equal(const FsIdentity *a, const FsIdentity *b) {
        return a->dev == b->dev && strcmp(a->root, b->root) == 0;
}

static int parse_stream(FILE *f, const char *name, struct libmnt_table **ret) {
        _cleanup_mnt_table_ struct libmnt_table *t = NULL;
        int r;

        t = mnt_new_table();
        if (!t)
                return -ENOMEM;
        r = mnt_table_parse_stream(t, f, name);
        if (r < 0)
                return r;
        r = mount_index_build(t);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(t);
        return 0;
}

int mount_table_read(int mountinfo_fd, struct libmnt_table **ret) {
        _cleanup_fclose_ FILE *f = NULL;
        int fd;

        /* A seq_file: reading it again from the start describes the namespace as it is now. */
        if (lseek(mountinfo_fd, 0, SEEK_SET) < 0)
                return -errno;
        fd = fcntl(mountinfo_fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        f = fdopen(fd, "re");
        if (!f) {
                safe_close(fd);
                return -errno;
        }
        return parse_stream(f, "mountinfo", ret);
}

int mount_table_parse_string(const char *text, struct libmnt_table **ret) {
        _cleanup_fclose_ FILE *f = NULL;

        f = fmemopen((void *) text, strlen(text), "r");
        if (!f)
                return -errno;
        return parse_stream(f, "mountinfo", ret);
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

/* Collects the mounts whose target is where into at[], in table order. */
static int mounts_at(struct libmnt_table *t, const char *where, struct libmnt_fs **at, size_t max,
                     size_t *ret_n) {
        const MountIndex *x = mnt_table_get_userdata(t);
        size_t n = 0;

        if (x) {
                for (size_t i = lower_bound(x->by_target, x->n, where, cmp_fs_target_key);
                     i < x->n && streq_ptr(mnt_fs_get_target(x->by_target[i]), where); i++) {
                        if (n >= max)
                                return -E2BIG;
                        at[n++] = x->by_target[i];
                }
        } else {
                _cleanup_(mnt_free_iterp) struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
                struct libmnt_fs *fs;

                if (!it)
                        return -ENOMEM;
                while (mnt_table_next_fs(t, it, &fs) == 0) {
                        if (!streq_ptr(mnt_fs_get_target(fs), where))
                                continue;
                        if (n >= max)
                                return -E2BIG;
                        at[n++] = fs;
                }
        }
        *ret_n = n;
        return 0;
}

/* Whether any mount has the mount with this ID as its parent. */
static int has_children(struct libmnt_table *t, int id) {
        const MountIndex *x = mnt_table_get_userdata(t);
        _cleanup_(mnt_free_iterp) struct libmnt_iter *it = NULL;
        struct libmnt_fs *fs;

        if (x) {
                size_t i = lower_bound(x->by_parent, x->n, &id, cmp_fs_parent_key);

                return i < x->n && mnt_fs_get_parent_id(x->by_parent[i]) == id;
        }
        it = mnt_new_iter(MNT_ITER_FORWARD);
        if (!it)
                return -ENOMEM;
        while (mnt_table_next_fs(t, it, &fs) == 0)
                if (mnt_fs_get_parent_id(fs) == id)
                        return true;
        return false;
}

int mount_table_autofs_stack(struct libmnt_table *t, const char *where, AutofsStack *ret) {
        struct libmnt_fs *at[MAX_MOUNTS_AT_ONE_PATH], *chain[MAX_MOUNTS_AT_ONE_PATH];
        AutofsStack s = {};
        size_t n = 0, len = 0;
        int autofs_pos = -1, r;

        r = mounts_at(t, where, at, ELEMENTSOF(at), &n);
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

        s.n_mounts = (unsigned) len;
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
                r = has_children(t, mnt_fs_get_id(top));
                if (r < 0)
                        return r;
                s.top_has_submounts = r > 0;
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
