/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lxc-env.h"
#include "string-util.h"
#include "macro.h"
#include "options.h"

static const char *const hook_type_table[] = {
        [LXC_HOOK_PRE_START]  = "pre-start",
        [LXC_HOOK_PRE_MOUNT]  = "pre-mount",
        [LXC_HOOK_MOUNT]      = "mount",
        [LXC_HOOK_AUTODEV]    = "autodev",
        [LXC_HOOK_START_HOST] = "start-host",
        [LXC_HOOK_START]      = "start",
        [LXC_HOOK_STOP]       = "stop",
        [LXC_HOOK_POST_STOP]  = "post-stop",
        [LXC_HOOK_CLONE]      = "clone",
        [LXC_HOOK_DESTROY]    = "destroy",
        [LXC_HOOK_NET_UP]     = "up",
        [LXC_HOOK_NET_DOWN]   = "down",
};

const char *lxc_hook_type_to_string(LxcHookType t) {
        if (t < 0 || (size_t) t >= ELEMENTSOF(hook_type_table))
                return "unknown";
        return hook_type_table[t];
}

LxcHookType lxc_hook_type_from_string(const char *s) {
        if (!s)
                return LXC_HOOK_UNKNOWN;
        for (size_t i = 0; i < ELEMENTSOF(hook_type_table); i++)
                if (strcmp(hook_type_table[i], s) == 0)
                        return (LxcHookType) i;
        return LXC_HOOK_UNKNOWN;
}

const char *env_lookup(char *const *envp, const char *key) {
        size_t n = strlen(key);

        if (!envp)
                return NULL;
        for (char *const *e = envp; *e; e++)
                if (strncmp(*e, key, n) == 0 && (*e)[n] == '=')
                        return *e + n + 1;
        return NULL;
}


bool lxc_name_is_valid(const char *name) {
        size_t n;

        if (!name)
                return false;
        n = strlen(name);
        if (n == 0 || n > 255)
                return false;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return false;
        return !strchr(name, '/') && !string_has_control_chars(name);
}

/* A hook type or section is a short word; anything else is not what LXC sends. */
static bool word_is_valid(const char *s) {
        size_t n = s ? strlen(s) : 0;

        if (n == 0 || n > 64)
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
                        return false;
        return true;
}


_printf_(3, 4)
static int fail(char *error, size_t size, const char *format, ...) {
        va_list ap;

        if (error && size > 0) {
                va_start(ap, format);
                vsnprintf(error, size, format, ap);
                va_end(ap);
        }
        return -EINVAL;
}

/* Values come from the environment and may be anything, including a terminal escape sequence:
 * error messages quote 40 characters at most. */
static const char *excerpt(const char *s, char buf[static 44]) {
        return string_excerpt(s, 40, buf);
}

int lxc_hook_parse(int n_args, char *const *args, char *const *envp, LxcHook *ret, char *error,
                   size_t error_size) {
        const char *version = env_lookup(envp, "LXC_HOOK_VERSION"), *env_name, *s;
        LxcHook h = {};
        char buf[48];
        int pid;

        if (error && error_size > 0)
                error[0] = '\0';

        /* Which form: LXC_HOOK_VERSION says it when present (LXC sets it since 3.0); without it,
         * whichever form is there. */
        if (version && strcmp(version, "0") == 0)
                h.version = 0;
        else if (version && strcmp(version, "1") == 0)
                h.version = 1;
        else if (version)
                return fail(error, error_size, "LXC_HOOK_VERSION='%s' is neither 0 nor 1.",
                            excerpt(version, buf));
        else if (env_lookup(envp, "LXC_HOOK_TYPE"))
                h.version = 1;
        else if (n_args > 0)
                h.version = 0;
        else
                return -ENOMSG;

        env_name = env_lookup(envp, "LXC_NAME");

        if (h.version == 0) {
                if (n_args < 3)
                        return fail(error, error_size,
                                    "Hook version 0 expects the arguments NAME SECTION TYPE, got %d argument%s.",
                                    n_args, n_args == 1 ? "" : "s");
                h.name = args[0];
                h.section = args[1];
                h.type_string = args[2];
                /* More arguments after TYPE are LXC's (the stop hook gets namespace paths). */
                if (env_name && strcmp(env_name, h.name) != 0)
                        return fail(error, error_size,
                                    "The container name argument '%s' differs from LXC_NAME.",
                                    excerpt(h.name, buf));
        } else {
                h.name = env_name;
                h.section = env_lookup(envp, "LXC_HOOK_SECTION");
                h.type_string = env_lookup(envp, "LXC_HOOK_TYPE");
                if (!h.type_string)
                        return fail(error, error_size, "Hook version 1 but LXC_HOOK_TYPE is not set.");
                if (!h.section)
                        return fail(error, error_size, "Hook version 1 but LXC_HOOK_SECTION is not set.");
        }

        if (!h.name)
                return fail(error, error_size, "LXC_NAME is not set.");
        if (!lxc_name_is_valid(h.name))
                return fail(error, error_size, "'%s' is not a valid container name.",
                            excerpt(h.name, buf));
        if (!word_is_valid(h.section))
                return fail(error, error_size, "Hook section '%s' is malformed.",
                            excerpt(h.section, buf));
        if (!word_is_valid(h.type_string))
                return fail(error, error_size, "Hook type '%s' is malformed.",
                            excerpt(h.type_string, buf));
        h.type = lxc_hook_type_from_string(h.type_string);

        s = env_lookup(envp, "LXC_PID");
        if (s) {
                if (parse_pid(s, &pid) < 0)
                        return fail(error, error_size, "LXC_PID='%s' is not a process ID.",
                                    excerpt(s, buf));
                h.pid = pid;
        }
        if (h.type == LXC_HOOK_START_HOST && h.pid == 0)
                return fail(error, error_size, "start-host hook without LXC_PID.");

        /* LXC_CONFIG_FILE and LXC_ROOTFS_MOUNT are not needed: a value we do not use must not
         * be able to fail the hook. */
        *ret = h;
        return 0;
}

const char *lxc_action_script_name(char *const *envp) {
        const char *name = env_lookup(envp, "LXC_NAME");

        return lxc_name_is_valid(name) ? name : NULL;
}
