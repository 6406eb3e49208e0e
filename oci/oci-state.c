/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_tree.h>

#include "macro.h"
#include "oci-state.h"
#include "proc-util.h"
#include "string-util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(yajl_val, yajl_tree_free);
#define _cleanup_yajl_val_ _cleanup_(yajl_tree_freep)


static const char *const status_names[] = {
        [OCI_STATUS_CREATING] = "creating",
        [OCI_STATUS_CREATED]  = "created",
        [OCI_STATUS_RUNNING]  = "running",
        [OCI_STATUS_STOPPED]  = "stopped",
};

const char *oci_status_to_string(OciStatus s) {
        if ((size_t) s < ELEMENTSOF(status_names) && status_names[s])
                return status_names[s];
        return "other";
}

static OciStatus status_from_string(const char *s) {
        for (size_t i = 0; i < ELEMENTSOF(status_names); i++)
                if (status_names[i] && strcmp(s, status_names[i]) == 0)
                        return (OciStatus) i;
        return OCI_STATUS_OTHER;
}

void oci_state_done(OciState *s) {
        free(s->oci_version);
        free(s->id);
        free(s->status_string);
        free(s->bundle);
        for (size_t i = 0; i < s->n_annotations; i++) {
                free(s->annotations[i].key);
                free(s->annotations[i].value);
        }
        free(s->annotations);
        *s = OCI_STATE_NULL;
}

const char *oci_state_annotation(const OciState *s, const char *key) {
        for (size_t i = 0; i < s->n_annotations; i++)
                if (strcmp(s->annotations[i].key, key) == 0)
                        return s->annotations[i].value;
        return NULL;
}

_printf_(2, 3)
static int fail(char **ret_error, const char *format, ...) {
        va_list ap;

        if (ret_error) {
                free(*ret_error);
                *ret_error = NULL;
                va_start(ap, format);
                if (vasprintf(ret_error, format, ap) < 0)
                        *ret_error = NULL;
                va_end(ap);
        }
        return -EINVAL;
}

/* Looks at the raw bytes before the parser does: the nesting depth (yajl's tree is built and
 * freed recursively, and a state never nests deeper than 2), NUL bytes and "\u0000" escapes
 * (yajl keeps strings NUL-terminated, so "ab\u0000cd" would silently become "ab"), and comments
 * (yajl's tree parser accepts them; JSON has none, and a quote inside one would throw this scan
 * off). Everything else is left to the parser. */
static int prescan(const char *buf, size_t len, char **ret_error) {
        bool in_string = false;
        unsigned depth = 0;

        for (size_t i = 0; i < len; i++) {
                char c = buf[i];

                if (c == '\0')
                        return fail(ret_error, "NUL byte at offset %zu", i);
                if (in_string) {
                        if (c == '"')
                                in_string = false;
                        else if (c == '\\') {
                                if (i + 1 < len && buf[i + 1] == 'u' && i + 5 < len &&
                                    memcmp(buf + i + 2, "0000", 4) == 0)
                                        return fail(ret_error, "\\u0000 in a string at offset %zu", i);
                                i++; /* whatever is escaped, it does not end the string */
                        }
                        continue;
                }
                switch (c) {
                case '"':
                        in_string = true;
                        break;
                case '[':
                case '{':
                        if (++depth > OCI_STATE_MAX_DEPTH) {
                                if (ret_error)
                                        (void) fail(ret_error, "nested deeper than %d levels",
                                                    OCI_STATE_MAX_DEPTH);
                                return -E2BIG;
                        }
                        break;
                case ']':
                case '}':
                        if (depth > 0)
                                depth--;
                        break;
                case '/':
                        return fail(ret_error, "comment at offset %zu: not JSON", i);
                default:
                        break;
                }
        }
        return 0;
}

/* yajl's error text is several lines, the later ones quoting the input with a caret under the
 * offending byte. The first line says what is wrong; the quote could carry anything. */
static int fail_parse(char **ret_error, const char *yajl_error) {
        size_t n = strcspn(yajl_error, "\r\n");

        while (n > 0 && (yajl_error[n - 1] == ' ' || yajl_error[n - 1] == '.'))
                n--;
        if (n == 0)
                return fail(ret_error, "malformed JSON");
        return fail(ret_error, "malformed JSON: %.*s", (int) n, yajl_error);
}

