/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The LXC front end's pure parts: how a hook invocation is read, how a restore is told from a
 * start, how a monitor is recognised, and (against real processes) the /proc readers. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fd-util.h"
#include "lxc-detect.h"
#include "lxc-env.h"
#include "lxc-proc.h"
#include "tap.h"

#define ENV(...) ((char *[]) { __VA_ARGS__, NULL })
#define ARGS(...) ((char *[]) { __VA_ARGS__, NULL })

static char error[256];

static int parse(int n, char **args, char **env, LxcHook *h) {
        return lxc_hook_parse(n, args, env, h, error, sizeof error);
}

static void test_version1(void) {
        LxcHook h;

        check_int(parse(0, NULL,
                        ENV("LXC_HOOK_VERSION=1", "LXC_HOOK_TYPE=pre-start", "LXC_HOOK_SECTION=lxc",
                            "LXC_NAME=web", "LXC_CONFIG_FILE=/var/lib/lxc/web/config",
                            "LXC_ROOTFS_MOUNT=/usr/lib/x86_64-linux-gnu/lxc/rootfs"),
                        &h),
                  0, "v1: pre-start as LXC 5.0 sends it");
        check_int(h.version, 1, "v1: version 1");
        check_str(h.name, "web", "v1: name from LXC_NAME");
        check_str(h.section, "lxc", "v1: section");
        check_int(h.type, LXC_HOOK_PRE_START, "v1: type pre-start");
        check_int(h.pid, 0, "v1: no LXC_PID before the init exists");

        check_int(parse(0, NULL,
                        ENV("LXC_HOOK_VERSION=1", "LXC_HOOK_TYPE=start-host", "LXC_HOOK_SECTION=lxc",
                            "LXC_NAME=web", "LXC_PID=4242"),
                        &h),
                  0, "v1: start-host");
        check_int(h.type, LXC_HOOK_START_HOST, "v1: type start-host");
        check_int(h.pid, 4242, "v1: LXC_PID");

        /* No LXC_HOOK_VERSION (older LXC): LXC_HOOK_TYPE decides. */
        check_int(parse(0, NULL, ENV("LXC_HOOK_TYPE=stop", "LXC_HOOK_SECTION=lxc", "LXC_NAME=web"), &h),
                  0, "v1 without LXC_HOOK_VERSION");
        check_int(h.version, 1, "v1 inferred from LXC_HOOK_TYPE");

        /* v1 stop hooks may get extra arguments: they are ignored. */
        check_int(parse(1, ARGS("pid:/proc/1/fd/5"),
                        ENV("LXC_HOOK_VERSION=1", "LXC_HOOK_TYPE=stop", "LXC_HOOK_SECTION=lxc", "LXC_NAME=web"),
                        &h),
                  0, "v1 with extra arguments");
        check_int(h.type, LXC_HOOK_STOP, "v1: type stop");
}

static void test_version0(void) {
        LxcHook h;

        check_int(parse(3, ARGS("web", "lxc", "pre-start"),
                        ENV("LXC_HOOK_VERSION=0", "LXC_NAME=web", "LXC_ROOTFS_MOUNT=/mnt/r"), &h),
                  0, "v0: NAME SECTION TYPE");
        check_int(h.version, 0, "v0: version 0");
        check_str(h.name, "web", "v0: name from the arguments");
        check_int(h.type, LXC_HOOK_PRE_START, "v0: type pre-start");

        check_int(parse(5, ARGS("web", "lxc", "stop", "mnt:/proc/1/fd/4", "pid:/proc/1/fd/5"),
                        ENV("LXC_HOOK_VERSION=0", "LXC_NAME=web"), &h),
                  0, "v0: extra arguments after TYPE");
        check_int(h.type, LXC_HOOK_STOP, "v0: type stop");

        check_int(parse(3, ARGS("web", "lxc", "start-host"), ENV("LXC_NAME=web", "LXC_PID=17"), &h),
                  0, "v0 without LXC_HOOK_VERSION");
        check_int(h.pid, 17, "v0: LXC_PID");

        check_int(parse(3, ARGS("web", "net", "up"), ENV("LXC_HOOK_VERSION=0", "LXC_NAME=web"), &h),
                  0, "v0: network hook");
        check_int(h.type, LXC_HOOK_NET_UP, "v0: type up");
        check_str(h.section, "net", "v0: section net");
}

