/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The engine's per-unit decisions on mount tables shaped like a container's before and after a
 * restart. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "mount-table.h"
#include "record.h"
#include "repair-plan.h"
#include "tap.h"

/* Before the restart: what a restore leaves. */
static const char before_table[] =
        "109 65 0:65 / / rw,relatime - overlay overlay rw\n"
        "90 109 0:78 / /srv/a1 rw,relatime - autofs systemd-1 rw,fd=34,pgrp=1,direct,pipe_ino=21250\n"
        "104 90 0:86 / /srv/a1 rw,relatime - tmpfs tmpfs rw\n"
        "91 109 0:79 / /srv/bare rw,relatime - autofs systemd-1 rw,fd=35,pgrp=1,direct,pipe_ino=21253\n"
        "92 109 0:80 / /srv/ind rw,relatime - autofs systemd-1 rw,fd=36,pgrp=1,indirect,pipe_ino=1\n"
        "93 109 0:81 / /srv/two rw,relatime - autofs systemd-1 rw,fd=37,pgrp=1,direct,pipe_ino=2\n"
        "94 93 0:82 / /srv/two rw,relatime - tmpfs tmpfs rw\n"
        "95 94 0:83 /sub /srv/two rw,relatime - tmpfs tmpfs rw\n"
        "96 109 0:84 / /srv/plain rw,relatime - tmpfs tmpfs rw\n"
        "97 109 0:85 / /srv/fork rw,relatime - autofs systemd-1 rw,direct,pipe_ino=3\n"
        "98 97 0:86 / /srv/fork rw,relatime - tmpfs tmpfs rw\n"
        "99 97 0:87 / /srv/fork rw,relatime - tmpfs tmpfs rw\n"
        "100 109 0:88 / /srv/off rw,relatime - autofs systemd-1 rw,fd=38,pgrp=1,offset,pipe_ino=4\n"
        "101 109 0:89 / /srv/nomode rw,relatime - autofs systemd-1 rw,fd=39,pgrp=1,pipe_ino=5\n";

/* After the restart: a new autofs under the original tmpfs at /srv/a1; new autofs at /srv/bare
 * on which systemd already mounted the unit's filesystem (an access came in meanwhile). */
static const char after_good[] =
        "109 65 0:65 / / rw,relatime - overlay overlay rw\n"
        "120 109 0:90 / /srv/a1 rw,relatime - autofs systemd-1 rw,fd=40,pgrp=1,direct,pipe_ino=30000\n"
        "104 120 0:86 / /srv/a1 rw,relatime - tmpfs tmpfs rw\n"
        "121 109 0:91 / /srv/bare rw,relatime - autofs systemd-1 rw,fd=41,pgrp=1,direct,pipe_ino=30001\n"
        "122 121 0:92 / /srv/bare rw,relatime - tmpfs tmpfs rw\n";

/* After a restart that went wrong in every way it can. */
static const char after_bad[] =
        "109 65 0:65 / / rw,relatime - overlay overlay rw\n"
        /* the old pipe: not re-created */
        "120 109 0:90 / /srv/a1 rw,relatime - autofs systemd-1 rw,fd=40,pgrp=1,direct,pipe_ino=21250\n"
        "104 120 0:86 / /srv/a1 rw,relatime - tmpfs tmpfs rw\n"
        /* no autofs at all, only a tmpfs */
        "122 109 0:92 / /srv/bare rw,relatime - tmpfs tmpfs rw\n";

/* New autofs, but the wrong thing on top: another tmpfs, a bind mount of a subdirectory of the
 * original, nothing. */
static const char after_wrong_top[] =
        "109 65 0:65 / / rw,relatime - overlay overlay rw\n"
        "120 109 0:90 / /srv/a1 rw,relatime - autofs systemd-1 rw,direct,pipe_ino=30000\n"
        "130 120 0:99 / /srv/a1 rw,relatime - tmpfs tmpfs rw\n"
        "121 109 0:91 / /srv/b1 rw,relatime - autofs systemd-1 rw,direct,pipe_ino=30001\n"
        "131 121 0:86 /sub /srv/b1 rw,relatime - tmpfs tmpfs rw\n"
        "123 109 0:93 / /srv/c1 rw,relatime - autofs systemd-1 rw,direct,pipe_ino=30002\n";

static struct libmnt_table *parse(const char *text) {
        struct libmnt_table *t = NULL;

        if (mount_table_parse_string(text, &t) < 0)
                abort();
        return t;
}