/* Input quoted in an error message: one line, nothing a terminal would interpret. */
static const char *excerpt(const char *s, char buf[static 68]) {
        return string_excerpt(s, 64, buf);
}

static int copy_string(const char *name, yajl_val v, size_t max, char **ret, char **ret_error) {
        const char *s = YAJL_GET_STRING(v);

        if (!s)
                return fail(ret_error, "\"%s\" must be a string", name);
        if (s[0] == '\0')
                return fail(ret_error, "\"%s\" is empty", name);
        if (strlen(s) > max)
                return fail(ret_error, "\"%s\" is longer than %zu bytes", name, max);
        if (string_has_control_chars(s))
                return fail(ret_error, "\"%s\" contains control characters", name);
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

/* A version as the runtime-spec writes them: "1.0.2", "1.0.2-dev". Only the shape is checked: a
 * hook that refused the next minor version would stop every container from starting. */
static bool version_is_valid(const char *s) {
        const char *p = s;
        unsigned dots = 0;

        if (!(*p >= '0' && *p <= '9'))
                return false;
        for (; *p && *p != '-' && *p != '+'; p++) {
                if (*p == '.') {
                        if (!(p[1] >= '0' && p[1] <= '9'))
                                return false;
                        dots++;
                } else if (!(*p >= '0' && *p <= '9'))
                        return false;
        }
        return dots >= 1;
}

/* The number as written, not yajl's conversion of it: "1e3", "12.0", "-4" and numbers too large
 * for any integer type are refused instead of being rounded, wrapped or clamped. */
static int parse_pid_value(yajl_val v, pid_t *ret, char **ret_error) {
        const char *r;
        long long pid = 0;

        if (!YAJL_IS_NUMBER(v))
                return fail(ret_error, "\"pid\" must be a number");
        r = YAJL_GET_NUMBER(v);
        if (!r || !*r)
                return fail(ret_error, "\"pid\" must be a number");
        for (const char *p = r; *p; p++) {
                if (!(*p >= '0' && *p <= '9'))
                        return fail(ret_error, "\"pid\" must be a positive integer, got %.32s", r);
                pid = pid * 10 + (*p - '0');
                if (pid > PID_MAX_LIMIT)
                        return fail(ret_error, "\"pid\" %.32s is out of range", r);
        }
        if (pid <= 0)
                return fail(ret_error, "\"pid\" must be a positive process ID, got %.32s", r);
        *ret = (pid_t) pid;
        return 0;
}

static int parse_annotations(yajl_val v, OciState *s, char **ret_error) {
        size_t n;

        if (YAJL_IS_NULL(v))
                return 0;
        if (!YAJL_IS_OBJECT(v))
                return fail(ret_error, "\"annotations\" must be an object");

        n = v->u.object.len;
        if (n == 0)
                return 0;
        s->annotations = calloc(n, sizeof(OciAnnotation));
        if (!s->annotations)
                return -ENOMEM;

        for (size_t i = 0; i < n; i++) {
                const char *key = v->u.object.keys[i];
                const char *value = YAJL_GET_STRING(v->u.object.values[i]);
                char quoted[68];

                if (!key || key[0] == '\0')
                        return fail(ret_error, "an annotation has an empty name");
                if (!value)
                        return fail(ret_error, "annotation \"%s\" must be a string",
                                    excerpt(key, quoted));
                if (oci_state_annotation(s, key))
                        return fail(ret_error, "annotation \"%s\" is given twice",
                                    excerpt(key, quoted));

                s->annotations[i].key = strdup(key);
                s->annotations[i].value = strdup(value);
                /* Counted before checking, so oci_state_done() frees a half-made pair. */
                s->n_annotations = i + 1;
                if (!s->annotations[i].key || !s->annotations[i].value)
                        return -ENOMEM;
        }
        return 0;
}

static int state_from_tree(yajl_val root, OciState *s, char **ret_error) {
        yajl_val version = NULL, id = NULL, status = NULL, pid = NULL, bundle = NULL,
                 annotations = NULL;
        int r;

        if (!YAJL_IS_OBJECT(root))
                return fail(ret_error, "the state is not a JSON object");

        for (size_t i = 0; i < root->u.object.len; i++) {
                static const char *const names[] = {
                        "ociVersion", "id", "status", "pid", "bundle", "annotations",
                };
                yajl_val *slots[] = { &version, &id, &status, &pid, &bundle, &annotations };
                const char *key = root->u.object.keys[i];

                for (size_t k = 0; k < ELEMENTSOF(names); k++) {
                        if (!key || strcmp(key, names[k]) != 0)
                                continue;
                        /* yajl keeps both copies of a repeated member; which one a runtime
                         * meant is anybody's guess. */
                        if (*slots[k])
                                return fail(ret_error, "\"%s\" is given twice", names[k]);
                        *slots[k] = root->u.object.values[i];
                }
        }

        if (!version)
                return fail(ret_error, "missing \"ociVersion\"");
        r = copy_string("ociVersion", version, 64, &s->oci_version, ret_error);
        if (r < 0)
                return r;
        if (!version_is_valid(s->oci_version))
                return fail(ret_error, "\"ociVersion\" is not a version: %.64s", s->oci_version);

        if (!id)
                return fail(ret_error, "missing \"id\"");
        r = copy_string("id", id, OCI_STATE_ID_MAX, &s->id, ret_error);
        if (r < 0)
                return r;

        if (!status)
                return fail(ret_error, "missing \"status\"");
        r = copy_string("status", status, 64, &s->status_string, ret_error);
        if (r < 0)
                return r;
        s->status = status_from_string(s->status_string);

        if (!pid)
                return fail(ret_error, "missing \"pid\"");
        r = parse_pid_value(pid, &s->pid, ret_error);
        if (r < 0)
                return r;

        if (!bundle)
                return fail(ret_error, "missing \"bundle\"");
        r = copy_string("bundle", bundle, PATH_MAX - 1, &s->bundle, ret_error);
        if (r < 0)
                return r;
        if (s->bundle[0] != '/')
                return fail(ret_error, "\"bundle\" is not an absolute path");

        if (annotations) {
                r = parse_annotations(annotations, s, ret_error);
                if (r < 0)
                        return r;
        }
        return 0;
}

int oci_state_parse(const char *buf, size_t len, OciState *ret, char **ret_error) {
        _cleanup_(oci_state_done) OciState s = OCI_STATE_NULL;
        _cleanup_yajl_val_ yajl_val root = NULL;
        _cleanup_free_ char *text = NULL;
        char errbuf[256] = "";
        int r;

        if (ret_error)
                *ret_error = NULL;

        if (len > OCI_STATE_MAX_SIZE) {
                if (ret_error)
                        (void) fail(ret_error, "larger than %d bytes", OCI_STATE_MAX_SIZE);
                return -E2BIG;
        }
        if (len == 0 || !buf)
                return fail(ret_error, "empty input");

        r = prescan(buf, len, ret_error);
        if (r < 0)
                return r;

        /* yajl_tree_parse() wants a C string. */
        text = malloc(len + 1);
        if (!text)
                return -ENOMEM;
        memcpy(text, buf, len);
        text[len] = '\0';

        root = yajl_tree_parse(text, errbuf, sizeof errbuf);
        if (!root)
                return fail_parse(ret_error, errbuf);

        r = state_from_tree(root, &s, ret_error);
        if (r == -ENOMEM && ret_error) {
                free(*ret_error);
                *ret_error = strdup("out of memory");
        }
        if (r < 0)
                return r;

        *ret = s;
        s = OCI_STATE_NULL;
        return 0;
}

int oci_state_read(int fd, usec_t deadline, char **ret, size_t *ret_len) {
        _cleanup_free_ char *buf = NULL;
        size_t used = 0;

        /* One byte more than allowed, to tell "exactly the limit" from "too large". */
        buf = malloc(OCI_STATE_MAX_SIZE + 2);
        if (!buf)
                return -ENOMEM;

        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t n;
                int k;

                k = poll(&p, 1, usec_to_poll_timeout(usec_until(deadline)));
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        return -ETIMEDOUT;
                if (p.revents & POLLNVAL)
                        return -EBADF;

                n = read(fd, buf + used, OCI_STATE_MAX_SIZE + 1 - used);
                if (n < 0) {
                        if (errno == EINTR || errno == EAGAIN)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                used += (size_t) n;
                if (used > OCI_STATE_MAX_SIZE)
                        return -E2BIG;
        }

        buf[used] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_len = used;
        return 0;
}