static void test_unknown_type(void) {
        LxcHook h;

        check_int(parse(3, ARGS("web", "lxc", "post-frobnicate"), ENV("LXC_HOOK_VERSION=0"), &h),
                  0, "unknown type is not an error");
        check_int(h.type, LXC_HOOK_UNKNOWN, "unknown type is reported as such");
        check_str(h.type_string, "post-frobnicate", "unknown type keeps its name");
        check_int(lxc_hook_type_from_string("pre-start"), LXC_HOOK_PRE_START, "type from string");
        check_str(lxc_hook_type_to_string(LXC_HOOK_START_HOST), "start-host", "type to string");
        check_str(lxc_hook_type_to_string(LXC_HOOK_UNKNOWN), "unknown", "unknown to string");
}

static void test_malformed(void) {
        LxcHook h;

        check_int(parse(0, NULL, ENV("PATH=/usr/bin"), &h), -ENOMSG, "no LXC environment at all");
        check_int(parse(0, NULL, NULL, &h), -ENOMSG, "empty environment");

        check_int(parse(2, ARGS("web", "lxc"), ENV("LXC_NAME=web"), &h), -EINVAL, "v0 with two arguments");
        check(strstr(error, "NAME SECTION TYPE") != NULL, "error names the expected arguments: %s", error);

        check_int(parse(0, NULL, ENV("LXC_HOOK_VERSION=0", "LXC_NAME=web"), &h), -EINVAL,
                  "LXC_HOOK_VERSION=0 without arguments");

        check_int(parse(0, NULL, ENV("LXC_HOOK_VERSION=2", "LXC_HOOK_TYPE=pre-start"), &h), -EINVAL,
                  "unknown LXC_HOOK_VERSION");
        check(strstr(error, "LXC_HOOK_VERSION") != NULL, "error names LXC_HOOK_VERSION: %s", error);

        check_int(parse(0, NULL, ENV("LXC_HOOK_VERSION=1", "LXC_HOOK_SECTION=lxc", "LXC_NAME=web"), &h),
                  -EINVAL, "v1 without LXC_HOOK_TYPE");
        check(strstr(error, "LXC_HOOK_TYPE") != NULL, "error names LXC_HOOK_TYPE: %s", error);
        check_int(parse(0, NULL, ENV("LXC_HOOK_VERSION=1", "LXC_HOOK_TYPE=pre-start", "LXC_NAME=web"), &h),
                  -EINVAL, "v1 without LXC_HOOK_SECTION");
        check(strstr(error, "LXC_HOOK_SECTION") != NULL, "error names LXC_HOOK_SECTION: %s", error);

        check_int(parse(0, NULL, ENV("LXC_HOOK_TYPE=pre-start", "LXC_HOOK_SECTION=lxc"), &h), -EINVAL,
                  "v1 without LXC_NAME");
        check(strstr(error, "LXC_NAME") != NULL, "error names LXC_NAME: %s", error);

        check_int(parse(0, NULL, ENV("LXC_HOOK_TYPE=pre-start", "LXC_HOOK_SECTION=lxc", "LXC_NAME="), &h),
                  -EINVAL, "empty name");
        check_int(parse(0, NULL, ENV("LXC_HOOK_TYPE=pre-start", "LXC_HOOK_SECTION=lxc", "LXC_NAME=../etc"), &h),
                  -EINVAL, "name with a slash");
        check_int(parse(0, NULL, ENV("LXC_HOOK_TYPE=pre-start", "LXC_HOOK_SECTION=lxc", "LXC_NAME=a\033[2Jb"), &h),
                  -EINVAL, "name with a control character");
        check(strchr(error, '\033') == NULL, "control characters are not echoed: %s", error);

        check_int(parse(0, NULL, ENV("LXC_HOOK_TYPE=pre start", "LXC_HOOK_SECTION=lxc", "LXC_NAME=web"), &h),
                  -EINVAL, "type with a space");
        check_int(parse(0, NULL, ENV("LXC_HOOK_TYPE=", "LXC_HOOK_SECTION=lxc", "LXC_NAME=web"), &h),
                  -EINVAL, "empty type");

        check_int(parse(0, NULL,
                        ENV("LXC_HOOK_TYPE=start-host", "LXC_HOOK_SECTION=lxc", "LXC_NAME=web", "LXC_PID=abc"),
                        &h),
                  -EINVAL, "LXC_PID not a number");
        check(strstr(error, "LXC_PID='abc'") != NULL, "error quotes LXC_PID: %s", error);
        check_int(parse(0, NULL,
                        ENV("LXC_HOOK_TYPE=start-host", "LXC_HOOK_SECTION=lxc", "LXC_NAME=web", "LXC_PID=0"), &h),
                  -EINVAL, "LXC_PID zero");
        check_int(parse(0, NULL,
                        ENV("LXC_HOOK_TYPE=start-host", "LXC_HOOK_SECTION=lxc", "LXC_NAME=web", "LXC_PID=-5"),
                        &h),
                  -EINVAL, "LXC_PID negative");
        check_int(parse(0, NULL, ENV("LXC_HOOK_TYPE=start-host", "LXC_HOOK_SECTION=lxc", "LXC_NAME=web"), &h),
                  -EINVAL, "start-host without LXC_PID");

        check_int(parse(0, NULL,
                        ENV("LXC_HOOK_TYPE=pre-start", "LXC_HOOK_SECTION=lxc", "LXC_NAME=web",
                            "LXC_CONFIG_FILE=config"),
                        &h),
                  0, "relative LXC_CONFIG_FILE: not used, so it cannot fail the hook");
        check_int(parse(0, NULL,
                        ENV("LXC_HOOK_TYPE=pre-start", "LXC_HOOK_SECTION=lxc", "LXC_NAME=web",
                            "LXC_ROOTFS_MOUNT="),
                        &h),
                  0, "empty LXC_ROOTFS_MOUNT: not used, so it cannot fail the hook");

        check_int(parse(3, ARGS("web", "lxc", "pre-start"), ENV("LXC_NAME=db"), &h), -EINVAL,
                  "v0 name differs from LXC_NAME");

        /* The error buffer is bounded: a huge value cannot overflow it. */
        {
                char big[6000], var[6100];
                memset(big, 'x', sizeof big - 1);
                big[sizeof big - 1] = '\0';
                snprintf(var, sizeof var, "LXC_PID=%s", big);
                check_int(parse(0, NULL,
                                ENV("LXC_HOOK_TYPE=start-host", "LXC_HOOK_SECTION=lxc", "LXC_NAME=web", var), &h),
                          -EINVAL, "huge LXC_PID");
                check(strlen(error) < 120, "error message stays short (%zu bytes)", strlen(error));
        }
}

