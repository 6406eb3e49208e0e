/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mount_probe_stack() against the mount table parser, on real mounts: a private mount namespace
 * with a plain tmpfs, a direct autofs alone, an autofs with a tmpfs on top and one with two
 * mounts on top (the upper one a bind mount of a subdirectory). Both must describe each stack
 * the same way. Needs root (CAP_SYS_ADMIN) and autofs; without them the test fails.
 *
 * needs-kernel: autofs
 * (tests/run-unit runs it only on a kernel with autofs; make check runs it in the project's VM
 * on a host without.)
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "fd-util.h"
#include "mount-ops.h"
#include "mount-probe.h"
#include "mount-table.h"
#include "tap.h"

static char base[] = "/tmp/arh-probe-XXXXXX";
/* The probe needs statmount(2) with the mount options (Linux 6.11); before that its contract is
 * -EOPNOTSUPP, which the engine answers by reading the mount table. */
static bool probe_supported;

static bool kernel_at_least(unsigned major, unsigned minor) {
        struct utsname u;
        unsigned a = 0, b = 0;

        if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &a, &b) != 2)
                return false;
        return a > major || (a == major && b >= minor);
}

/* 0 where the kernel has what the probe needs, its documented refusal elsewhere. */
static int probe_expected(void) {
        return probe_supported ? 0 : -EOPNOTSUPP;
}
static int pipe_fds[2] = { -EBADF, -EBADF };

static int path_of(char *buf, size_t size, const char *name) {
        return snprintf(buf, size, "%s/%s", base, name) < (int) size ? 0 : -ENAMETOOLONG;
}

static int mount_autofs(const char *name) {
        char path[256], options[128];

        if (path_of(path, sizeof path, name) < 0 || mkdir(path, 0755) < 0)
                return -errno;
        /* We are the daemon of this autofs (its pgrp is ours), so nothing we do there waits. */
        snprintf(options, sizeof options, "fd=%d,pgrp=%d,minproto=5,maxproto=5,direct",
                 pipe_fds[1], (int) getpgrp());
        return mount("arh-probe", path, "autofs", 0, options) < 0 ? -errno : 0;
}

static int mount_tmpfs(const char *name, bool mkdir_first) {
        char path[256];

        if (path_of(path, sizeof path, name) < 0)
                return -ENAMETOOLONG;
        if (mkdir_first && mkdir(path, 0755) < 0)
                return -errno;
        return mount("tmpfs", path, "tmpfs", 0, "size=64k") < 0 ? -errno : 0;
}

static int bind_sub(const char *name) {
        char path[256], sub[300];

        if (path_of(path, sizeof path, name) < 0)
                return -ENAMETOOLONG;
        snprintf(sub, sizeof sub, "%s/sub", path);
        if (mkdir(sub, 0755) < 0)
                return -errno;
        return mount(sub, path, NULL, MS_BIND, NULL) < 0 ? -errno : 0;
}

static int read_table(struct libmnt_table **ret) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *text = NULL;
        size_t size = 0;

        f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return -errno;
        if (getdelim(&text, &size, '\0', f) < 0)
                return -EIO;
        return mount_table_parse_string(text, ret);
}

static void compare(struct libmnt_table *t, const char *name, bool autofs, unsigned on_top) {
        _cleanup_close_ int fd = -EBADF;
        AutofsStack want, got;
        char path[256];
        int r;

        (void) path_of(path, sizeof path, name);
        check_int(mount_table_autofs_stack(t, path, &want), 0, "%s: the table has a stack", name);
        fd = open_path_no_symlinks(AT_FDCWD, path, 0);
        check(fd >= 0, "%s: opened", name);
        r = mount_probe_stack(fd, &got);
        check_int(r, probe_expected(), "%s: probed (or refused before Linux 6.11)", name);
        if (r < 0)
                return;
        check(want.has_autofs == autofs && want.n_on_top == on_top, "%s: the table says %s, %u on top",
              name, autofs ? "autofs" : "no autofs", on_top);
        check(got.has_autofs == want.has_autofs, "%s: has_autofs agrees", name);
        check_int(got.n_on_top, want.n_on_top, "%s: n_on_top agrees", name);
        check(fs_identity_equal(&got.visible, &want.visible), "%s: the visible mount agrees (%s)",
              name, got.visible.root);
        if (want.has_autofs) {
                check_int(got.autofs_id, want.autofs_id, "%s: autofs mount ID agrees", name);
                check(got.autofs_dev == want.autofs_dev, "%s: autofs device agrees", name);
                check(got.pipe_ino == want.pipe_ino && got.pipe_ino != 0, "%s: pipe inode agrees (%llu)",
                      name, (unsigned long long) got.pipe_ino);
                check(got.mode == want.mode && got.mode == AUTOFS_MODE_DIRECT, "%s: mode agrees", name);
        }
        if (want.n_on_top > 0) {
                check(fs_identity_equal(&got.top, &want.top), "%s: the top agrees", name);
                check_str(got.top_fstype, want.top_fstype, "%s: the top's type agrees", name);
        }
}

