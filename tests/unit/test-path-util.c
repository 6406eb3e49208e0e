/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdbool.h>
#include <stdlib.h>

#include "path-util.h"
#include "tap.h"

static void test_normalized(void) {
        check(path_is_normalized_absolute("/"), "/ is normalized");
        check(path_is_normalized_absolute("/srv/data"), "/srv/data is normalized");
        check(path_is_normalized_absolute("/proc/sys/fs/binfmt_misc"), "binfmt_misc is normalized");
        check(!path_is_normalized_absolute(NULL), "NULL is not");
        check(!path_is_normalized_absolute(""), "empty is not");
        check(!path_is_normalized_absolute("srv"), "relative is not");
        check(!path_is_normalized_absolute("/srv/"), "trailing slash is not");
        check(!path_is_normalized_absolute("//srv"), "double slash is not");
        check(!path_is_normalized_absolute("/srv//a"), "inner double slash is not");
        check(!path_is_normalized_absolute("/srv/./a"), "dot component is not");
        check(!path_is_normalized_absolute("/srv/../etc"), "dot-dot component is not");
        check(!path_is_normalized_absolute("/.."), "/.. is not");
        check(!path_is_normalized_absolute("/srv/a\nb"), "control character is not");
        check(path_is_normalized_absolute("/srv/..a/.b"), "dotted names are fine");

        char *long_path = malloc(5000);
        for (int i = 0; i < 4999; i++)
                long_path[i] = i % 2 ? 'a' : '/';
        long_path[4999] = '\0';
        check(!path_is_normalized_absolute(long_path), "longer than PATH_MAX is not");
        free(long_path);
}

static void test_startswith(void) {
        check_str(path_startswith("/srv/a", "/srv"), "a", "/srv is a prefix of /srv/a");
        check_str(path_startswith("/srv", "/srv"), "", "/srv is a prefix of itself");
        check(path_startswith("/srvx", "/srv") == NULL, "/srv is no prefix of /srvx");
        check_str(path_startswith("/srv/a", "/"), "srv/a", "/ is a prefix of everything");
        check_str(path_startswith("/run/x/y", "/run/x/"), "y", "trailing slash in prefix");
        check(path_startswith("/ru", "/run") == NULL, "shorter path");
}

static void test_escape(void) {
        char *s = NULL;

        check_int(unit_name_from_path("/srv/data", ".automount", &s), 0, "escape /srv/data");
        check_str(s, "srv-data.automount", "plain path");
        free(s);
        check_int(unit_name_from_path("/srv/my-data", ".automount", &s), 0, "escape dash");
        check_str(s, "srv-my\\x2ddata.automount", "dash becomes \\x2d");
        free(s);
        check_int(unit_name_from_path("/proc/sys/fs/binfmt_misc", ".automount", &s), 0, "binfmt");
        check_str(s, "proc-sys-fs-binfmt_misc.automount", "underscore kept");
        free(s);
        check_int(unit_name_from_path("/.hidden/a b", ".automount", &s), 0, "leading dot");
        check_str(s, "\\x2ehidden-a\\x20b.automount", "leading dot and space escaped");
        free(s);
        check_int(unit_name_from_path("/a.b", ".mount", &s), 0, "inner dot");
        check_str(s, "a.b.mount", "inner dot kept");
        free(s);
        check_int(unit_name_from_path("/", ".mount", &s), 0, "root");
        check_str(s, "-.mount", "root is -.mount");
        free(s);
        s = NULL;
        check(unit_name_from_path("/srv/../x", ".automount", &s) < 0 && !s, "not normalized: refused");
        check(unit_name_from_path("relative", ".automount", &s) < 0 && !s, "relative: refused");
}

static void test_unit_names(void) {
        check(unit_name_is_valid("srv-data.automount", ".automount"), "valid automount name");
        check(unit_name_is_valid("srv-my\\x2ddata.automount", ".automount"), "escapes are valid");
        check(!unit_name_is_valid("srv-data.mount", ".automount"), "wrong suffix");
        check(!unit_name_is_valid(".automount", ".automount"), "empty prefix");
        check(!unit_name_is_valid("../../etc.automount", ".automount"), "slashes are invalid");
        check(!unit_name_is_valid("a b.automount", ".automount"), "spaces are invalid");
        check(!unit_name_is_valid(NULL, ".automount"), "NULL is invalid");
}

int main(void) {
        test_normalized();
        test_startswith();
        test_escape();
        test_unit_names();
        return tap_done();
}