static void test_where(void) {
        char why[256];

        check_int(repair_check_where("srv-data.automount", "/srv/data", why, sizeof why), 0,
                  "Where= matching the unit name");
        check_int(repair_check_where("srv-my\\x2ddata.automount", "/srv/my-data", why, sizeof why), 0,
                  "Where= matching an escaped unit name");
        why[0] = '\0';
        check_int(repair_check_where("srv-data.automount", "/srv/other", why, sizeof why), -EINVAL,
                  "Where= of another unit refused");
        check_str(why, "Where= does not match the unit name", "reason for a mismatch");
        check_int(repair_check_where("srv-data.automount", "/srv/data/x", why, sizeof why), -EINVAL,
                  "Where= below the unit's path refused");
        check_int(repair_check_where("srv-data.automount", "/srv", why, sizeof why), -EINVAL,
                  "Where= above the unit's path refused");
        check_int(repair_check_where("srv-data.automount", "/srv/data/../data", why, sizeof why),
                  -EINVAL, "unnormalized Where= refused");
        check_str(why, "Where= is not a normalized absolute path", "reason for a bad path");
        check_int(repair_check_where("srv-data.automount", "srv/data", why, sizeof why), -EINVAL,
                  "relative Where= refused");
        check_int(repair_check_where("-.automount", "/", why, sizeof why), -EINVAL,
                  "the root refused even when the name matches");
        check_str(why, "Where= is not a normalized absolute path", "reason for the root");
        check_int(repair_check_where("srv-data.automount", NULL, why, sizeof why), -EINVAL,
                  "missing Where= refused");
}

static void test_plan(void) {
        struct libmnt_table *t = parse(before_table);
        AutofsStack s;
        char why[256];

        why[0] = '\0';
        check_int(repair_plan_unit(t, "/srv/a1", NULL, &s, why, sizeof why), PLAN_REPAIR,
                  "autofs with a tmpfs on top: repair");
        check_int(s.n_on_top, 1, "the stack is handed back");
        check(s.top.dev == makedev(0, 86), "with the identity of the top");
        check_int(repair_plan_unit(t, "/srv/bare", NULL, &s, why, sizeof why), PLAN_REPAIR,
                  "bare autofs: repair");
        check_int(repair_plan_unit(t, "/srv/off", NULL, &s, why, sizeof why), PLAN_REPAIR,
                  "offset autofs: repair");
        check_int(repair_plan_unit(t, "/srv/nomode", NULL, &s, why, sizeof why), PLAN_REPAIR,
                  "autofs without a mode option: repair");

        check_int(repair_plan_unit(t, "/srv/ind", NULL, &s, why, sizeof why), PLAN_NOT_TOUCHED,
                  "indirect autofs: not touched");
        check_str(why, "not touched: indirect autofs, whose mounts a restart would lose",
                  "reason for indirect");
        check_int(repair_plan_unit(t, "/srv/two", NULL, &s, why, sizeof why), PLAN_NOT_TOUCHED,
                  "two filesystems stacked: not touched");
        check_str(why, "not touched: 2 filesystems stacked on the autofs, only the topmost could be kept",
                  "reason for a stack");
        check_int(repair_plan_unit(t, "/srv/fork", NULL, &s, why, sizeof why), PLAN_NOT_TOUCHED,
                  "forked stack: not touched");
        check_str(why, "not touched: the mounts at Where do not form one stack", "reason for a fork");
        check_int(repair_plan_unit(t, "/srv/plain", NULL, &s, why, sizeof why), PLAN_NOT_TOUCHED,
                  "no autofs: not touched");
        check_str(why, "not touched: no autofs mounted at Where", "reason for no autofs");
        check_int(repair_plan_unit(t, "/srv/none", NULL, &s, why, sizeof why), PLAN_NOT_TOUCHED,
                  "nothing mounted: not touched");
        check_str(why, "not touched: no autofs mounted at Where", "reason for nothing");

        /* The record: only the very autofs recorded counts. */
        AutofsIdentity same = { 90, makedev(0, 78), 21250 };
        check_int(repair_plan_unit(t, "/srv/a1", &same, &s, why, sizeof why), PLAN_ALREADY_REPAIRED,
                  "recorded autofs still there: already repaired");
        check_str(why, "already repaired for this restore", "reason for already repaired");
        check_int(repair_plan_unit(t, "/srv/a1", &(AutofsIdentity) { 91, makedev(0, 78), 21250 }, &s,
                                   why, sizeof why), PLAN_REPAIR, "another mount ID: repair");
        check_int(repair_plan_unit(t, "/srv/a1", &(AutofsIdentity) { 90, makedev(0, 79), 21250 }, &s,
                                   why, sizeof why), PLAN_REPAIR, "another device: repair");
        check_int(repair_plan_unit(t, "/srv/a1", &(AutofsIdentity) { 90, makedev(0, 78), 21251 }, &s,
                                   why, sizeof why), PLAN_REPAIR, "another pipe: repair");
        /* A record of a unit that is not stacked must not shortcut the shapes we refuse. */
        check_int(repair_plan_unit(t, "/srv/ind", &(AutofsIdentity) { 92, makedev(0, 80), 1 }, &s,
                                   why, sizeof why), PLAN_NOT_TOUCHED, "indirect stays refused when recorded");
        mount_table_free(t);
}