/* mount_table_read_at() parses only the lines at the paths asked for: it must answer for them as
 * the whole table does, and know nothing else. */
static void compare_read_at(struct libmnt_table *full) {
        static const char *names[] = { "plain", "alone", "one", "two", "sp ace", "missing" };
        char paths[ELEMENTSOF(names)][256], *list[ELEMENTSOF(names)];
        _cleanup_close_ int fd = -EBADF;
        struct libmnt_table *t = NULL;
        AutofsStack want, got;

        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                (void) path_of(paths[i], sizeof paths[i], names[i]);
                list[i] = paths[i];
        }
        fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
        check(fd >= 0, "mountinfo opened");
        check_int(mount_table_read_at(fd, list, ELEMENTSOF(list), &t), 0, "read at %zu paths",
                  ELEMENTSOF(list));
        if (!t)
                return;
        check_int(mnt_table_get_nents(t), 8, "only the 8 mounts at those paths were parsed");
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                int rw = mount_table_autofs_stack(full, paths[i], &want);
                int rg = mount_table_autofs_stack(t, paths[i], &got);

                check(rw == rg, "%s: same result (%d, %d)", names[i], rw, rg);
                if (rw == 0 && rg == 0)
                        check(want.has_autofs == got.has_autofs && want.n_on_top == got.n_on_top &&
                              want.pipe_ino == got.pipe_ino &&
                              fs_identity_equal(&want.visible, &got.visible),
                              "%s: same stack", names[i]);
        }
        check(mount_table_autofs_stack(t, "/", &got) == -ENOENT, "nothing else is known");
        mount_table_free(t);
}

int main(void) {
        struct libmnt_table *t = NULL;
        int r;

        check(geteuid() == 0, "running as root (needed for mount namespaces and autofs)");
        if (geteuid() != 0)
                return tap_done();
        probe_supported = kernel_at_least(6, 11);
        printf("# this kernel %s the probe (statmount(2) with mount options, Linux 6.11)\n",
               probe_supported ? "has what is needed for" : "predates");
        check(unshare(CLONE_NEWNS) == 0, "private mount namespace");
        check(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0, "no propagation to the host");
        check(mkdtemp(base) != NULL, "scratch directory");
        check(mount("tmpfs", base, "tmpfs", 0, "size=1m") == 0, "tmpfs on the scratch directory");
        check(pipe2(pipe_fds, O_CLOEXEC) == 0, "autofs pipe");

        check_int(mount_tmpfs("plain", true), 0, "plain tmpfs");
        check_int(mount_autofs("alone"), 0, "autofs alone");
        r = mount_autofs("one");
        check_int(r, 0, "autofs with one on top");
        check_int(mount_tmpfs("one", false), 0, "tmpfs on the autofs");
        check_int(mount_autofs("two"), 0, "autofs with two on top");
        check_int(mount_tmpfs("two", false), 0, "tmpfs on the second autofs");
        check_int(bind_sub("two"), 0, "bind mount of a subdirectory on top");

        check_int(mount_tmpfs("one/sub", true), 0, "a submount in the tmpfs on the autofs");
        check_int(mount_tmpfs("sp ace", true), 0, "tmpfs at a path with a space");

        check_int(read_table(&t), 0, "mount table read");
        if (t) {
                compare(t, "plain", false, 0);
                compare(t, "alone", true, 0);
                compare(t, "one", true, 1);
                compare(t, "two", true, 2);
                compare_read_at(t);
                mount_table_free(t);
        }

        /* A directory on the root mount of a changed root, as Where= is after a failed restart
         * in a container: the mount below the root is out of sight. */
        {
                char dir[300];
                _cleanup_close_ int fd = -EBADF;
                struct stat st;
                AutofsStack got;

                snprintf(dir, sizeof dir, "%s/bare", base);
                check(mkdir(dir, 0755) == 0 && stat(base, &st) == 0, "a plain directory");
                _cleanup_close_ int old_root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

                check(old_root >= 0 && chroot(base) == 0 && chdir("/") == 0,
                      "root changed to the scratch tmpfs");
                fd = open_path_no_symlinks(AT_FDCWD, "/bare", 0);
                check(fd >= 0, "opened below the new root");
                r = mount_probe_stack(fd, &got);
                check_int(r, probe_expected(), "a directory on the root mount is probed (or refused before Linux 6.11)");
                check(r < 0 || (!got.has_autofs && got.visible.dev == st.st_dev), "its mount is the root's");
                /* Back to the real root: the sanitizers read /proc at exit. */
                check(fchdir(old_root) == 0 && chroot(".") == 0, "root changed back");
        }

        (void) umount2(base, MNT_DETACH);
        (void) rmdir(base);
        safe_close(pipe_fds[0]);
        safe_close(pipe_fds[1]);
        return tap_done();
}
