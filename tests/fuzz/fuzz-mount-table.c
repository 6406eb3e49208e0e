/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The mount-table analysis and the decisions made from it, on any mountinfo text: every target
 * in the table is looked at as a unit's Where= before and after a restart. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mount-table.h"
#include "repair-plan.h"

#define MAX_TARGETS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(mnt_free_iterp) struct libmnt_iter *it = NULL;
        struct libmnt_table *t = NULL;
        struct libmnt_fs *fs;
        char *text, why[256], **names = NULL;
        AutofsStack before, after;
        unsigned n = 0;

        why[0] = '\0';

        text = strndup((const char *) data, size);
        if (!text)
                return 0;
        if (mount_table_parse_string(text, &t) < 0) {
                free(text);
                return 0;
        }
        free(text);

        it = mnt_new_iter(MNT_ITER_FORWARD);
        if (!it)
                abort();
        while (mnt_table_next_fs(t, it, &fs) == 0 && n++ < MAX_TARGETS) {
                const char *target = mnt_fs_get_target(fs);
                AutofsStack s;
                int r;

                if (!target)
                        continue;
                r = mount_table_autofs_stack(t, target, &s);
                if (r == 0) {
                        if (!s.has_autofs && s.n_on_top != 0)
                                abort();
                        if (s.n_on_top > 0 && !fs_identity_equal(&s.top, &s.visible))
                                abort();
                }
                if (repair_plan_unit(t, target, NULL, &before, why, sizeof why) == PLAN_REPAIR)
                        (void) repair_verify_unit(t, target, &before, &after, why, sizeof why);
                if (!memchr(why, '\0', sizeof why))
                        abort();
                if (mount_table_children_of(t, target, &names) == 0)
                        strv_free(names);
        }
        mount_table_free(t);
        return 0;
}
