/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "mount-table.h"
#include "tap.h"

/* Shaped like a systemd container's table after a restore: two automounts, one with a tmpfs. */
static const char table[] =
        "109 65 0:65 / / rw,relatime - overlay overlay rw\n"
        "66 110 0:77 / /proc/sys/fs/binfmt_misc rw,relatime - autofs systemd-1 rw,fd=27,pgrp=1,timeout=0,minproto=5,maxproto=5,direct,pipe_ino=21227\n"
        "90 109 0:78 / /srv/a1 rw,relatime - autofs systemd-1 rw,fd=34,pgrp=1,timeout=0,minproto=5,maxproto=5,direct,pipe_ino=21250\n"
        "104 90 0:86 / /srv/a1 rw,relatime - tmpfs tmpfs rw,size=4096k,mode=755\n"
        "105 104 0:91 / /srv/a1/sub rw,relatime - tmpfs tmpfs rw\n"
        "91 109 0:79 / /srv/with\\040space rw,relatime - autofs systemd-1 rw,fd=35,pgrp=1,direct,pipe_ino=21253\n"
        "92 109 0:80 / /srv/ind rw,relatime - autofs systemd-1 rw,fd=36,pgrp=1,indirect,pipe_ino=1\n"
        "93 109 0:81 / /srv/two rw,relatime - autofs systemd-1 rw,fd=37,pgrp=1,direct,pipe_ino=2\n"
        "94 93 0:82 / /srv/two rw,relatime - tmpfs tmpfs rw\n"
        "95 94 0:83 /sub /srv/two rw,relatime - tmpfs tmpfs rw\n"
        "96 109 0:84 / /srv/plain rw,relatime - tmpfs tmpfs rw\n"
        "97 109 0:85 / /srv/fork rw,relatime - autofs systemd-1 rw,direct,pipe_ino=3\n"
        "98 97 0:86 / /srv/fork rw,relatime - tmpfs tmpfs rw\n"
        "99 97 0:87 / /srv/fork rw,relatime - tmpfs tmpfs rw\n"
        "110 109 0:30 / /run rw - tmpfs tmpfs rw\n"
        "111 110 0:86 / /run/autofs-restore-hook/srv-a1.automount rw - tmpfs tmpfs rw\n"
        "112 110 0:86 / /run/autofs-restore-hook/x/deeper rw - tmpfs tmpfs rw\n";

static void test_identity(void) {
        FsIdentity a = { makedev(0, 86), "/" }, b = a;

        check(fs_identity_equal(&a, &b), "same device and root: equal");
        snprintf(b.root, sizeof b.root, "/sub");
        check(!fs_identity_equal(&a, &b), "a bind mount of a subdirectory is not the original");
        b = a;
        b.dev = makedev(0, 87);
        check(!fs_identity_equal(&a, &b), "another device is not the original");
        b.dev = makedev(1, 86);
        check(!fs_identity_equal(&a, &b), "another major is not the original");
}

/* An autofs with n - 1 tmpfs stacked on it at /srv/deep, each the parent of the next. */
static char *deep_stack(unsigned n) {
        size_t size = 128 + (size_t) n * 96, o = 0;
        char *text = malloc(size);

        o += (size_t) snprintf(text + o, size - o, "1 0 0:1 / / rw - overlay overlay rw\n");
        o += (size_t) snprintf(text + o, size - o,
                               "100 1 0:2 / /srv/deep rw - autofs systemd-1 rw,direct,pipe_ino=9\n");
        for (unsigned i = 1; i < n; i++)
                o += (size_t) snprintf(text + o, size - o, "%u %u 0:%u / /srv/deep rw - tmpfs tmpfs rw\n",
                                       100 + i, 99 + i, 2 + i);
        return text;
}

static void test_limits(void) {
        struct libmnt_table *t = NULL;
        AutofsStack s;
        char *text;

        text = deep_stack(64);
        check(mount_table_parse_string(text, &t) == 0, "64 mounts at one path parse");
        check_int(mount_table_autofs_stack(t, "/srv/deep", &s), 0, "64 mounts at one path: the most accepted");
        check_int(s.n_on_top, 63, "63 on top of the autofs");
        check(s.top.dev == makedev(0, 65), "the topmost is the last one");
        mount_table_free(t);
        free(text);

        text = deep_stack(65);
        check(mount_table_parse_string(text, &t) == 0, "65 mounts at one path parse");
        check_int(mount_table_autofs_stack(t, "/srv/deep", &s), -E2BIG, "65 mounts at one path: refused");
        mount_table_free(t);
        free(text);

        text = deep_stack(1000);
        check(mount_table_parse_string(text, &t) == 0, "1000 mounts at one path parse");
        check_int(mount_table_autofs_stack(t, "/srv/deep", &s), -E2BIG, "1000 mounts at one path: refused");
        mount_table_free(t);
        free(text);
}

