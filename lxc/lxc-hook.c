/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "detach.h"
#include "engine.h"
#include "fd-util.h"
#include "log.h"
#include "lxc-detect.h"
#include "lxc-env.h"
#include "lxc-hook.h"
#include "lxc-proc.h"
#include "pidfd-util.h"

/* While CRIU restores, the watcher looks at the monitor's children this often. CRIU needs a
 * few hundred milliseconds even for a small container, so CRIU is never missed, and the repair
 * starts at most this late after the restore. Once CRIU is known, its exit wakes us at once. */
#define WATCH_INTERVAL_MSEC 20
#define WATCH_INTERVAL_WITH_CRIU_MSEC 250

static int set_container_name(RepairOptions *o, const char *name) {
        log_set_context(name);
        free(o->container_name);
        o->container_name = strdup(name);
        return o->container_name ? 0 : log_oom();
}

typedef struct RestoreWatcher {
        const RepairOptions *options;
        LxcRestoreTracker tracker;
        int monitor_pidfd;
} RestoreWatcher;

/* One look at the monitor's children, fed to the tracker. */
static int watch_once(RestoreWatcher *w, LxcRestoreStep *ret_step, pid_t *ret_init) {
        _cleanup_free_ pid_t *pids = NULL;
        _cleanup_free_ LxcProcess *procs = NULL;
        size_t n = 0, k = 0;
        int r;

        r = proc_children(w->tracker.monitor.pid, &pids, &n);
        if (r < 0)
                return r;
        procs = calloc(n ?: 1, sizeof *procs);
        if (!procs)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                _cleanup_close_ int fd = proc_open_pid(pids[i], -EBADF);

                if (fd < 0 || lxc_process_read(fd, pids[i], &procs[k]) < 0)
                        continue;       /* gone meanwhile: not part of this snapshot */
                k++;
        }
        /* The children are read after the list: if the monitor died meanwhile, its children
         * are someone else's now. */
        if (pidfd_exited(w->monitor_pidfd))
                return -ESRCH;
        *ret_step = lxc_restore_step(&w->tracker, procs, k, ret_init);
        return 0;
}

static int restore_watcher(void *userdata) {
        RestoreWatcher *w = userdata;
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + LXC_RESTORE_WAIT_SEC * USEC_PER_SEC;
        _cleanup_close_ int criu_pidfd = -EBADF;
        pid_t monitor = w->tracker.monitor.pid, init = 0;
        usec_t started = now_usec(CLOCK_MONOTONIC);
        bool criu_watched = false;
        int r;

        for (;;) {
                struct pollfd p[2] = {
                        { .fd = w->monitor_pidfd, .events = POLLIN },
                        { .fd = criu_pidfd, .events = POLLIN },
                };
                LxcRestoreStep step = LXC_RESTORE_WAIT;
                int timeout;

                r = watch_once(w, &step, &init);
                if (r == -ESRCH) {
                        log_error("LXC's process %d ended before the container ran: the restore failed, nothing to repair.",
                                  (int) monitor);
                        return EXIT_STATUS_UNITS_FAILED;
                }
                if (r < 0) {
                        log_error_errno(r, "Cannot list the children of LXC's process %d: %m", (int) monitor);
                        return EXIT_STATUS_UNITS_FAILED;
                }

                switch (step) {
                case LXC_RESTORE_DONE:
                        log_info("The container's init %d runs, restored by CRIU %.0f ms after the pre-start hook; repairing.",
                                 (int) init, (double) (now_usec(CLOCK_MONOTONIC) - started) / USEC_PER_MSEC);
                        return cli_repair_pid(init, repair_container, w->options);
                case LXC_RESTORE_NOT_A_RESTORE:
                        log_info("The container's init %d was started without CRIU: a normal start, nothing to repair.",
                                 (int) w->tracker.init);
                        return EXIT_STATUS_OK;
                case LXC_RESTORE_AMBIGUOUS:
                        log_error("LXC's process %d has several children in new PID namespaces; not guessing which one is the container's init.",
                                  (int) monitor);
                        return EXIT_STATUS_REFUSED;
                case LXC_RESTORE_WAIT:
                default:
                        break;
                }

                if (w->tracker.criu != 0 && !criu_watched) {
                        /* Once: after CRIU's exit its PID may name another process. */
                        criu_watched = true;
                        criu_pidfd = pidfd_open_pid(w->tracker.criu);
                        if (criu_pidfd >= 0)
                                log_debug("CRIU runs as process %d.", (int) w->tracker.criu);
                        p[1].fd = criu_pidfd;
                }
                if (usec_until(deadline) == 0) {
                        log_error("The container was not restored within %d s; giving up.", LXC_RESTORE_WAIT_SEC);
                        return EXIT_STATUS_UNITS_FAILED;
                }
                /* CRIU's exit ends the restore and wakes us through its pidfd; the short
                 * interval only matters until CRIU shows up. */
                timeout = criu_pidfd >= 0 ? WATCH_INTERVAL_WITH_CRIU_MSEC : WATCH_INTERVAL_MSEC;
                if (poll(p, criu_pidfd >= 0 ? 2 : 1, timeout) < 0 && errno != EINTR) {
                        log_error_errno(errno, "poll() failed: %m");
                        return EXIT_STATUS_UNITS_FAILED;
                }
                if (p[1].revents & POLLIN)
                        criu_pidfd = safe_close(criu_pidfd);
        }
}