static void test_names(void) {
        check(lxc_name_is_valid("arh-lxc-1"), "plain name");
        check(lxc_name_is_valid("a.b_c"), "dots and underscores");
        check(!lxc_name_is_valid("."), "dot");
        check(!lxc_name_is_valid(".."), "dot dot");
        check(!lxc_name_is_valid("a/b"), "slash");
        check(!lxc_name_is_valid(NULL), "NULL");
        check(!lxc_name_is_valid(""), "empty");

        /* Limits, both sides: a name of 255 bytes, a word of 64, a path of 4095. */
        LxcHook h;
        char name[300], word[80], path[4200], env_name[320], env_word[100], env_path[4300];
        memset(name, 'n', sizeof name);
        name[255] = '\0';
        check(lxc_name_is_valid(name), "name of 255 bytes");
        name[255] = 'n';
        name[256] = '\0';
        check(!lxc_name_is_valid(name), "name of 256 bytes");

        memset(word, 'w', sizeof word);
        word[64] = '\0';
        snprintf(env_word, sizeof env_word, "LXC_HOOK_SECTION=%s", word);
        check_int(parse(0, NULL, ENV("LXC_HOOK_VERSION=1", "LXC_HOOK_TYPE=stop", env_word, "LXC_NAME=web"), &h),
                  0, "section of 64 bytes");
        word[64] = 'w';
        word[65] = '\0';
        snprintf(env_word, sizeof env_word, "LXC_HOOK_SECTION=%s", word);
        check_int(parse(0, NULL, ENV("LXC_HOOK_VERSION=1", "LXC_HOOK_TYPE=stop", env_word, "LXC_NAME=web"), &h),
                  -EINVAL, "section of 65 bytes");
        check_int(parse(0, NULL, ENV("LXC_HOOK_VERSION=1", "LXC_HOOK_TYPE=stop", "LXC_HOOK_SECTION=",
                                     "LXC_NAME=web"), &h),
                  -EINVAL, "empty section");

        path[0] = '/';
        memset(path + 1, 'p', sizeof path - 1);
        path[4095] = '\0';
        snprintf(env_path, sizeof env_path, "LXC_CONFIG_FILE=%s", path);
        check_int(parse(0, NULL, ENV("LXC_HOOK_VERSION=1", "LXC_HOOK_TYPE=stop", "LXC_HOOK_SECTION=lxc",
                                     "LXC_NAME=web", env_path), &h),
                  0, "config path of 4095 bytes");
        path[4095] = 'p';
        path[4096] = '\0';
        snprintf(env_path, sizeof env_path, "LXC_CONFIG_FILE=%s", path);
        check_int(parse(0, NULL, ENV("LXC_HOOK_VERSION=1", "LXC_HOOK_TYPE=stop", "LXC_HOOK_SECTION=lxc",
                                     "LXC_NAME=web", env_path), &h),
                  0, "config path of 4096 bytes: not used, so it cannot fail the hook");

        memset(name, 'n', sizeof name);
        name[255] = '\0';
        snprintf(env_name, sizeof env_name, "LXC_NAME=%s", name);
        check_int(parse(0, NULL, ENV("LXC_HOOK_VERSION=1", "LXC_HOOK_TYPE=stop", "LXC_HOOK_SECTION=lxc",
                                     env_name), &h),
                  0, "LXC_NAME of 255 bytes");
        check_str(lxc_action_script_name(ENV("CRTOOLS_SCRIPT_ACTION=post-resume", "LXC_NAME=web")), "web",
                  "action script: LXC_NAME inherited from lxc-checkpoint");
        check(lxc_action_script_name(ENV("CRTOOLS_SCRIPT_ACTION=post-resume")) == NULL,
              "action script without LXC_NAME");
        check(lxc_action_script_name(ENV("LXC_NAME=a/b")) == NULL, "action script with a bad LXC_NAME");
        check_str(env_lookup(ENV("LXC_NAMES=x", "LXC_NAME=y"), "LXC_NAME"), "y", "env lookup matches whole keys");
}

