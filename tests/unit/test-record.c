/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <unistd.h>

#include "container.h"
#include "log.h"
#include "macro.h"
#include "record.h"
#include "tap.h"

static bool exists(int dir_fd, const char *name) {
        return faccessat(dir_fd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

static void touch_at(int dir_fd, const char *name) {
        int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0)
                close(fd);
}

static usec_t soon(void) {
        return now_usec(CLOCK_MONOTONIC) + 100 * USEC_PER_MSEC;
}

/* A file shrinks when a shorter record replaces a longer one. */
static void test_rewrite(void) {
        char path[] = "/tmp/test-record-XXXXXX";
        Record r = {}, back = {};
        int fd = mkstemp(path);

        check(record_add(&r, "srv-long-unit-name-number-one.automount", &(AutofsIdentity) { 1, 2, 3 }) == 0 &&
              record_add(&r, "srv-long-unit-name-number-two.automount", &(AutofsIdentity) { 4, 5, 6 }) == 0,
              "two entries");
        check(record_write(fd, &r) == 0, "long record written");
        record_done(&r);
        check(record_add(&r, "srv-b.automount", &(AutofsIdentity) { 7, 8, 9 }) == 0, "one entry");
        check(record_write(fd, &r) == 0, "short record written over it");
        record_done(&r);
        check_int(lseek(fd, 0, SEEK_END), strlen("7 8 9 srv-b.automount\n"), "file holds only the short record");
        check(record_read(fd, &back) == 0, "read back");
        check_int(back.n, 1, "one entry read back");
        check(record_lookup(&back, "srv-long-unit-name-number-two.automount") == NULL, "nothing of the old record");
        record_done(&back);

        check(record_write(fd, &r) == 0, "empty record written");
        check_int(lseek(fd, 0, SEEK_END), 0, "empty file");
        close(fd);
        unlink(path);
}

static void test_limits(void) {
        Record r = {};
        char unit[300];

        memset(unit, 'u', sizeof unit);
        strcpy(unit + 255 - strlen(".automount"), ".automount");
        check_int(record_add(&r, unit, &(AutofsIdentity) { 1, 2, 3 }), 0, "unit name of 255 characters kept");
        check_str(r.n == 1 ? r.entries[0].unit : NULL, unit, "kept whole");
        memset(unit, 'u', sizeof unit);
        strcpy(unit + 256 - strlen(".automount"), ".automount");
        check_int(record_add(&r, unit, &(AutofsIdentity) { 1, 2, 3 }), -ENAMETOOLONG, "256 characters refused");
        check_int(r.n, 1, "nothing added");
        record_done(&r);
}

static void test_open_locked(void) {
        char dir[] = "/tmp/test-record-dir-XXXXXX", name[128], buf[4096];
        Container c = CONTAINER_NULL;
        uint64_t start = 0;
        int dir_fd, fd, fd2, self_fd;
        pid_t dead;

        check(mkdtemp(dir) != NULL, "state directory");
        dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        self_fd = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        check(proc_read_small_file(self_fd, "stat", buf, sizeof buf) > 0 &&
              proc_parse_start_time(buf, &start) == 0, "our start time");
        close(self_fd);

        /* A PID that is surely free: a child we reaped. */
        dead = fork();
        if (dead == 0)
                _exit(0);
        waitpid(dead, NULL, 0);

        snprintf(name, sizeof name, "%d-%" PRIu64 ".record", (int) getpid(), start);
        touch_at(dir_fd, name);
        snprintf(name, sizeof name, "%d-%" PRIu64 ".record", (int) getpid(), start + 1);
        touch_at(dir_fd, name);
        snprintf(name, sizeof name, "%d-%" PRIu64 ".record", (int) getpid(), start - 1);
        touch_at(dir_fd, name);
        snprintf(name, sizeof name, "%d-%" PRIu64 ".record", (int) dead, start);
        touch_at(dir_fd, name);
        touch_at(dir_fd, "notes.txt");
        snprintf(name, sizeof name, "%d-1.record", (int) dead);
        check(symlinkat("notes.txt", dir_fd, name) == 0, "a symlink named like a stale record");
        touch_at(dir_fd, "1-5.record.bak");
        (void) mkdirat(dir_fd, "999999-1.record", 0700);

        /* We play the container: its record is that of a live process. */
        c.pid = getpid();
        c.start_time = start;
        fd = record_open_locked(dir, &c, soon());
        check(fd >= 0, "record opened in a private directory");

        snprintf(name, sizeof name, "%d-%" PRIu64 ".record", (int) getpid(), start);
        check(exists(dir_fd, name), "record of a live process kept");
        snprintf(name, sizeof name, "%d-%" PRIu64 ".record", (int) getpid(), start + 1);
        check(!exists(dir_fd, name), "record of a reused PID (later start) pruned");
        snprintf(name, sizeof name, "%d-%" PRIu64 ".record", (int) getpid(), start - 1);
        check(!exists(dir_fd, name), "record of a reused PID (earlier start) pruned");
        snprintf(name, sizeof name, "%d-%" PRIu64 ".record", (int) dead, start);
        check(!exists(dir_fd, name), "record of a dead process pruned");
        check(exists(dir_fd, "notes.txt"), "other files kept");
        snprintf(name, sizeof name, "%d-1.record", (int) dead);
        check(exists(dir_fd, name), "only regular files are pruned");
        check(exists(dir_fd, "1-5.record.bak"), "names that are not records kept");
        check(exists(dir_fd, "999999-1.record"), "directories kept");
        check(exists(dir_fd, "999999-1.record"), "directories kept");
        fd2 = record_open_locked(dir, &(Container) { .pid = dead, .start_time = 7 }, soon());
        snprintf(name, sizeof name, "%d-7.record", (int) dead);
        check(fd2 >= 0 && exists(dir_fd, name), "the record is created");
        if (fd2 >= 0)
                close(fd2);

        fd2 = record_open_locked(dir, &c, soon());
        check_int(fd2, -ETIMEDOUT, "a second run waits for the lock until the deadline");
        if (fd2 >= 0)
                close(fd2);
        close(fd);
        fd = record_open_locked(dir, &c, soon());
        check(fd >= 0, "the lock is free again once closed");
        if (fd >= 0)
                close(fd);

        /* Who else may write there decides whether the directory can be trusted. */
        static const mode_t modes[] = { 0720, 0702, 0770, 0777, 0722 };
        for (size_t i = 0; i < ELEMENTSOF(modes); i++) {
                (void) chmod(dir, modes[i]);
                fd = record_open_locked(dir, &c, soon());
                check_int(fd, -EPERM, "state directory of mode %04o refused", (unsigned) modes[i]);
                if (fd >= 0)
                        close(fd);
        }
        static const mode_t good[] = { 0700, 0755, 0750 };
        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                (void) chmod(dir, good[i]);
                fd = record_open_locked(dir, &c, soon());
                check(fd >= 0, "state directory of mode %04o accepted", (unsigned) good[i]);
                if (fd >= 0)
                        close(fd);
        }
        (void) chmod(dir, 0700);
        if (geteuid() == 0) {
                check(fchown(dir_fd, 65534, 65534) == 0, "directory given to nobody");
                fd = record_open_locked(dir, &c, soon());
                check_int(fd, -EPERM, "state directory of another user refused");
                if (fd >= 0)
                        close(fd);
                check(fchown(dir_fd, 0, 0) == 0, "directory given back");
        } else
                check(false, "running as root (the owner check needs it)");

        char link[] = "/tmp/test-record-link-XXXXXX";
        check(mkdtemp(link) != NULL && rmdir(link) == 0 && symlink(dir, link) == 0, "symlink to it");
        fd = record_open_locked(link, &c, soon());
        check(fd < 0, "a symlinked state directory refused");
        if (fd >= 0)
                close(fd);
        unlink(link);

        /* Clean up. */
        DIR *d = fdopendir(dup(dir_fd));
        struct dirent *de;
        while (d && (de = readdir(d)))
                if (de->d_name[0] != '.')
                        (void) unlinkat(dir_fd, de->d_name, de->d_type == DT_DIR ? AT_REMOVEDIR : 0);
        if (d)
                closedir(d);
        close(dir_fd);
        rmdir(dir);
}