static void test_plan_stack_limits(void) {
        /* One autofs with exactly one filesystem on top is repaired; two are not (above); a
         * newer autofs on top of an older one is the one that counts. */
        static const char text[] =
                "109 65 0:65 / / rw - overlay overlay rw\n"
                "90 109 0:78 / /srv/x rw - autofs systemd-1 rw,direct,pipe_ino=1\n"
                "91 90 0:79 / /srv/x rw - tmpfs tmpfs rw\n"
                "92 91 0:80 / /srv/x rw - autofs systemd-1 rw,direct,pipe_ino=2\n";
        struct libmnt_table *t = parse(text);
        AutofsStack s;
        char why[256];

        check_int(repair_plan_unit(t, "/srv/x", NULL, &s, why, sizeof why), PLAN_REPAIR,
                  "autofs, tmpfs, autofs: the top autofs is planned");
        check_int(s.autofs_id, 92, "the topmost autofs is taken");
        check_int(s.n_on_top, 0, "nothing on the topmost autofs");
        mount_table_free(t);
}

static void test_verify(void) {
        struct libmnt_table *before = parse(before_table), *good = parse(after_good),
                            *bad = parse(after_bad), *wrong = parse(after_wrong_top);
        AutofsStack a1, bare, after;
        char why[256];

        check_int(repair_plan_unit(before, "/srv/a1", NULL, &a1, why, sizeof why), PLAN_REPAIR, "a1 planned");
        check_int(repair_plan_unit(before, "/srv/bare", NULL, &bare, why, sizeof why), PLAN_REPAIR,
                  "bare planned");

        check(repair_verify_unit(good, "/srv/a1", &a1, &after, why, sizeof why),
              "new autofs with the original on top: repaired");
        check_int(after.pipe_ino, 30000, "the new stack is handed back");
        check(repair_verify_unit(good, "/srv/bare", &bare, &after, why, sizeof why),
              "new autofs that systemd already mounted on: repaired");

        check(!repair_verify_unit(bad, "/srv/a1", &a1, &after, why, sizeof why),
              "the old pipe: not repaired");
        check_str(why, "the autofs at Where was not re-created", "reason for the old pipe");
        check(!repair_verify_unit(bad, "/srv/bare", &bare, &after, why, sizeof why),
              "no autofs after the restart: not repaired");
        check_str(why, "no autofs at Where after the restart", "reason for no autofs");
        check(!repair_verify_unit(bad, "/srv/gone", &bare, &after, why, sizeof why),
              "nothing mounted after the restart: not repaired");
        check_str(why, "no autofs at Where after the restart", "reason for nothing mounted");

        check(!repair_verify_unit(wrong, "/srv/a1", &a1, &after, why, sizeof why),
              "another tmpfs on top: not repaired");
        check_str(why, "the filesystem on top is not the original one", "reason for another top");
        check(!repair_verify_unit(wrong, "/srv/b1", &a1, &after, why, sizeof why),
              "a bind mount of a subdirectory of the original on top: not repaired");
        check_str(why, "the filesystem on top is not the original one", "reason for a subdirectory");
        check(!repair_verify_unit(wrong, "/srv/c1", &a1, &after, why, sizeof why),
              "the original missing on top: not repaired");
        check_str(why, "the filesystem on top is not the original one", "reason for a lost top");
        /* Nothing was on top before: whatever is there now is not ours to judge. */
        check(repair_verify_unit(wrong, "/srv/a1", &bare, &after, why, sizeof why),
              "nothing on top before: a new autofs is enough");

        mount_table_free(before);
        mount_table_free(good);
        mount_table_free(bad);
        mount_table_free(wrong);
}

int main(void) {
        test_where();
        test_plan();
        test_plan_stack_limits();
        test_verify();
        return tap_done();
}