#define CMDLINE(s) s, sizeof(s) - 1

static void test_classify(void) {
        const char *reason = NULL;

        /* What this machine showed: a daemonized lxc-start at pre-start time. */
        check_int(lxc_classify_hook_parent("/usr/bin/lxc-start",
                                           CMDLINE("[lxc monitor] /var/lib/lxc web\0"), &reason),
                  LXC_START_NORMAL, "daemonized lxc-start: normal start");
        check(reason && *reason, "a reason is given");
        check_int(lxc_classify_hook_parent("/usr/bin/lxc-start",
                                           CMDLINE("lxc-start\0-F\0-n\0web\0"), NULL),
                  LXC_START_NORMAL, "lxc-start -F: normal start");
        /* lxc-checkpoint -r at pre-start time: its own command line, no monitor title yet. */
        check_int(lxc_classify_hook_parent("/usr/bin/lxc-checkpoint",
                                           CMDLINE("lxc-checkpoint\0-n\0web\0-r\0-D\0/tmp/ck\0"), NULL),
                  LXC_START_RESTORE, "lxc-checkpoint: restore");
        check_int(lxc_classify_hook_parent("/usr/bin/lxc-checkpoint (deleted)",
                                           CMDLINE("lxc-checkpoint\0-r\0"), NULL),
                  LXC_START_RESTORE, "upgraded lxc-checkpoint binary: still a restore");
        /* The restoring process has the title only once the restore is over. */
        check_int(lxc_classify_hook_parent("/usr/bin/lxc-checkpoint",
                                           CMDLINE("[lxc monitor] /var/lib/lxc web\0"), NULL),
                  LXC_START_NORMAL, "a monitor title means a running monitor, whatever its binary");
        check_int(lxc_classify_hook_parent("/usr/bin/python3", CMDLINE("python3\0start.py\0"), NULL),
                  LXC_START_UNKNOWN, "another liblxc user: unknown");
        check_int(lxc_classify_hook_parent("", CMDLINE(""), NULL), LXC_START_UNKNOWN, "nothing readable: unknown");
        check_int(lxc_classify_hook_parent("/opt/lxc-starter", CMDLINE("x\0"), NULL), LXC_START_UNKNOWN,
                  "basename compared whole");
        check_str(lxc_start_kind_to_string(LXC_START_RESTORE), "restore", "kind to string");
}

