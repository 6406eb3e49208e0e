/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdbool.h>
#include <stdlib.h>
#include <sys/sysmacros.h>

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

int main(void) {
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
        check(s.top_has_submounts, "submount below the top is seen");
        check(fs_identity_equal(&s.visible, &s.top), "visible is the top");

        check(mount_table_autofs_stack(t, "/proc/sys/fs/binfmt_misc", &s) == 0, "binfmt_misc");
        check(s.has_autofs && s.n_on_top == 0, "nothing on top of binfmt_misc");
        check(!s.top_has_submounts, "no submounts");

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