static void test_autofs_order(void) {
        /* systemd mounted a new autofs on top of the tmpfs that sat on an old one: the newest
         * (topmost) autofs is the live one. */
        static const char text[] =
                "1 0 0:1 / / rw - overlay overlay rw\n"
                "90 1 0:78 / /srv/x rw - autofs systemd-1 rw,indirect,pipe_ino=1\n"
                "91 90 0:79 / /srv/x rw - tmpfs tmpfs rw\n"
                "92 91 0:80 / /srv/x rw - autofs systemd-1 rw,direct,pipe_ino=2\n"
                "93 92 0:81 / /srv/x rw - tmpfs tmpfs rw\n"
                "94 1 0:82 / /srv/y rw - autofs systemd-1 rw,direct,pipe_ino=3\n"
                "95 94 0:83 / /srv/y rw - tmpfs tmpfs rw\n"
                "96 95 0:84 / /srv/y rw - tmpfs tmpfs rw\n"
                "97 96 0:85 / /srv/y rw - tmpfs tmpfs rw\n";
        struct libmnt_table *t = NULL;
        AutofsStack s;

        check(mount_table_parse_string(text, &t) == 0, "table parses");
        check_int(mount_table_autofs_stack(t, "/srv/x", &s), 0, "two autofs in one stack");
        check_int(s.autofs_id, 92, "the topmost autofs");
        check(s.autofs_dev == makedev(0, 80), "its device");
        check_int(s.pipe_ino, 2, "its pipe");
        check(s.mode == AUTOFS_MODE_DIRECT, "its mode");
        check_int(s.n_on_top, 1, "only what is on the topmost autofs");
        check(s.top.dev == makedev(0, 81), "the top");

        check_int(mount_table_autofs_stack(t, "/srv/y", &s), 0, "autofs with three on top");
        check_int(s.n_on_top, 3, "three on top");
        check(s.top.dev == makedev(0, 85) && s.visible.dev == makedev(0, 85), "the topmost of them");
        check_int(s.autofs_id, 94, "the autofs at the bottom");
        mount_table_free(t);
}

static void test_shapes(void) {
        static const char text[] =
                "1 0 0:1 / / rw - overlay overlay rw\n"
                /* two mounts side by side at one path, both on the root */
                "90 1 0:78 / /srv/side rw - autofs systemd-1 rw,direct,pipe_ino=1\n"
                "91 1 0:79 / /srv/side rw - tmpfs tmpfs rw\n"
                /* a mount ID used twice makes a loop through a fork */
                "92 1 0:80 / /srv/loop rw - autofs systemd-1 rw,direct,pipe_ino=2\n"
                "93 92 0:81 / /srv/loop rw - tmpfs tmpfs rw\n"
                "94 92 0:82 / /srv/loop rw - tmpfs tmpfs rw\n"
                "92 94 0:83 / /srv/loop rw - tmpfs tmpfs rw\n"
                /* every mount's parent at the same path: no bottom */
                "95 96 0:84 / /srv/ring rw - autofs systemd-1 rw,direct,pipe_ino=3\n"
                "96 95 0:85 / /srv/ring rw - tmpfs tmpfs rw\n";
        struct libmnt_table *t = NULL;
        AutofsStack s;

        check(mount_table_parse_string(text, &t) == 0, "table parses");
        check_int(mount_table_autofs_stack(t, "/srv/side", &s), -ENOTUNIQ, "two bottoms refused");
        check_int(mount_table_autofs_stack(t, "/srv/loop", &s), -ENOTUNIQ, "a fork with a loop refused");
        check_int(mount_table_autofs_stack(t, "/srv/ring", &s), -ENOTUNIQ, "no bottom refused");
        mount_table_free(t);
}

static bool has_target(struct libmnt_table *t, const char *target) {
        return mnt_table_find_target(t, target, MNT_ITER_FORWARD) != NULL;
}

/* Only the autofs mounts and the mounts they sit on are parsed, whatever else is there; a path
 * that contains " - " (written \040-\040) does not end the optional fields early. */