static void test_monitor_title(void) {
        char path[64];

        check(lxc_monitor_title_match(CMDLINE("[lxc monitor] /var/lib/lxc web\0"), "web", NULL, path, sizeof path),
              "title matches the name");
        check_str(path, "/var/lib/lxc", "lxcpath from the title");
        check(lxc_monitor_title_match(CMDLINE("[lxc monitor] /var/lib/lxc web\0"), "web", "/var/lib/lxc/", NULL, 0),
              "lxcpath with a trailing slash");
        check(!lxc_monitor_title_match(CMDLINE("[lxc monitor] /var/lib/lxc web\0"), "web", "/srv/lxc", NULL, 0),
              "other lxcpath");
        check(!lxc_monitor_title_match(CMDLINE("[lxc monitor] /var/lib/lxc myweb\0"), "web", NULL, NULL, 0),
              "name compared whole");
        check(!lxc_monitor_title_match(CMDLINE("[lxc monitor] /var/lib/lxc web2\0"), "web", NULL, NULL, 0),
              "name prefix is not the name");
        check(lxc_monitor_title_match(CMDLINE("[lxc monitor] /tmp/my lxc web\0"), "web", "/tmp/my lxc", path, sizeof path),
              "lxcpath with a space");
        check_str(path, "/tmp/my lxc", "lxcpath with a space extracted");
        check(!lxc_monitor_title_match(CMDLINE("lxc-start\0-n\0web\0"), "web", NULL, NULL, 0), "not a monitor");
        check(!lxc_monitor_title_match(CMDLINE("[lxc monitor] web\0"), "web", NULL, NULL, 0), "no lxcpath");
        check(!lxc_monitor_title_match(CMDLINE("[lxc monitor] relative web\0"), "web", NULL, NULL, 0),
              "relative lxcpath");
        check(!lxc_monitor_title_match(CMDLINE("[lxc monitor] /var/lib/lxc\0web\0"), "web", NULL, NULL, 0),
              "name in a second argument");
        check(lxc_monitor_title_match(CMDLINE("[lxc monitor] /var/lib/lxc web"), "web", NULL, NULL, 0),
              "title without a terminating NUL");
        check(lxc_monitor_title_match(CMDLINE("[lxc monitor] /x web\0"), "web", NULL, path, 3), "short buffer");
        check_str(path, "/x", "lxcpath truncated to the buffer");
}