static ExitStatus pre_start(const LxcHook *h, const RepairOptions *o, const char *log_file) {
        _cleanup_close_ int pidfd = -EBADF, proc_fd = -EBADF;
        char exe[4096], cmdline[4096];
        RestoreWatcher w = { .options = o };
        const char *reason;
        pid_t parent = getppid(), watcher;
        int n, r;

        /* LXC waits for its hooks, so our parent is alive and is the process that runs (or
         * restores) the container; pin it before anything else. */
        pidfd = pidfd_open_pid(parent);
        if (pidfd < 0 || getppid() != parent) {
                log_error("The process that ran this hook is gone.");
                return EXIT_STATUS_REFUSED;
        }
        proc_fd = proc_open_pid(parent, pidfd);
        if (proc_fd < 0) {
                log_error_errno(proc_fd, "Cannot inspect the process that ran this hook (%d): %m", (int) parent);
                return EXIT_STATUS_REFUSED;
        }
        if (proc_exe_path(proc_fd, exe, sizeof exe) < 0)
                exe[0] = '\0';
        n = proc_cmdline(proc_fd, cmdline, sizeof cmdline);
        if (n < 0)
                n = 0;

        w.tracker.kind = lxc_classify_hook_parent(exe, cmdline, (size_t) n, &reason);
        if (w.tracker.kind == LXC_START_NORMAL) {
                log_info("Normal start (%s): nothing to repair.", reason);
                return EXIT_STATUS_OK;
        }

        r = lxc_process_read(proc_fd, parent, &w.tracker.monitor);
        if (r < 0 || w.tracker.monitor.pidns == 0 || w.tracker.monitor.mntns == 0) {
                log_error_errno(r < 0 ? r : -EACCES, "Cannot read the namespaces of the process that ran this hook (%d): %m",
                                (int) parent);
                return EXIT_STATUS_REFUSED;
        }
        w.monitor_pidfd = pidfd;

        r = detach_process(restore_watcher, &w, (const int[]) { pidfd }, 1, log_file, &watcher);
        if (r < 0) {
                log_error_errno(r, "Failed to start the watcher that waits for the restore: %m");
                return EXIT_STATUS_UNITS_FAILED;
        }
        if (w.tracker.kind == LXC_START_RESTORE)
                log_info("Restore (%s): watcher %d repairs the automounts once CRIU has resumed the container.",
                         reason, (int) watcher);
        else
                log_info("Start or restore? Not known yet (%s): watcher %d repairs the automounts if CRIU restores the container.",
                         reason, (int) watcher);
        return EXIT_STATUS_OK;
}

