/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "config-file.h"
#include "options.h"
#include "tap.h"

static char *write_temp(const char *text) {
        char *path = strdup("/tmp/test-options-XXXXXX");
        int fd = mkstemp(path);
        (void) !write(fd, text, strlen(text));
        close(fd);
        return path;
}

static void test_timeout(void) {
        usec_t t = 0;

        check(parse_timeout("30", &t) == 0 && t == 30 * USEC_PER_SEC, "30 s");
        check(parse_timeout("0.5", &t) == 0 && t == USEC_PER_SEC / 2, "half a second");
        check(parse_timeout("1.0000001", &t) == 0 && t == USEC_PER_SEC, "sub-microsecond digits dropped");
        check(parse_timeout("86400", &t) == 0, "one day");
        check(parse_timeout("86401", &t) == -ERANGE, "more than a day");
        check(parse_timeout("86400.000001", &t) == -ERANGE, "a microsecond more than a day");
        check(parse_timeout("86400.0000001", &t) == 0 && t == 86400 * USEC_PER_SEC,
              "below a microsecond more than a day: dropped");
        check(parse_timeout("0.000001", &t) == 0 && t == 1, "one microsecond");
        check(parse_timeout("0.0000001", &t) == -ERANGE, "below a microsecond");
        check(parse_timeout("0", &t) == -ERANGE, "zero");
        check(parse_timeout("", &t) == -EINVAL, "empty");
        check(parse_timeout("-1", &t) == -EINVAL, "negative");
        check(parse_timeout("5s", &t) == -EINVAL, "suffix");
        check(parse_timeout("1.", &t) == -EINVAL, "dangling dot");
        check(parse_timeout("99999999999999999999", &t) == -ERANGE, "overflowing");
}

static void test_pid(void) {
        int pid = 0;

        check(parse_pid("1", &pid) == 0 && pid == 1, "pid 1");
        check(parse_pid("4194304", &pid) == 0, "PID_MAX_LIMIT");
        check(parse_pid("4194305", &pid) == -ERANGE, "above PID_MAX_LIMIT");
        check(parse_pid("0", &pid) == -ERANGE, "zero");
        check(parse_pid("-5", &pid) == -EINVAL, "negative");
        check(parse_pid("12a", &pid) == -EINVAL, "trailing junk");
        check(parse_pid(" 12", &pid) == -EINVAL, "leading space");
        check(parse_pid(NULL, &pid) == -EINVAL, "NULL");
        check(parse_pid("99999999999999999999999", &pid) < 0, "overflow");
}

static void test_globs(void) {
        RepairOptions o;

        repair_options_init(&o);
        check(repair_options_unit_selected(&o, "srv-a.automount"), "no globs: everything selected");
        check(repair_options_add_glob(&o.unit_globs, "srv-*") == 0, "add include");
        check(repair_options_add_glob(&o.exclude_globs, "srv-b*") == 0, "add exclude");
        check(repair_options_unit_selected(&o, "srv-a.automount"), "included");
        check(!repair_options_unit_selected(&o, "srv-b.automount"), "excluded wins");
        check(!repair_options_unit_selected(&o, "proc-sys-fs-binfmt_misc.automount"), "not included");
        check(repair_options_add_glob(&o.unit_globs, "") == -EINVAL, "empty glob refused");
        /* One exclude glob is already there. */
        bool all_added = true;
        for (int i = 1; i < MAX_GLOBS; i++)
                if (repair_options_add_glob(&o.exclude_globs, "x*") != 0)
                        all_added = false;
        check(all_added, "exactly %d globs accepted", MAX_GLOBS);
        check(o.exclude_globs[MAX_GLOBS - 1] && !o.exclude_globs[MAX_GLOBS], "%d globs kept", MAX_GLOBS);
        check(repair_options_add_glob(&o.exclude_globs, "y*") == -E2BIG, "glob %d refused", MAX_GLOBS + 1);
        check(repair_options_add_glob(&o.exclude_globs, "y*") == -E2BIG, "and the next");

        char glob[300];
        memset(glob, 'g', sizeof glob);
        glob[256] = '\0';
        check(repair_options_add_glob(&o.unit_globs, glob) == 0, "glob of 256 bytes accepted");
        glob[256] = 'g';
        glob[257] = '\0';
        check(repair_options_add_glob(&o.unit_globs, glob) == -EINVAL, "glob of 257 bytes refused");
        check(repair_options_add_glob(&o.unit_globs, NULL) == -EINVAL, "NULL glob refused");
        repair_options_done(&o);
}

static void test_file(void) {
        RepairOptions o;
        char *p;

        repair_options_init(&o);
        p = write_temp("# comment\n\nunit = srv-*\nexclude=srv-b*\ntimeout= 2.5\nlog-level=debug\n"
                       "state-dir=/run/x\n");
        check(repair_options_load_file(&o, p) == 0, "valid file loads");
        check(o.timeout == 2500 * USEC_PER_MSEC, "timeout from file");
        check(o.log_level == LOG_DEBUG, "log level from file");
        check(o.unit_globs && strcmp(o.unit_globs[0], "srv-*") == 0, "unit glob from file");
        check(o.state_dir && strcmp(o.state_dir, "/run/x") == 0, "state dir from file");
        unlink(p);
        free(p);
        repair_options_done(&o);

        repair_options_init(&o);
        p = write_temp("bogus=1\n");
        check(repair_options_load_file(&o, p) == -EINVAL, "unknown key refused");
        unlink(p);
        free(p);
        p = write_temp("timeout\n");
        check(repair_options_load_file(&o, p) == -EINVAL, "line without = refused");
        unlink(p);
        free(p);
        p = write_temp("timeout=forever\n");
        check(repair_options_load_file(&o, p) < 0, "bad value refused");
        unlink(p);
        free(p);
        p = write_temp("state-dir=relative\n");
        check(repair_options_load_file(&o, p) < 0, "relative state dir refused");
        unlink(p);
        free(p);
        check(repair_options_load_file(&o, "/nonexistent/file") == -ENOENT, "missing file: -ENOENT");

        /* 64 KiB is the most: a file of comment lines exactly that long, and one byte more. */
        char *big = malloc(64 * 1024 + 2);
        for (size_t i = 0; i < 64 * 1024; i++)
                big[i] = i % 64 == 63 ? '\n' : '#';
        big[64 * 1024] = '\0';
        p = write_temp(big);
        check_int(repair_options_load_file(&o, p), 0, "config file of exactly 64 KiB");
        unlink(p);
        free(p);
        big[64 * 1024] = '\n';
        big[64 * 1024 + 1] = '\0';
        p = write_temp(big);
        check_int(repair_options_load_file(&o, p), -EFBIG, "config file one byte larger");
        unlink(p);
        free(p);
        free(big);
        check(repair_options_load_file(&o, "/tmp") == -EINVAL, "directory refused");
        repair_options_done(&o);
}

int main(void) {
        log_setup("test-options", 0, LOG_ERR);
        test_timeout();
        test_pid();
        test_globs();
        test_file();
        return tap_done();
}