/* Process trees as LXC 5.0.2 and CRIU 4.1 made them on this project's test machine. */
#define HOST_PIDNS 100
#define HOST_MNTNS 200
#define LXC_EXE 10
#define CRIU_EXE 20
#define INIT_EXE 30

static LxcProcess proc(pid_t pid, uint64_t pidns, uint64_t mntns, ino_t exe, pid_t tracer) {
        return (LxcProcess) { .pid = pid, .pidns = pidns, .mntns = mntns, .exe_dev = 1, .exe_ino = exe,
                              .exe_known = exe != 0, .tracer = tracer };
}

static LxcRestoreTracker tracker(LxcStartKind kind) {
        return (LxcRestoreTracker) { .monitor = proc(50, HOST_PIDNS, HOST_MNTNS, LXC_EXE, 0), .kind = kind };
}

static void test_restore_tracker(void) {
        LxcRestoreTracker t = tracker(LXC_START_RESTORE);
        LxcProcess criu = proc(51, HOST_PIDNS, 201, CRIU_EXE, 0);
        LxcProcess init_restoring = proc(52, 300, 301, CRIU_EXE, 0);
        LxcProcess init_traced = proc(52, 300, 301, INIT_EXE, 51);
        LxcProcess init_running = proc(52, 300, 301, INIT_EXE, 0);
        LxcProcess other_hook = proc(53, HOST_PIDNS, HOST_MNTNS, 40, 0);
        pid_t init = 0;

        check_int(lxc_restore_step(&t, NULL, 0, &init), LXC_RESTORE_WAIT, "restore: nothing yet");
        check_int(lxc_restore_step(&t, (LxcProcess[]) { other_hook }, 1, &init), LXC_RESTORE_WAIT,
                  "restore: a later pre-start hook is not CRIU");
        check_int(t.criu, 0, "restore: hook not taken for CRIU");
        check_int(lxc_restore_step(&t, (LxcProcess[]) { criu }, 1, &init), LXC_RESTORE_WAIT, "restore: CRIU runs");
        check_int(t.criu, 51, "restore: CRIU recognised");
        check_int(lxc_restore_step(&t, (LxcProcess[]) { criu, init_restoring }, 2, &init), LXC_RESTORE_WAIT,
                  "restore: init being restored while CRIU runs");
        check_int(t.init, 52, "restore: init candidate seen");
        check_int(lxc_restore_step(&t, (LxcProcess[]) { criu, init_running }, 2, &init), LXC_RESTORE_WAIT,
                  "restore: untraced init while CRIU still runs is not done");
        check_int(lxc_restore_step(&t, (LxcProcess[]) { init_traced }, 1, &init), LXC_RESTORE_WAIT,
                  "restore: still traced");
        check_int(lxc_restore_step(&t, (LxcProcess[]) { init_running }, 1, &init), LXC_RESTORE_DONE,
                  "restore: CRIU gone, init runs");
        check_int(init, 52, "restore: the init is returned");

        /* The watcher started late: CRIU is already gone. lxc-checkpoint told us anyway. */
        t = tracker(LXC_START_RESTORE);
        init = 0;
        check_int(lxc_restore_step(&t, (LxcProcess[]) { init_running }, 1, &init), LXC_RESTORE_DONE,
                  "restore seen late: done at once");

        /* A CRIU child whose exe cannot be read (mid-exec) still holds the decision back. */
        t = tracker(LXC_START_RESTORE);
        check_int(lxc_restore_step(&t, (LxcProcess[]) { proc(51, HOST_PIDNS, 0, 0, 0), init_running }, 2, &init),
                  LXC_RESTORE_WAIT, "unreadable sibling: wait");

        /* Unknown caller: only a CRIU child seen makes it a restore. */
        t = tracker(LXC_START_UNKNOWN);
        check_int(lxc_restore_step(&t, (LxcProcess[]) { criu }, 1, &init), LXC_RESTORE_WAIT, "unknown: CRIU runs");
        check_int(lxc_restore_step(&t, (LxcProcess[]) { init_running }, 1, &init), LXC_RESTORE_DONE,
                  "unknown: CRIU seen, then the init: restore");

        t = tracker(LXC_START_UNKNOWN);
        check_int(lxc_restore_step(&t, (LxcProcess[]) { proc(52, 300, 301, LXC_EXE, 0) }, 1, &init),
                  LXC_RESTORE_NOT_A_RESTORE, "unknown: init cloned by the monitor, no CRIU: normal start");
        t = tracker(LXC_START_UNKNOWN);
        check_int(lxc_restore_step(&t, (LxcProcess[]) { proc(53, HOST_PIDNS, 201, LXC_EXE, 0) }, 1, &init),
                  LXC_RESTORE_WAIT, "unknown: a fork of the monitor in its own mount namespace");
        check_int(t.criu, 0, "unknown: a fork of the monitor is not CRIU");

        t = tracker(LXC_START_RESTORE);
        check_int(lxc_restore_step(&t, (LxcProcess[]) { init_running, proc(54, 400, 401, INIT_EXE, 0) }, 2, &init),
                  LXC_RESTORE_AMBIGUOUS, "two candidate inits: ambiguous");

        check(lxc_process_is_criu_child(&t.monitor, &criu), "criu child predicate");
        check(!lxc_process_is_criu_child(&t.monitor, &init_running), "init is not the criu child");
}

