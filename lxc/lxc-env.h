/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* What LXC tells a hook about why it runs. LXC passes it two ways:
 *   lxc.hook.version = 0 (the default): NAME SECTION TYPE appended to the hook's command line,
 *     after whatever arguments the hook line itself has (some hook types get more after TYPE);
 *   lxc.hook.version = 1: LXC_HOOK_TYPE and LXC_HOOK_SECTION in the environment, no arguments.
 * Both get LXC_NAME, LXC_CONFIG_FILE, LXC_ROOTFS_MOUNT, LXC_HOOK_VERSION and, from start-host
 * on, LXC_PID (the container's init in the host's PID namespace). Nothing here touches the
 * system: parsing only, so that it can be tested with made-up environments. */

typedef enum LxcHookType {
        LXC_HOOK_PRE_START,
        LXC_HOOK_PRE_MOUNT,
        LXC_HOOK_MOUNT,
        LXC_HOOK_AUTODEV,
        LXC_HOOK_START_HOST,
        LXC_HOOK_START,
        LXC_HOOK_STOP,
        LXC_HOOK_POST_STOP,
        LXC_HOOK_CLONE,
        LXC_HOOK_DESTROY,
        LXC_HOOK_NET_UP,        /* lxc.net.N.script.up, section "net" */
        LXC_HOOK_NET_DOWN,
        LXC_HOOK_UNKNOWN,       /* a type this version does not know: not an error */
} LxcHookType;

const char *lxc_hook_type_to_string(LxcHookType t);
LxcHookType lxc_hook_type_from_string(const char *s);

typedef struct LxcHook {
        int version;                    /* 0 or 1, as LXC invoked us */
        const char *name;               /* point into argv/envp: valid as long as they are */
        const char *section;            /* "lxc" or "net" */
        const char *type_string;
        LxcHookType type;
        pid_t pid;                      /* LXC_PID, 0 when LXC did not set it */
} LxcHook;

/* Looks KEY up in a NULL-terminated "KEY=VALUE" array (environ, or a test's own). */
const char *env_lookup(char *const *envp, const char *key);

/* A container name as LXC accepts it in a path and a socket name: 1..255 bytes, no '/', no
 * control characters, not "." or "..". */
bool lxc_name_is_valid(const char *name);

/* Decides how LXC invoked us and checks everything we use. args are the positional arguments
 * left after our own options (NAME SECTION TYPE [...] for version 0, none for version 1).
 * -ENOMSG: neither form is present (not run by LXC at all). -EINVAL: present but malformed.
 * On error, error (if not NULL) receives one sentence naming the offending variable or
 * argument, to be logged as is. */
int lxc_hook_parse(int n_args, char *const *args, char *const *envp, LxcHook *ret, char *error,
                   size_t error_size);

/* CRIU runs action scripts with the environment of its caller: under lxc-checkpoint that
 * includes LXC_NAME. Returns it if present and valid, NULL otherwise. */
const char *lxc_action_script_name(char *const *envp);
