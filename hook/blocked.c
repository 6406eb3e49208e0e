/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include "blocked.h"
#include "log.h"
#include "proc-iter.h"

#define LIST_MAX 16

typedef struct BlockedList {
        char text[LIST_MAX * 32 + 8];
        int n;
} BlockedList;

static int note_if_blocked(const ContainerProcess *p, void *userdata) {
        BlockedList *l = userdata;
        char wchan[64], comm[17] = "?";

        if (proc_read_small_file(p->proc_fd, "wchan", wchan, sizeof wchan) <= 0 ||
            strcmp(wchan, "autofs_wait") != 0)
                return 0;
        if (l->n < LIST_MAX) {
                size_t len = strlen(l->text);

                if (proc_read_small_file(p->proc_fd, "comm", comm, sizeof comm) > 0)
                        comm[strcspn(comm, "\n")] = '\0';
                (void) !snprintf(l->text + len, sizeof l->text - len, "%s%d (%s)",
                                 l->n ? ", " : "", (int) p->pid, comm);
        }
        l->n++;
        return 0;
}

int report_blocked_processes(const Container *c) {
        BlockedList l = {};
        int r;

        r = container_foreach_process(c, note_if_blocked, &l);
        if (r < 0)
                return r;
        if (l.n > 0)
                log_warning("%d process(es) of the container still wait on an automount from before the repair (host PIDs %s%s): they blocked before a handle could be taken, and only a kill releases them. The hook as CRIU action script (one action-script line in /etc/criu/default.conf) takes its handles at pre-resume, before any task runs, and releases such processes.",
                            l.n, l.text, l.n > LIST_MAX ? ", ..." : "");
        return l.n;
}
