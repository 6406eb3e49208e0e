/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "psi-trigger.h"

static const char *const resource_names[_PSI_RESOURCE_MAX] = {
        [PSI_RESOURCE_CPU] = "cpu",
        [PSI_RESOURCE_IO] = "io",
        [PSI_RESOURCE_MEMORY] = "memory",
        [PSI_RESOURCE_IRQ] = "irq",
};

const char *psi_resource_to_string(PsiResource r) {
        return r >= 0 && r < _PSI_RESOURCE_MAX ? resource_names[r] : "?";
}

static PsiResource resource_from_name(const char *s, size_t n) {
        for (PsiResource r = 0; r < _PSI_RESOURCE_MAX; r++)
                if (strlen(resource_names[r]) == n && strncmp(s, resource_names[r], n) == 0)
                        return r;
        return PSI_RESOURCE_NONE;
}

PsiFileKind psi_file_classify(const char *path, PsiResource *ret_resource) {
        const char *base, *dot;
        PsiResource r;

        *ret_resource = PSI_RESOURCE_NONE;
        if (!path || path[0] != '/')
                return PSI_FILE_NONE;
        base = strrchr(path, '/') + 1;

        /* ".../pressure/RESOURCE": procfs, wherever the container mounted it. */
        if ((size_t) (base - path) >= strlen("/pressure/") &&
            strncmp(base - strlen("/pressure/"), "/pressure/", strlen("/pressure/")) == 0) {
                r = resource_from_name(base, strlen(base));
                if (r != PSI_RESOURCE_NONE) {
                        *ret_resource = r;
                        return PSI_FILE_PROC;
                }
        }

        /* "RESOURCE.pressure": a cgroup v2 file. */
        dot = strchr(base, '.');
        if (dot && strcmp(dot, ".pressure") == 0) {
                r = resource_from_name(base, (size_t) (dot - base));
                if (r != PSI_RESOURCE_NONE) {
                        *ret_resource = r;
                        return PSI_FILE_CGROUP;
                }
        }
        return PSI_FILE_NONE;
}

static bool parse_usec(const char **p, uint64_t *ret) {
        uint64_t v = 0;
        const char *s = *p;

        if (*s < '0' || *s > '9')
                return false;
        for (; *s >= '0' && *s <= '9'; s++) {
                if (v > (UINT64_MAX - 9) / 10)
                        return false;
                v = v * 10 + (uint64_t) (*s - '0');
        }
        *p = s;
        *ret = v;
        return true;
}

bool psi_trigger_valid(const char *text) {
        const char *p = text;
        uint64_t stall, window;

        if (!text || strnlen(text, PSI_TRIGGER_MAX) >= PSI_TRIGGER_MAX)
                return false;
        if (strncmp(p, "some ", 5) == 0 || strncmp(p, "full ", 5) == 0)
                p += 5;
        else
                return false;
        if (!parse_usec(&p, &stall) || *p++ != ' ' || !parse_usec(&p, &window) || *p != '\0')
                return false;
        /* The kernel's limits (kernel/sched/psi.c): a window of 500 ms to 10 s, and a stall
         * threshold that fits in it. */
        return window >= 500000 && window <= 10000000 && stall > 0 && stall <= window;
}

static int base64_value(char c) {
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '+')
                return 62;
        if (c == '/')
                return 63;
        return -1;
}

int base64_decode_string(const char *in, char *ret, size_t size) {
        size_t len = strlen(in), out = 0, pad = 0;
        uint32_t acc = 0;
        unsigned bits = 0;

        while (len > 0 && in[len - 1] == '=') {
                len--;
                pad++;
        }
        if (pad > 2 || (pad > 0 && (len + pad) % 4 != 0) || len % 4 == 1)
                return -EINVAL;

        for (size_t i = 0; i < len; i++) {
                int v = base64_value(in[i]);

                if (v < 0)
                        return -EINVAL;
                acc = (acc << 6) | (uint32_t) v;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        if (out + 1 >= size)
                                return -ENOBUFS;
                        ret[out++] = (char) ((acc >> bits) & 0xff);
                }
        }
        /* Leftover bits must be zero, or the text was not produced by an encoder. */
        if ((acc & ((1u << bits) - 1)) != 0)
                return -EINVAL;
        if (out + 1 > size)
                return -ENOBUFS;
        /* systemd encodes the trigger with its terminating NUL, which the kernel needs. */
        if (out > 0 && ret[out - 1] == '\0')
                out--;
        ret[out] = '\0';
        /* A NUL inside would cut the trigger short without saying so. */
        return strlen(ret) == out ? 0 : -EINVAL;
}

static const char *environ_lookup(const char *environ, size_t size, const char *key) {
        size_t klen = strlen(key);

        for (size_t i = 0; i < size;) {
                const char *entry = environ + i;
                size_t n = strnlen(entry, size - i);

                /* The last entry may be cut off by a bounded read: only whole ones count. */
                if (i + n >= size)
                        break;
                if (n > klen && strncmp(entry, key, klen) == 0 && entry[klen] == '=')
                        return entry + klen + 1;
                i += n + 1;
        }
        return NULL;
}

int psi_trigger_from_environ(const char *environ, size_t size, const char *watched_path,
                             char *ret, size_t ret_size) {
        const char *watch, *write;
        char text[PSI_TRIGGER_MAX];
        int r;

        watch = environ_lookup(environ, size, "MEMORY_PRESSURE_WATCH");
        if (!watch || !watched_path || strcmp(watch, watched_path) != 0)
                return 0;
        write = environ_lookup(environ, size, "MEMORY_PRESSURE_WRITE");
        if (!write)
                return 0;

        r = base64_decode_string(write, text, sizeof text);
        if (r < 0)
                return r;
        if (!psi_trigger_valid(text))
                return -EINVAL;
        if (strlen(text) >= ret_size)
                return -ENOBUFS;
        strcpy(ret, text);
        return 1;
}