/* The /proc readers against our own processes. */
static void test_proc(void) {
        _cleanup_close_ int self_fd = -EBADF, child_fd = -EBADF;
        _cleanup_free_ pid_t *children = NULL;
        LxcProcess me, kid;
        size_t n = 0;
        char buf[4096];
        bool found = false;
        pid_t pid, init = 0;
        int len;

        self_fd = proc_open_pid(getpid(), -EBADF);
        check(self_fd >= 0, "proc_open_pid(self)");
        check_int(lxc_process_read(self_fd, getpid(), &me), 0, "read our own facts");
        check(me.pidns != 0 && me.mntns != 0 && me.exe_known, "namespaces and exe known");
        len = proc_cmdline(self_fd, buf, sizeof buf);
        check(len > 0 && strstr(buf, "test-lxc-env") != NULL, "our command line");
        check_int(proc_exe_path(self_fd, buf, sizeof buf), 0, "our exe path");
        check(strstr(buf, "test-lxc-env") != NULL, "exe path names us: %s", buf);
        check_int(proc_open_pid(0x3fffff, -EBADF), -ESRCH, "no such process");

        pid = fork();
        if (pid == 0) {
                pause();
                _exit(0);
        }
        check_int(proc_children(getpid(), &children, &n), 0, "list our children");
        for (size_t i = 0; i < n; i++)
                found = found || children[i] == pid;
        check(found, "the forked child is listed");
        child_fd = proc_open_pid(pid, -EBADF);
        check(child_fd >= 0 && lxc_process_read(child_fd, pid, &kid) == 0, "read the child's facts");
        check(kid.pidns == me.pidns && kid.mntns == me.mntns, "child shares our namespaces");
        check(!lxc_process_is_criu_child(&me, &kid), "a plain fork is not CRIU");
        check_int(lxc_monitor_init(getpid(), &init), -ENOENT, "no child in another PID namespace: no init");
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
}

int main(void) {
        test_version1();
        test_version0();
        test_unknown_type();
        test_malformed();
        test_names();
        test_classify();
        test_monitor_title();
        test_restore_tracker();
        test_proc();
        return tap_done();
}