ExitStatus lxc_hook_run(int n_args, char **args, char **envp, RepairOptions *o, const char *log_file) {
        char error[256];
        LxcHook h;
        int r;

        r = lxc_hook_parse(n_args, args, envp, &h, error, sizeof error);
        if (r == -ENOMSG) {
                log_error("Not run by LXC: neither LXC_HOOK_TYPE in the environment nor NAME SECTION TYPE arguments. "
                          "Use --pid PID or --name NAME by hand; see lxc-autofs-restore(8).");
                return EXIT_STATUS_USAGE;
        }
        if (r < 0) {
                log_error("Invalid LXC hook environment: %s", error);
                return EXIT_STATUS_USAGE;
        }
        if (set_container_name(o, h.name) < 0)
                return EXIT_STATUS_UNITS_FAILED;

        if (strcmp(h.section, "lxc") != 0) {
                log_info("Nothing to do for the %s hook of section %s.", h.type_string, h.section);
                return EXIT_STATUS_OK;
        }

        switch (h.type) {
        case LXC_HOOK_PRE_START:
                return pre_start(&h, o, log_file);
        case LXC_HOOK_START_HOST:
                /* LXC never runs start-host for a restore: this is a normal start. */
                log_info("Normal start (init %d): nothing to repair.", (int) h.pid);
                return EXIT_STATUS_OK;
        case LXC_HOOK_UNKNOWN:
                log_notice("Unknown hook type '%s': nothing to do.", h.type_string);
                return EXIT_STATUS_OK;
        case LXC_HOOK_PRE_MOUNT:
        case LXC_HOOK_MOUNT:
        case LXC_HOOK_AUTODEV:
        case LXC_HOOK_START:
        case LXC_HOOK_STOP:
        case LXC_HOOK_POST_STOP:
        case LXC_HOOK_CLONE:
        case LXC_HOOK_DESTROY:
        case LXC_HOOK_NET_UP:
        case LXC_HOOK_NET_DOWN:
        default:
                log_info("Nothing to do in the %s hook.", h.type_string);
                return EXIT_STATUS_OK;
        }
}

ExitStatus lxc_action_script_run(char **envp, RepairOptions *o) {
        const char *name = lxc_action_script_name(envp);

        if (name && set_container_name(o, name) < 0)
                return EXIT_STATUS_UNITS_FAILED;
        return criu_action_run(o);
}

typedef struct Monitor {
        pid_t pid;
        char lxcpath[4096];
} Monitor;

/* Every process titled "[lxc monitor] LXCPATH NAME" that runs as our own user, in our own PID
 * and user namespaces: a process of another user could give itself any title, and so could root
 * of a container without a user namespace, which runs as uid 0 too but in the container's PID
 * namespace. (Not the mount namespace: LXC often runs in one of its own, e.g. under LXD.) */
static bool same_namespaces_as_us(int proc_fd) {
        static const char *const names[] = { "ns/pid", "ns/user" };
        struct stat ours, theirs;

        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                char self[32];

                snprintf(self, sizeof self, "/proc/self/%s", names[i]);
                if (stat(self, &ours) < 0 || fstatat(proc_fd, names[i], &theirs, 0) < 0)
                        return false;
                if (ours.st_dev != theirs.st_dev || ours.st_ino != theirs.st_ino)
                        return false;
        }
        return true;
}

