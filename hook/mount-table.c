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

/* Every lookup the engine makes is by target path: with the entries sorted that way once per
 * read, a lookup costs a binary search instead of a pass over the whole table, and a run stays
 * linear in the number of mounts whatever the number of units. The index hangs off the table as
 * its userdata; mount_table_free() frees both. */
typedef struct MountIndex {
        struct libmnt_fs **by_target;   /* by target, then table order */
        size_t n;
} MountIndex;

static void mount_index_free(MountIndex *x) {
        if (!x)
                return;
        free(x->by_target);
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
        if (!x->by_target) {
                mount_index_free(x);
                return -ENOMEM;
        }
        while (i < n && mnt_table_next_fs(t, it, &fs) == 0) {
                (void) mnt_fs_set_userdata(fs, (void *) (uintptr_t) i);
                x->by_target[i++] = fs;
        }
        x->n = i;
        qsort(x->by_target, x->n, sizeof *x->by_target, cmp_target);
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

static int parse_stream(FILE *f, const char *name, struct libmnt_table **ret) {
        _cleanup_mnt_table_ struct libmnt_table *t = NULL;
        int r;

        t = mnt_new_table();
        if (!t)
                return -ENOMEM;
        r = f ? mnt_table_parse_stream(t, f, name) : 0;
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

/* Field 5 (the mount point) of a mountinfo line, which must start with two numbers (mount ID
 * and parent ID), as the kernel writes it. */
static bool split_line(const char *line, const char *end, const char **ret_point,
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
        *ret_point = f;
        *ret_point_len = (size_t) (e - f);
        return true;
}

/* The whole text of an open mountinfo file, NUL-terminated. */
static int read_all(int mountinfo_fd, char **ret, size_t *ret_size) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0, used = 0;

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
        *ret = TAKE_PTR(text);
        *ret_size = used;
        return 0;
}

/* The paths as mountinfo writes them, sorted for bsearch(); NULL-terminated. */
static int mangled_paths(char *const *paths, size_t n, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;

        l = calloc(n + 1, sizeof *l);
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                l[i] = mangle_path(paths[i]);
                if (!l[i])
                        return -ENOMEM;
        }
        qsort(l, n, sizeof *l, cmp_str);
        *ret = TAKE_PTR(l);
        return 0;
}

/* Where the line starting at line ends: its newline, or the end of the text. */
static const char *line_end(const char *line, const char *text_end) {
        const char *end = memchr(line, '\n', (size_t) (text_end - line));
        return end ?: text_end;
}

typedef bool (*LineFilter)(const char *line, const char *end, const void *userdata);

/* Parses the lines of text (used bytes) that keep accepts, and nothing else: thousands of
 * unrelated mounts then cost one pass over the kernel's text instead of libmount's parser. */
static int parse_lines(const char *text, size_t used, LineFilter keep, const void *userdata,
                       struct libmnt_table **ret) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *kept = NULL;
        size_t n_kept = 0;

        kept = malloc(used + 1);
        if (!kept)
                return -ENOMEM;
        for (const char *line = text, *end; line < text + used; line = end + 1) {
                end = line_end(line, text + used);
                if (!keep(line, end, userdata))
                        continue;
                memcpy(kept + n_kept, line, (size_t) (end - line));
                n_kept += (size_t) (end - line);
                kept[n_kept++] = '\n';
        }
        kept[n_kept] = '\0';

        /* fmemopen() refuses an empty buffer: no line kept is an empty table. */
        if (n_kept > 0) {
                f = fmemopen(kept, n_kept, "r");
                if (!f)
                        return -errno;
        }
        return parse_stream(f, "mountinfo", ret);
}

typedef struct WantedPaths {
        char **paths;           /* as mountinfo writes them, sorted */
        size_t n;
} WantedPaths;

