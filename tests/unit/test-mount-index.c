/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The index that mount_table_read() and mount_table_parse_string() build must not change a single
 * answer: every path of a table is looked up in an indexed table and in the same table parsed
 * by libmount alone (which mount_table_autofs_stack() walks from start to end), and both answers
 * must be the same. Then a large table: lookups stay correct at 10,000 mounts.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "fd-util.h"
#include "mount-table.h"
#include "tap.h"

/* Stacks in every order the kernel may list them: children before parents too. */
static const char table[] =
        "109 65 0:65 / / rw,relatime - overlay overlay rw\n"
        "104 90 0:86 / /srv/a1 rw,relatime - tmpfs tmpfs rw,size=4096k,mode=755\n"
        "90 109 0:78 / /srv/a1 rw,relatime - autofs systemd-1 rw,fd=34,pgrp=1,timeout=0,minproto=5,maxproto=5,direct,pipe_ino=21250\n"
        "105 104 0:91 / /srv/a1/sub rw,relatime - tmpfs tmpfs rw\n"
        "66 110 0:77 / /proc/sys/fs/binfmt_misc rw,relatime - autofs systemd-1 rw,fd=27,pgrp=1,direct,pipe_ino=21227\n"
        "91 109 0:79 / /srv/with\\040space rw,relatime - autofs systemd-1 rw,fd=35,pgrp=1,direct,pipe_ino=21253\n"
        "92 109 0:80 / /srv/ind rw,relatime - autofs systemd-1 rw,fd=36,pgrp=1,indirect,pipe_ino=1\n"
        "95 94 0:83 /sub /srv/two rw,relatime - tmpfs tmpfs rw\n"
        "93 109 0:81 / /srv/two rw,relatime - autofs systemd-1 rw,fd=37,pgrp=1,direct,pipe_ino=2\n"
        "94 93 0:82 / /srv/two rw,relatime - tmpfs tmpfs rw\n"
        "96 109 0:84 / /srv/plain rw,relatime - tmpfs tmpfs rw\n"
        "97 109 0:85 / /srv/fork rw,relatime - autofs systemd-1 rw,direct,pipe_ino=3\n"
        "98 97 0:86 / /srv/fork rw,relatime - tmpfs tmpfs rw\n"
        "99 97 0:87 / /srv/fork rw,relatime - tmpfs tmpfs rw\n"
        "120 109 0:88 / /srv/b rw,relatime - autofs systemd-1 rw,direct,pipe_ino=4\n"
        "121 120 0:89 / /srv/b rw,relatime - tmpfs tmpfs rw\n"
        "122 109 0:90 / /srv/b/c rw,relatime - autofs systemd-1 rw,direct,pipe_ino=5\n"
        "110 109 0:30 / /run rw - tmpfs tmpfs rw\n";

static const char *paths[] = {
        "/", "/srv/a1", "/srv/a1/sub", "/proc/sys/fs/binfmt_misc", "/srv/with space", "/srv/ind",
        "/srv/two", "/srv/plain", "/srv/fork", "/srv/b", "/srv/b/c", "/run", "/srv", "/srv/a",
        "/srv/a10", "/zzz", "/a",
};

/* The same text parsed by libmount alone: no index, so every lookup walks the table. */
static struct libmnt_table *plain_table(const char *text) {
        _cleanup_fclose_ FILE *f = fmemopen((void *) text, strlen(text), "r");
        struct libmnt_table *t = mnt_new_table();

        if (!f || !t || mnt_table_parse_stream(t, f, "mountinfo") < 0) {
                mnt_unref_table(t);
                return NULL;
        }
        return t;
}

static bool stack_equal(const AutofsStack *a, const AutofsStack *b) {
        return a->has_autofs == b->has_autofs && a->autofs_id == b->autofs_id &&
               a->autofs_dev == b->autofs_dev && a->pipe_ino == b->pipe_ino && a->mode == b->mode &&
               a->n_on_top == b->n_on_top && fs_identity_equal(&a->top, &b->top) &&
               strcmp(a->top_fstype, b->top_fstype) == 0 &&
               fs_identity_equal(&a->visible, &b->visible);
}

static void compare_all(struct libmnt_table *indexed, struct libmnt_table *plain, const char *what) {
        for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
                AutofsStack a = {}, b = {};
                int ra = mount_table_autofs_stack(indexed, paths[i], &a);
                int rb = mount_table_autofs_stack(plain, paths[i], &b);

                check(ra == rb && (ra < 0 || stack_equal(&a, &b)), "%s: %s: same answer (%d)", what,
                      paths[i], ra);
        }
}

static char *big_table(unsigned n) {
        size_t size = (size_t) n * 128 + sizeof table;
        char *s = malloc(size);
        size_t o;

        if (!s)
                return NULL;
        o = (size_t) snprintf(s, size, "%s", table);
        for (unsigned i = 0; i < n; i++)
                o += (size_t) snprintf(s + o, size - o,
                                       "%u 110 0:%u / /run/m%u rw - tmpfs tmpfs rw\n", 1000 + i,
                                       200 + i, i);
        return s;
}

int main(void) {
        struct libmnt_table *indexed = NULL, *plain;
        _cleanup_free_ char *big = NULL;
        AutofsStack s;

        check(mount_table_parse_string(table, &indexed) == 0, "indexed table parses");
        plain = plain_table(table);
        check(plain != NULL, "plain table parses");
        if (indexed && plain)
                compare_all(indexed, plain, "small table");
        check(mount_table_autofs_stack(indexed, "/srv/a1", &s) == 0 && s.n_on_top == 1 &&
              s.pipe_ino == 21250, "/srv/a1: child listed before its parent");
        check(mount_table_autofs_stack(indexed, "/srv/b", &s) == 0 && s.n_on_top == 1,
              "/srv/b: one mount on the autofs");
        mount_table_free(indexed);
        mnt_unref_table(plain);

        big = big_table(10000);
        indexed = NULL;
        check(big && mount_table_parse_string(big, &indexed) == 0, "10,000 mounts parse");
        plain = big ? plain_table(big) : NULL;
        if (indexed && plain)
                compare_all(indexed, plain, "10,000 mounts");
        check(mount_table_autofs_stack(indexed, "/run/m9999", &s) == 0 && !s.has_autofs &&
              s.visible.dev == makedev(0, 10199), "the last of 10,000 found");
        mount_table_free(indexed);
        mnt_unref_table(plain);
        return tap_done();
}