static int find_monitors(const char *name, const char *lxcpath, Monitor **ret, size_t *ret_n) {
        _cleanup_(closedirp) DIR *d = NULL;
        _cleanup_free_ Monitor *list = NULL;
        struct dirent *de;
        char cmdline[8192];
        size_t n = 0;
        uid_t me = geteuid();

        d = opendir("/proc");
        if (!d)
                return negative_errno();
        while ((de = readdir(d))) {
                _cleanup_close_ int fd = -EBADF;
                char found[4096];
                uid_t ruid, euid;
                int pid, len;
                Monitor *l;

                if (parse_pid(de->d_name, &pid) < 0)
                        continue;
                fd = proc_open_pid(pid, -EBADF);
                if (fd < 0)
                        continue;
                len = proc_cmdline(fd, cmdline, sizeof cmdline);
                if (len <= 0 || !lxc_monitor_title_match(cmdline, (size_t) len, name, lxcpath, found, sizeof found))
                        continue;
                if (proc_uids(fd, &ruid, &euid) < 0 || ruid != me || euid != me)
                        continue;
                if (!same_namespaces_as_us(fd))
                        continue;

                l = realloc(list, (n + 1) * sizeof *l);
                if (!l)
                        return -ENOMEM;
                list = l;
                list[n].pid = pid;
                snprintf(list[n].lxcpath, sizeof list[n].lxcpath, "%s", found);
                n++;
        }
        *ret = TAKE_PTR(list);
        *ret_n = n;
        return 0;
}

ExitStatus lxc_repair_by_name(const char *name, const char *lxcpath, RepairOptions *o) {
        _cleanup_free_ Monitor *monitors = NULL;
        _cleanup_(container_close) Container c = CONTAINER_NULL;
        LxcProcess init_facts;
        size_t n = 0;
        pid_t init;
        int r;

        if (!lxc_name_is_valid(name)) {
                log_error("'%s' is not a valid container name.", name);
                return EXIT_STATUS_USAGE;
        }
        if (lxcpath && lxcpath[0] != '/') {
                log_error("--lxcpath needs an absolute path.");
                return EXIT_STATUS_USAGE;
        }
        if (set_container_name(o, name) < 0)
                return EXIT_STATUS_UNITS_FAILED;

        r = find_monitors(name, lxcpath, &monitors, &n);
        if (r < 0) {
                log_error_errno(r, "Cannot scan /proc: %m");
                return EXIT_STATUS_UNITS_FAILED;
        }
        if (n == 0) {
                log_error("No running container named '%s'%s%s: no LXC monitor process with that name.",
                          name, lxcpath ? " in " : "", lxcpath ?: "");
                return EXIT_STATUS_REFUSED;
        }
        if (n > 1) {
                log_error("%zu running containers are named '%s' (in %s and %s%s); choose one with --lxcpath.",
                          n, name, monitors[0].lxcpath, monitors[1].lxcpath, n > 2 ? ", ..." : "");
                return EXIT_STATUS_USAGE;
        }

        r = lxc_monitor_init(monitors[0].pid, &init);
        if (r == -ENOENT) {
                log_error("The monitor of '%s' (%d) has no container init.", name, (int) monitors[0].pid);
                return EXIT_STATUS_REFUSED;
        }
        if (r < 0) {
                log_error_errno(r, "Cannot find the init of '%s' under its monitor %d: %m", name,
                                (int) monitors[0].pid);
                return EXIT_STATUS_REFUSED;
        }

        r = container_pin(init, &c);
        if (r < 0) {
                container_log_refusal(init, r);
                return EXIT_STATUS_REFUSED;
        }
        /* A restore that has not finished leaves the init traced by CRIU: repairing then would
         * race with CRIU; the CRIU action script or the pre-start hook do it at the right time. */
        if (lxc_process_read(c.proc_fd, init, &init_facts) == 0 && init_facts.tracer != 0) {
                log_error("The init of '%s' (%d) is being restored by CRIU right now; try again when the restore has finished.",
                          name, (int) init);
                return EXIT_STATUS_REFUSED;
        }

        log_debug("Container '%s' in %s: monitor %d, init %d.", name, monitors[0].lxcpath,
                  (int) monitors[0].pid, (int) init);
        return repair_container(&c, o);
}