static bool line_is_at(const char *line, const char *end, const void *userdata) {
        const WantedPaths *w = userdata;
        char key[PATH_MAX * 4 + 1];
        const char *point, *k = key;
        size_t point_len;

        if (!split_line(line, end, &point, &point_len) || point_len >= sizeof key)
                return false;
        memcpy(key, point, point_len);
        key[point_len] = '\0';
        return bsearch(&k, w->paths, w->n, sizeof *w->paths, cmp_str);
}

int mount_table_read_at(int mountinfo_fd, char *const *paths, size_t n_paths,
                        struct libmnt_table **ret) {
        _cleanup_free_ char *text = NULL;
        _cleanup_strv_free_ char **wanted = NULL;
        size_t used = 0;
        int r;

        r = read_all(mountinfo_fd, &text, &used);
        if (r < 0)
                return r;
        r = mangled_paths(paths, n_paths, &wanted);
        if (r < 0)
                return r;
        return parse_lines(text, used, line_is_at, &(WantedPaths) { wanted, n_paths }, ret);
}

static int cmp_long(const void *a, const void *b) {
        long x = *(const long *) a, y = *(const long *) b;
        return (x > y) - (x < y);
}

/* The mount ID, parent ID and filesystem type of a mountinfo line. */
static bool line_ids_and_type(const char *line, const char *end, long *ret_id, long *ret_parent,
                              bool *ret_autofs) {
        const char *sep, *type;
        char *num_end;

        *ret_id = strtol(line, &num_end, 10);
        if (num_end == line || *num_end != ' ')
                return false;
        *ret_parent = strtol(num_end + 1, &num_end, 10);
        if (*num_end != ' ')
                return false;
        /* Spaces in paths are written as \040: " - " ends the optional fields. */
        sep = memmem(line, (size_t) (end - line), " - ", 3);
        if (!sep)
                return false;
        type = sep + 3;
        *ret_autofs = (size_t) (end - type) > 7 && memcmp(type, "autofs ", 7) == 0;
        return true;
}

typedef struct AutofsParents {
        long *ids;              /* sorted */
        size_t n;
} AutofsParents;

/* The parent IDs of the autofs lines of text. */
static int autofs_parents(const char *text, size_t used, AutofsParents *ret) {
        _cleanup_free_ long *ids = NULL;
        size_t n = 0, size = 0;

        for (const char *line = text, *end; line < text + used; line = end + 1) {
                long id, parent;
                bool autofs;

                end = line_end(line, text + used);
                if (!line_ids_and_type(line, end, &id, &parent, &autofs) || !autofs)
                        continue;
                if (n == size) {
                        long *grown = realloc(ids, (size ? size * 2 : 16) * sizeof *ids);

                        if (!grown)
                                return -ENOMEM;
                        ids = grown;
                        size = size ? size * 2 : 16;
                }
                ids[n++] = parent;
        }
        if (n > 0)
                qsort(ids, n, sizeof *ids, cmp_long);
        *ret = (AutofsParents) { TAKE_PTR(ids), n };
        return 0;
}

static bool line_is_autofs_or_parent(const char *line, const char *end, const void *userdata) {
        const AutofsParents *p = userdata;
        long id, parent;
        bool autofs;

        if (!line_ids_and_type(line, end, &id, &parent, &autofs))
                return false;
        return autofs || (p->n > 0 && bsearch(&id, p->ids, p->n, sizeof *p->ids, cmp_long));
}

int mount_table_read_autofs(int mountinfo_fd, struct libmnt_table **ret) {
        _cleanup_free_ char *text = NULL;
        AutofsParents parents = {};
        size_t used = 0;
        int r;

        r = read_all(mountinfo_fd, &text, &used);
        if (r < 0)
                return r;
        r = autofs_parents(text, used, &parents);
        if (r < 0)
                return r;
        r = parse_lines(text, used, line_is_autofs_or_parent, &parents, ret);
        free(parents.ids);
        return r;
}

int mount_table_find_at(struct libmnt_table *t, const char *where, struct libmnt_fs **at,
                        size_t max, size_t *ret_n) {
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