int main(void) {
        log_setup("test-record", 0, LOG_CRIT);
        test_rewrite();
        test_limits();
        test_open_locked();

        Record r = {};
        uint64_t t = 0;
        char path[] = "/tmp/test-record-XXXXXX";
        int fd;

        AutofsIdentity a2 = { 91, 79, 23529 }, c = { 5, 6, 99 };

        check(record_parse("90 78 23527 srv-a1.automount\n91 79 23529 srv-a2.automount\n", &r) == 0,
              "parses");
        check_int(r.n, 2, "two entries");
        check(autofs_identity_equal(record_lookup(&r, "srv-a2.automount"), &a2), "lookup");
        check(record_lookup(&r, "srv-a3.automount") == NULL, "missing unit: NULL");
        check(!autofs_identity_equal(NULL, &a2), "NULL never equals");
        check(!autofs_identity_equal(&(AutofsIdentity) { 91, 80, 23529 }, &a2), "other device differs");
        check(!autofs_identity_equal(&(AutofsIdentity) { 92, 79, 23529 }, &a2), "other mount ID differs");
        check(!autofs_identity_equal(&(AutofsIdentity) { 91, 79, 1 }, &a2), "other pipe differs");
        record_done(&r);

        check(record_parse("x y\n1 2 12 ../../etc.automount\n1 2 12 srv-a.automount trailing\n"
                           "12 srv-old-format.automount\n1 2 13 srv-b.automount", &r) == 0,
              "damaged lines skipped");
        check_int(r.n, 1, "only the valid line");
        check(record_lookup(&r, "srv-b.automount") && record_lookup(&r, "srv-b.automount")->pipe_ino == 13,
              "last line without newline");
        record_done(&r);

        fd = mkstemp(path);
        check(record_add(&r, "srv-c.automount", &c) == 0, "add");
        check(record_write(fd, &r) == 0, "write");
        record_done(&r);
        check(record_read(fd, &r) == 0 && autofs_identity_equal(record_lookup(&r, "srv-c.automount"), &c),
              "round trip");
        record_done(&r);
        close(fd);
        unlink(path);

        check(proc_parse_start_time("1 (systemd) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 352365 1000 10",
                                    &t) == 0 && t == 352365, "start time");
        check(proc_parse_start_time("1 (a) b) c) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 77 1",
                                    &t) == 0 && t == 77, "comm with parentheses and spaces");
        check(proc_parse_start_time("1 (short) S 0", &t) == -EINVAL, "truncated stat line");
        check(proc_parse_start_time("no parenthesis", &t) == -EINVAL, "garbage");

        pid_t tracer = -1;
        check(proc_parse_tracer_pid("Name:\tcriu\nState:\tS\nTracerPid:\t4711\nUid:\t0\n", &tracer) == 0 &&
              tracer == 4711, "TracerPid");
        check(proc_parse_tracer_pid("Name:\tsystemd\nTracerPid:\t0\n", &tracer) == 0 && tracer == 0,
              "not traced");
        check(proc_parse_tracer_pid("Name:\tx\nTracerPid:\tjunk\n", &tracer) == -EINVAL, "junk");
        check(proc_parse_tracer_pid("TracerPid:\t5\n", &tracer) == -EINVAL,
              "only a whole line counts (status never starts with it)");
        return tap_done();
}
