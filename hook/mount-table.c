/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
        size_t n;
        int *parent_ids;                /* the parent ID of every mount of the namespace, sorted */
        size_t n_parent_ids;
} MountIndex;

static void mount_index_free(MountIndex *x) {
        if (!x)
                return;
        free(x->by_target);
        free(x->parent_ids);
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

static int cmp_int(const void *a, const void *b) {
        int x = *(const int *) a, y = *(const int *) b;

        return x < y ? -1 : x > y;
}

/* Indexes t. parent_ids (taken over, sorted here) lists the parents of every mount of the
 * namespace when t holds only some of them; NULL takes them from t. */
static int mount_index_build(struct libmnt_table *t, int *parent_ids, size_t n_parent_ids) {
        _cleanup_(mnt_free_iterp) struct libmnt_iter *it = NULL;
        _cleanup_free_ int *ids = parent_ids;
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
        if (!ids) {
                ids = calloc(n ?: 1, sizeof *ids);
                n_parent_ids = 0;
        }
        if (!x->by_target || !ids) {
                mount_index_free(x);
                return -ENOMEM;
        }
        while (i < n && mnt_table_next_fs(t, it, &fs) == 0) {
                (void) mnt_fs_set_userdata(fs, (void *) (uintptr_t) i);
                x->by_target[i++] = fs;
                if (!parent_ids)
                        ids[n_parent_ids++] = mnt_fs_get_parent_id(fs);
        }
        x->n = i;
        qsort(x->by_target, x->n, sizeof *x->by_target, cmp_target);
        qsort(ids, n_parent_ids, sizeof *ids, cmp_int);
        x->parent_ids = TAKE_PTR(ids);
        x->n_parent_ids = n_parent_ids;
        (void) mnt_table_set_userdata(t, x);
        return 0;
}

void mount_table_free(struct libmnt_table *t) {
        if (!t)
                return;
        mount_index_free(mnt_table_get_userdata(t));
        mnt_free_table(t);
}

/* The first entry of a sorted array not below key. */
static size_t lower_bound_target(struct libmnt_fs **a, size_t n, const char *key) {
        size_t lo = 0, hi = n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (strcmp(mnt_fs_get_target(a[mid]) ?: "", key) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
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

static int parse_stream(FILE *f, const char *name, int *parent_ids, size_t n_parent_ids,
                        struct libmnt_table **ret) {
        _cleanup_free_ int *ids = parent_ids;
        _cleanup_mnt_table_ struct libmnt_table *t = NULL;
        int r;

        t = mnt_new_table();
        if (!t)
                return -ENOMEM;
        r = f ? mnt_table_parse_stream(t, f, name) : 0;
        if (r < 0)
                return r;
        r = mount_index_build(t, TAKE_PTR(ids), n_parent_ids);
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
        return parse_stream(f, "mountinfo", NULL, 0, ret);
}

int mount_table_parse_string(const char *text, struct libmnt_table **ret) {
        _cleanup_fclose_ FILE *f = NULL;

        f = fmemopen((void *) text, strlen(text), "r");
        if (!f)
                return -errno;
        return parse_stream(f, "mountinfo", NULL, 0, ret);
}

/* A path as the kernel writes it into mountinfo: space, tab, newline and backslash as octal
 * escapes (seq_path() with " \t\n\\"). */
static char *mangle_path(const char *path) {
        char *m = malloc(strlen(path) * 4 + 1), *o = m;

        if (!m)
                return NULL;
        for (const char *c = path; *c; c++)
                if (strchr(" \t\n\\", *c))
                        o += sprintf(o, "\\%03o", (unsigned char) *c);
                else
                        *o++ = *c;
        *o = '\0';
        return m;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

/* Field 5 (the mount point) of a mountinfo line, and fields 1 and 2 (ID and parent ID). */
static bool split_line(const char *line, const char *end, int *ret_parent, const char **ret_point,
                       size_t *ret_point_len) {
        const char *f = line, *e;
        char *num_end;
        long parent;

        /* "ID PARENT MAJ:MIN ROOT POINT ..." */
        (void) strtol(f, &num_end, 10);
        if (num_end == f || *num_end != ' ')
                return false;
        f = num_end + 1;
        parent = strtol(f, &num_end, 10);
        if (num_end == f || *num_end != ' ' || parent < 0 || parent > INT_MAX)
                return false;
        f = num_end + 1;
        for (int skip = 0; skip < 2; skip++) {
                f = memchr(f, ' ', (size_t) (end - f));
                if (!f)
                        return false;
                f++;
        }
        e = memchr(f, ' ', (size_t) (end - f));
        if (!e)
                return false;
        *ret_parent = (int) parent;
        *ret_point = f;
        *ret_point_len = (size_t) (e - f);
        return true;
}

int mount_table_read_at(int mountinfo_fd, char *const *paths, size_t n_paths,
                        struct libmnt_table **ret) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *text = NULL, *kept = NULL;
        _cleanup_free_ int *parent_ids = NULL;
        char **wanted = NULL;
        size_t size = 0, used = 0, n_kept = 0, n_lines = 0, n_wanted = 0;
        int r = 0;

        /* A seq_file: reading it again from the start describes the namespace as it is now. */
        for (;;) {
                ssize_t k;

                if (size - used < 65536) {
                        char *nt = realloc(text, size + 262144);

                        if (!nt)
                                return -ENOMEM;
                        text = nt;
                        size += 262144;
                }
                k = pread(mountinfo_fd, text + used, size - used - 1, (off_t) used);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                used += (size_t) k;
        }
        text[used] = '\0';

        wanted = calloc(n_paths ?: 1, sizeof *wanted);
        kept = malloc(used + 1);
        for (const char *c = text; c < text + used; c++)
                if (*c == '\n')
                        n_lines++;
        parent_ids = calloc(n_lines + 1, sizeof *parent_ids);
        if (!wanted || !kept || !parent_ids) {
                r = -ENOMEM;
                goto finish;
        }
        for (; n_wanted < n_paths; n_wanted++) {
                wanted[n_wanted] = mangle_path(paths[n_wanted]);
                if (!wanted[n_wanted]) {
                        r = -ENOMEM;
                        goto finish;
                }
        }
        qsort(wanted, n_wanted, sizeof *wanted, cmp_str);

        /* Only the lines at the paths asked for go to the parser; the parent of every mount is
         * kept, for has_children(). */
        n_lines = 0;
        for (const char *line = text, *end; line < text + used; line = end + 1) {
                const char *point;
                size_t point_len;
                int parent;
                char key[PATH_MAX * 4 + 1];
                const char *k = key;

                end = memchr(line, '\n', (size_t) (text + used - line));
                if (!end)
                        end = text + used;
                if (!split_line(line, end, &parent, &point, &point_len))
                        continue;
                parent_ids[n_lines++] = parent;
                if (point_len >= sizeof key)
                        continue;
                memcpy(key, point, point_len);
                key[point_len] = '\0';
                if (!bsearch(&k, wanted, n_wanted, sizeof *wanted, cmp_str))
                        continue;
                memcpy(kept + n_kept, line, (size_t) (end - line));
                n_kept += (size_t) (end - line);
                kept[n_kept++] = '\n';
        }
        kept[n_kept] = '\0';

        /* fmemopen() refuses an empty buffer: nothing at those paths is an empty table. */
        if (n_kept > 0) {
                f = fmemopen(kept, n_kept, "r");
                if (!f) {
                        r = -errno;
                        goto finish;
                }
        }
        r = parse_stream(f, "mountinfo", TAKE_PTR(parent_ids), n_lines, ret);

finish:
        for (size_t i = 0; i < n_wanted; i++)
                free(wanted[i]);
        free(wanted);
        return r;
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
                for (size_t i = lower_bound_target(x->by_target, x->n, where);
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

        if (x)
                return bsearch(&id, x->parent_ids, x->n_parent_ids, sizeof id, cmp_int) != NULL;
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
