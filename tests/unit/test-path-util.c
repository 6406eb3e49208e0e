/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdbool.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

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

        /* PATH_MAX counts the NUL: PATH_MAX - 1 characters are the most. */
        char *max_path = malloc(PATH_MAX + 2);
        for (int i = 0; i < PATH_MAX + 1; i++)
                max_path[i] = i % 2 ? 'a' : '/';
        max_path[PATH_MAX - 1] = '\0';
        if (max_path[PATH_MAX - 2] == '/')
                max_path[PATH_MAX - 2] = 'b';
        check(path_is_normalized_absolute(max_path), "a path of PATH_MAX - 1 characters is");
        max_path[PATH_MAX - 1] = 'c';
        max_path[PATH_MAX] = '\0';
        check(!path_is_normalized_absolute(max_path), "a path of PATH_MAX characters is not");
        free(max_path);

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
        check(path_startswith("/srv-a", "/srv") == NULL, "/srv is no prefix of /srv-a");
        check(path_startswith("/srv.a/b", "/srv") == NULL, "/srv is no prefix of /srv.a/b");
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
        check(!unit_name_is_valid("mount", "mount"), "only the suffix, without a dot");
        check(unit_name_is_valid("amount", "mount"), "one character and the suffix");
        check(!unit_name_is_valid("../../etc.automount", ".automount"), "slashes are invalid");
        check(!unit_name_is_valid("a b.automount", ".automount"), "spaces are invalid");
        check(!unit_name_is_valid(NULL, ".automount"), "NULL is invalid");
        check(!unit_name_is_valid(".x.automount", ".automount"), "leading dot is invalid");
        check(!unit_name_is_valid(".automount.automount", ".automount"), "leading dot before the suffix");
        check(unit_name_is_valid("x.automount", ".automount"), "one character before the suffix");
        check(unit_name_is_valid("a.b.automount", ".automount"), "inner dot is valid");
        check(unit_name_is_valid("a@b.automount", ".automount"), "@ is valid");

        /* systemd's UNIT_NAME_MAX is 256 with the NUL: 255 characters are the most. */
        char name[300];
        memset(name, 'a', sizeof name);
        strcpy(name + 255 - strlen(".automount"), ".automount");
        check_int(strlen(name), 255, "name of 255 characters built");
        check(unit_name_is_valid(name, ".automount"), "255 characters are valid");
        memset(name, 'a', sizeof name);
        strcpy(name + 256 - strlen(".automount"), ".automount");
        check(!unit_name_is_valid(name, ".automount"), "256 characters are not");
        memset(name, 'a', sizeof name);
        strcpy(name + 280 - strlen(".automount"), ".automount");
        check(!unit_name_is_valid(name, ".automount"), "280 characters are not");
}

static void test_escape_length(void) {
        char path[300], *s = NULL;

        /* "/" + 244 letters gives 244 + ".automount" = 254 characters; 245 gives 255, 246 gives 256. */
        path[0] = '/';
        memset(path + 1, 'a', 246);
        path[246] = '\0';
        check_int(unit_name_from_path(path, ".automount", &s), 0, "path whose unit name has 255 characters");
        check_int(s ? strlen(s) : 0, 255, "unit name of 255 characters");
        free(s);
        s = NULL;
        path[246] = 'a';
        path[247] = '\0';
        check_int(unit_name_from_path(path, ".automount", &s), -EINVAL, "unit name of 256 characters refused");
        check(!s, "nothing returned");
}

int main(void) {
        test_normalized();
        test_startswith();
        test_escape();
        test_unit_names();
        test_escape_length();
        return tap_done();
}