static void test_read_autofs(void) {
        static const char text[] =
                "20 1 0:30 / / rw,relatime shared:1 - overlay overlay rw\n"
                "21 20 0:31 / /srv rw shared:2 - tmpfs tmpfs rw\n"
                "22 21 0:78 / /srv/a1 rw - autofs systemd-1 rw,fd=40,pipe_ino=21250,direct\n"
                "23 22 0:86 / /srv/a1 rw - tmpfs tmpfs rw\n"
                "24 20 0:32 / /a\\040-\\040autofs\\040b rw - tmpfs tmpfs rw\n"
                "25 24 0:79 / /a\\040-\\040autofs\\040b/x rw - autofs systemd-1 rw,fd=41,pipe_ino=1,direct\n"
                "26 20 0:33 / /unrelated rw - ext4 /dev/sda1 rw\n";
        struct libmnt_table *t = NULL;
        int fd;

        fd = memfd_create("mountinfo", MFD_CLOEXEC);
        check(fd >= 0 && write(fd, text, sizeof text - 1) == (ssize_t) (sizeof text - 1), "memfd written");
        check_int(mount_table_read_autofs(fd, &t), 0, "read the autofs and their parents");
        if (!t)
                return;
        check_int(mnt_table_get_nents(t), 4, "two autofs and their two parents");
        check(has_target(t, "/srv/a1") && has_target(t, "/srv") && has_target(t, "/a - autofs b") &&
              has_target(t, "/a - autofs b/x"), "the autofs and their parents");
        check(!has_target(t, "/") && !has_target(t, "/unrelated"), "nothing else");
        mount_table_free(t);
        close(fd);

        fd = memfd_create("mountinfo", MFD_CLOEXEC);
        check(fd >= 0 && write(fd, text, 57) == 57, "memfd without autofs written");
        check_int(mount_table_read_autofs(fd, &t), 0, "a table without autofs reads");
        check_int(t ? mnt_table_get_nents(t) : -1, 0, "and is empty");
        mount_table_free(t);
        close(fd);
}

int main(void) {
        test_shapes();
        test_read_autofs();
        test_identity();
        test_limits();
        test_autofs_order();

        struct libmnt_table *t = NULL;
        AutofsStack s;
        char **names = NULL;

        check(mount_table_parse_string(table, &t) == 0, "table parses");

        check(mount_table_autofs_stack(t, "/srv/a1", &s) == 0, "stack at /srv/a1");
        check(s.has_autofs && s.mode == AUTOFS_MODE_DIRECT, "direct autofs found");
        check(s.autofs_dev == makedev(0, 78), "autofs device");
        check_int(s.pipe_ino, 21250, "pipe inode");
        check_int(s.n_on_top, 1, "one mount on top");
        check(s.top.dev == makedev(0, 86) && strcmp(s.top.root, "/") == 0, "identity of the top");
        check_str(s.top_fstype, "tmpfs", "top fstype");
        check(fs_identity_equal(&s.visible, &s.top), "visible is the top");

        check(mount_table_autofs_stack(t, "/proc/sys/fs/binfmt_misc", &s) == 0, "binfmt_misc");
        check(s.has_autofs && s.n_on_top == 0, "nothing on top of binfmt_misc");

        check(mount_table_autofs_stack(t, "/srv/with space", &s) == 0, "escaped path unescaped");
        check(s.has_autofs, "autofs at a path with a space");

        check(mount_table_autofs_stack(t, "/srv/ind", &s) == 0 && s.mode == AUTOFS_MODE_INDIRECT,
              "indirect mode");
        check(mount_table_autofs_stack(t, "/srv/two", &s) == 0 && s.n_on_top == 2, "two stacked");
        check(strcmp(s.top.root, "/sub") == 0, "root of a bind mount kept");
        check(mount_table_autofs_stack(t, "/srv/plain", &s) == 0 && !s.has_autofs, "no autofs");
        check(mount_table_autofs_stack(t, "/srv/none", &s) == -ENOENT, "nothing mounted");
        check(mount_table_autofs_stack(t, "/srv/fork", &s) == -ENOTUNIQ, "forked stack refused");
        check(mount_table_autofs_stack(t, "/srv", &s) == -ENOENT, "prefix is not a match");

        check(mount_table_children_of(t, "/run/autofs-restore-hook", &names) == 0, "children");
        check(names && names[0] && strcmp(names[0], "srv-a1.automount") == 0 && !names[1],
              "only direct children are listed");
        strv_free(names);

        mount_table_free(t);

        struct libmnt_table *g = NULL;
        int r = mount_table_parse_string("garbage line\n", &g);
        check(r <= 0, "garbage does not crash");
        if (r == 0)
                mount_table_free(g);
        return tap_done();
}
