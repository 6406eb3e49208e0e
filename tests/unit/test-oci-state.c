/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The OCI state parser: what runtimes really write is accepted, everything else is refused with
 * a one-line message, and no input makes it misbehave (run under ASan/UBSan by make
 * check-sanitize). */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci-state.h"
#include "tap.h"

#define VALID_STATE                                                                             \
        "{\"ociVersion\":\"1.0.2-dev\",\"id\":\"arh-oci-1\",\"status\":\"creating\","           \
        "\"pid\":4242,\"bundle\":\"/var/tmp/b\"}"

/* Parses a C string; returns what oci_state_parse() returned and checks the error contract:
 * on failure a message exists and is a single line. */
static int parse(const char *text, OciState *ret, char **ret_error) {
        OciState s = OCI_STATE_NULL;
        char *error = NULL;
        int r;

        r = oci_state_parse(text, strlen(text), &s, &error);
        if (r < 0 && (!error || strchr(error, '\n'))) {
                printf("# bad error message for %.60s: %s\n", text, error ?: "(null)");
                r = -EPROTO;
        }
        if (r == 0 && error)
                r = -EPROTO;
        if (ret && r == 0)
                *ret = s;
        else
                oci_state_done(&s);
        if (ret_error)
                *ret_error = error;
        else
                free(error);
        return r;
}

static bool refused(const char *text, const char *expected_message_part) {
        char *error = NULL;
        bool ok;
        int r = parse(text, NULL, &error);

        ok = r == -EINVAL && error && (!expected_message_part || strstr(error, expected_message_part));
        if (!ok)
                printf("#   r=%d error='%s'\n", r, error ?: "(null)");
        free(error);
        return ok;
}

static void test_valid(void) {
        OciState s = OCI_STATE_NULL;
        int r;

        r = parse(VALID_STATE, &s, NULL);
        check_int(r, 0, "minimal valid state");
        check_str(s.oci_version, "1.0.2-dev", "ociVersion");
        check_str(s.id, "arh-oci-1", "id");
        check_int(s.status, OCI_STATUS_CREATING, "status creating");
        check_int(s.pid, 4242, "pid");
        check_str(s.bundle, "/var/tmp/b", "bundle");
        check_int(s.n_annotations, 0, "no annotations");
        oci_state_done(&s);

        /* What runc 1.1.5 writes during a restore, member order and extras included. */
        r = parse("{\"ociVersion\":\"1.0.2-dev\",\"id\":\"arh-oci-runc\",\"pid\":12958,"
                  "\"status\":\"stopped\",\"bundle\":\"/var/tmp/autofs-restore-hook/bundles/x\","
                  "\"annotations\":{\"org.criu.config\":\"/tmp/criu.conf\","
                  "\"org.autofs-restore-hook.restore\":\"true\"}}",
                  &s, NULL);
        check_int(r, 0, "runc restore state");
        check_int(s.status, OCI_STATUS_STOPPED, "status stopped");
        check_int(s.n_annotations, 2, "two annotations");
        check_str(oci_state_annotation(&s, "org.criu.config"), "/tmp/criu.conf", "annotation value");
        check(oci_state_annotation(&s, "missing") == NULL, "missing annotation is NULL");
        oci_state_done(&s);

        r = parse(" \n\t{\"ociVersion\":\"1.0.0\",\"id\":\"p\",\"status\":\"paused\",\"pid\":1,"
                  "\"bundle\":\"/\",\"annotations\":null,\"extra\":{\"a\":[1,2,{\"b\":null}]},"
                  "\"rootfs\":\"/x\"} \n",
                  &s, NULL);
        check_int(r, 0, "whitespace, unknown members, null annotations");
        check_int(s.status, OCI_STATUS_OTHER, "runtime's own status is OTHER");
        check_str(s.status_string, "paused", "status string kept");
        oci_state_done(&s);

        /* What crun 1.8.1 writes at createRuntime: a two-part version and members of its own. */
        r = parse("{\"ociVersion\":\"1.0\",\"id\":\"arh-oci-crun\",\"pid\":31774,\"root\":\"rootfs\","
                  "\"bundle\":\"/var/tmp/b\",\"status\":\"created\",\"created\":\"2026-11-23T20:31:04Z\","
                  "\"systemd-scope\":\"\",\"owner\":\"root\"}", &s, NULL);
        check_int(r, 0, "crun state");
        check_int(s.status, OCI_STATUS_CREATED, "status created");
        oci_state_done(&s);

        r = parse("{\"ociVersion\":\"1.0.2\",\"id\":\"caf\\u00e9\",\"status\":\"running\",\"pid\":4194304,"
                  "\"bundle\":\"/b\",\"annotations\":{}}", &s, NULL);
        check_int(r, 0, "escaped UTF-8 in id, PID_MAX_LIMIT, empty annotations");
        check_str(s.id, "caf\xc3\xa9", "unicode escape decoded");
        check_int(s.pid, 4194304, "largest pid");
        oci_state_done(&s);

        /* The buffer is taken by length: bytes after len are not part of the input. */
        {
                char buf[] = VALID_STATE "garbage{[";
                char *error = NULL;

                r = oci_state_parse(buf, strlen(VALID_STATE), &s, &error);
                check_int(r, 0, "only len bytes are read");
                oci_state_done(&s);
                free(error);
        }
}

static void test_malformed(void) {
        check(refused("{", "malformed JSON"), "unterminated object");
        check(refused("[1,2", "malformed JSON"), "unterminated array");
        check(refused("{\"id\":}", "malformed JSON"), "missing value");
        check(refused("{\"a\":1,}", "malformed JSON"), "trailing comma");
        check(refused("{'id':'x'}", "malformed JSON"), "single quotes");
        check(refused(VALID_STATE "{}", "malformed JSON"), "two documents");
        check(refused(VALID_STATE "x", "malformed JSON"), "trailing garbage");
        check(refused("\xff\xfe{}", "malformed JSON"), "binary garbage");
        check(refused("{\"id\":\"\xc3\x28\"}", "malformed JSON"), "invalid UTF-8 in a string");
        check(refused("{\"id\":\"a\x01\"}", "malformed JSON"), "raw control character in a string");
        check(refused("   ", NULL), "whitespace only");
        check(refused("/* x */" VALID_STATE, "comment"), "comment before the state");
        check(refused("{\"ociVersion\":\"1.0.2\",\"id\":\"a\",\"status\":\"creating\",\"pid\":1,"
                      "\"bundle\":\"/b\"// c\n}", "comment"), "line comment");
        check(refused("{\"ociVersion\":\"1.0.2\",\"id\":\"a\\u0000b\",\"status\":\"creating\",\"pid\":1,"
                      "\"bundle\":\"/b\"}", "u0000"), "\\u0000 escape");

        {
                static const char text[] = "{\"ociVersion\":\"1.0.2\",\"id\":\"a\0b\"}";
                OciState s = OCI_STATE_NULL;
                char *error = NULL;
                int r = oci_state_parse(text, sizeof text - 1, &s, &error);

                check(r == -EINVAL && error && strstr(error, "NUL"), "NUL byte in the input");
                free(error);
        }
        {
                OciState s = OCI_STATE_NULL;
                char *error = NULL;
                int r = oci_state_parse("", 0, &s, &error);

                check(r == -EINVAL && error && strstr(error, "empty"), "empty input");
                free(error);
                r = oci_state_parse(NULL, 0, &s, NULL);
                check_int(r, -EINVAL, "NULL input, no error pointer");
        }
}

static void test_not_an_object(void) {
        check(refused("[]", "not a JSON object"), "array");
        check(refused("\"state\"", "not a JSON object"), "string");
        check(refused("42", "not a JSON object"), "number");
        check(refused("null", "not a JSON object"), "null");
        check(refused("true", "not a JSON object"), "true");
        check(refused("[" VALID_STATE "]", "not a JSON object"), "state inside an array");
}

static void test_missing(void) {
        check(refused("{\"id\":\"a\",\"status\":\"creating\",\"pid\":1,\"bundle\":\"/b\"}",
                      "missing \"ociVersion\""), "missing ociVersion");
        check(refused("{\"ociVersion\":\"1.0.2\",\"status\":\"creating\",\"pid\":1,\"bundle\":\"/b\"}",
                      "missing \"id\""), "missing id");
        check(refused("{\"ociVersion\":\"1.0.2\",\"id\":\"a\",\"pid\":1,\"bundle\":\"/b\"}",
                      "missing \"status\""), "missing status");
        check(refused("{\"ociVersion\":\"1.0.2\",\"id\":\"a\",\"status\":\"creating\",\"bundle\":\"/b\"}",
                      "missing \"pid\""), "missing pid");
        check(refused("{\"ociVersion\":\"1.0.2\",\"id\":\"a\",\"status\":\"creating\",\"pid\":1}",
                      "missing \"bundle\""), "missing bundle");
        check(refused("{}", "missing"), "empty object");
        check(refused("{\"ociversion\":\"1.0.2\",\"ID\":\"a\",\"status\":\"creating\",\"pid\":1,"
                      "\"bundle\":\"/b\"}", "missing"), "member names are case-sensitive");
}

#define STATE_WITH(version, id, status, pid, bundle)                                    \
        "{\"ociVersion\":" version ",\"id\":" id ",\"status\":" status ",\"pid\":" pid  \
        ",\"bundle\":" bundle "}"

static void test_wrong_types(void) {
        check(refused(STATE_WITH("1", "\"a\"", "\"creating\"", "1", "\"/b\""), "\"ociVersion\" must be a string"),
              "ociVersion number");
        check(refused(STATE_WITH("\"abc\"", "\"a\"", "\"creating\"", "1", "\"/b\""), "not a version"),
              "ociVersion not a version");
        check(refused(STATE_WITH("\"1\"", "\"a\"", "\"creating\"", "1", "\"/b\""), "not a version"),
              "ociVersion without a dot");
        check(refused(STATE_WITH("\"\"", "\"a\"", "\"creating\"", "1", "\"/b\""), "empty"),
              "ociVersion empty");
        check(refused(STATE_WITH("\"1.0.2\"", "17", "\"creating\"", "1", "\"/b\""), "\"id\" must be a string"),
              "id number");
        check(refused(STATE_WITH("\"1.0.2\"", "\"\"", "\"creating\"", "1", "\"/b\""), "\"id\" is empty"),
              "id empty");
        check(refused(STATE_WITH("\"1.0.2\"", "\"a\\nb\"", "\"creating\"", "1", "\"/b\""), "control characters"),
              "id with an escaped newline");
        check(refused(STATE_WITH("\"1.0.2\"", "\"a\\u001bb\"", "\"creating\"", "1", "\"/b\""), "control characters"),
              "id with an escape character");
        check(refused(STATE_WITH("\"1.0.2\"", "[\"a\"]", "\"creating\"", "1", "\"/b\""), "must be a string"),
              "id array");
        check(refused(STATE_WITH("\"1.0.2\"", "\"a\"", "null", "1", "\"/b\""), "\"status\" must be a string"),
              "status null");
        check(refused(STATE_WITH("\"1.0.2\"", "\"a\"", "\"creating\"", "\"1\"", "\"/b\""), "\"pid\" must be a number"),
              "pid string");
        check(refused(STATE_WITH("\"1.0.2\"", "\"a\"", "\"creating\"", "true", "\"/b\""), "\"pid\" must be a number"),
              "pid boolean");
        check(refused(STATE_WITH("\"1.0.2\"", "\"a\"", "\"creating\"", "null", "\"/b\""), "\"pid\" must be a number"),
              "pid null");
        check(refused(STATE_WITH("\"1.0.2\"", "\"a\"", "\"creating\"", "{}", "\"/b\""), "\"pid\" must be a number"),
              "pid object");
        check(refused(STATE_WITH("\"1.0.2\"", "\"a\"", "\"creating\"", "1.5", "\"/b\""), "positive integer"),
              "pid fraction");
        check(refused(STATE_WITH("\"1.0.2\"", "\"a\"", "\"creating\"", "12.0", "\"/b\""), "positive integer"),
              "pid written with a fraction");
        check(refused(STATE_WITH("\"1.0.2\"", "\"a\"", "\"creating\"", "1e3", "\"/b\""), "positive integer"),
              "pid with an exponent");
        check(refused(STATE_WITH("\"1.0.2\"", "\"a\"", "\"creating\"", "-5", "\"/b\""), "positive integer"),
              "negative pid");
        check(refused(STATE_WITH("\"1.0.2\"", "\"a\"", "\"creating\"", "0", "\"/b\""), "positive process ID"),
              "pid 0");
        check(refused(STATE_WITH("\"1.0.2\"", "\"a\"", "\"creating\"", "1", "7"), "\"bundle\" must be a string"),
              "bundle number");
        check(refused(STATE_WITH("\"1.0.2\"", "\"a\"", "\"creating\"", "1", "\"rel/b\""), "absolute"),
              "bundle relative");
        check_int(parse(VALID_STATE, NULL, NULL), 0, "(control) the unmodified state is accepted");

        check(refused("{\"ociVersion\":\"1.0.2\",\"id\":\"a\",\"status\":\"creating\",\"pid\":1,"
                      "\"bundle\":\"/b\",\"annotations\":[\"a=b\"]}", "\"annotations\" must be an object"),
              "annotations array");
        check(refused("{\"ociVersion\":\"1.0.2\",\"id\":\"a\",\"status\":\"creating\",\"pid\":1,"
                      "\"bundle\":\"/b\",\"annotations\":\"a=b\"}", "\"annotations\" must be an object"),
              "annotations string");
        check(refused("{\"ociVersion\":\"1.0.2\",\"id\":\"a\",\"status\":\"creating\",\"pid\":1,"
                      "\"bundle\":\"/b\",\"annotations\":{\"k\":1}}", "annotation \"k\" must be a string"),
              "annotation value number");
        check(refused("{\"ociVersion\":\"1.0.2\",\"id\":\"a\",\"status\":\"creating\",\"pid\":1,"
                      "\"bundle\":\"/b\",\"annotations\":{\"k\":null}}", "must be a string"),
              "annotation value null");
        check(refused("{\"ociVersion\":\"1.0.2\",\"id\":\"a\",\"status\":\"creating\",\"pid\":1,"
                      "\"bundle\":\"/b\",\"annotations\":{\"\":\"v\"}}", "empty name"),
              "annotation with an empty name");
        check(refused("{\"ociVersion\":\"1.0.2\",\"id\":\"a\",\"status\":\"creating\",\"pid\":1,"
                      "\"bundle\":\"/b\",\"annotations\":{\"k\\n\\u001b[31m\":2}}", "\"k??[31m\""),
              "control characters in a quoted annotation name are masked");
}

static void test_huge_numbers(void) {
        check(refused(STATE_WITH("\"1.0.2\"", "\"a\"", "\"creating\"", "4194305", "\"/b\""), "out of range"),
              "pid above PID_MAX_LIMIT");
        check(refused(STATE_WITH("\"1.0.2\"", "\"a\"", "\"creating\"", "2147483648", "\"/b\""), "out of range"),
              "pid above INT_MAX");
        check(refused(STATE_WITH("\"1.0.2\"", "\"a\"", "\"creating\"", "18446744073709551617", "\"/b\""),
                      "out of range"),
              "pid above UINT64_MAX");
        check(refused(STATE_WITH("\"1.0.2\"", "\"a\"", "\"creating\"",
                                 "99999999999999999999999999999999999999999999999999999999999999999999",
                                 "\"/b\""), "out of range"),
              "pid with 68 digits");
        check(refused(STATE_WITH("\"1.0.2\"", "\"a\"", "\"creating\"", "1e999", "\"/b\""), "positive integer"),
              "pid overflowing a double");
        check(refused(STATE_WITH("\"1.0.2\"", "\"a\"", "\"creating\"", "-9223372036854775809", "\"/b\""),
                      "positive integer"),
              "pid below INT64_MIN");
}

static char *repeat(const char *head, char c, size_t n, const char *tail) {
        size_t h = strlen(head), t = strlen(tail);
        char *s = malloc(h + n + t + 1);

        memcpy(s, head, h);
        memset(s + h, c, n);
        memcpy(s + h + n, tail, t + 1);
        return s;
}

static void test_size_and_depth(void) {
        OciState s = OCI_STATE_NULL;
        char *text, *error = NULL;
        int r;

        /* Exactly the limit: a valid state padded with spaces. */
        text = repeat(VALID_STATE, ' ', OCI_STATE_MAX_SIZE - strlen(VALID_STATE), "");
        r = oci_state_parse(text, strlen(text), &s, &error);
        check_int(r, 0, "state of exactly %d bytes", OCI_STATE_MAX_SIZE);
        oci_state_done(&s);
        free(text);
        free(error);

        text = repeat(VALID_STATE, ' ', OCI_STATE_MAX_SIZE + 1 - strlen(VALID_STATE), "");
        r = oci_state_parse(text, strlen(text), &s, &error);
        check(r == -E2BIG && error && strstr(error, "larger than"), "one byte over the limit");
        free(text);
        free(error);

        text = repeat("", '[', 5 * 1024 * 1024, "");
        r = oci_state_parse(text, strlen(text), &s, &error);
        check_int(r, -E2BIG, "5 MiB of brackets");
        free(text);
        free(error);

        /* Depth: refused before the parser, whatever the size. */
        text = repeat("{\"x\":", '[', OCI_STATE_MAX_DEPTH, "");
        r = oci_state_parse(text, strlen(text), &s, &error);
        check(r == -E2BIG && error && strstr(error, "nested deeper"), "nested deeper than the limit");
        free(text);
        free(error);

        text = repeat("", '[', 60000, "");
        r = oci_state_parse(text, strlen(text), &s, &error);
        check(r == -E2BIG && error && strstr(error, "nested deeper"), "60000 open brackets");
        free(text);
        free(error);

        /* Brackets inside strings do not count; escaped quotes do not end a string. */
        text = repeat("{\"ociVersion\":\"1.0.2\",\"id\":\"a\\\"", '[', 100,
                      "\",\"status\":\"creating\",\"pid\":1,\"bundle\":\"/b\"}");
        r = oci_state_parse(text, strlen(text), &s, &error);
        check_int(r, 0, "brackets inside a string with an escaped quote");
        oci_state_done(&s);
        free(text);
        free(error);

        /* Nested garbage below an unknown member is ignored, as long as it is shallow enough. */
        r = parse("{\"ociVersion\":\"1.0.2\",\"id\":\"a\",\"status\":\"creating\",\"pid\":1,\"bundle\":\"/b\","
                  "\"junk\":[[[[[[[[[[{\"a\":[{},{\"b\":[true,false,null,1.5e300]}]}]]]]]]]]]]}", &s, NULL);
        check_int(r, 0, "shallow nested garbage in an unknown member");
        oci_state_done(&s);

        check(refused("{\"ociVersion\":\"1.0.2\",\"id\":\"a\",\"status\":\"creating\",\"pid\":1,"
                      "\"bundle\":\"/b\",\"annotations\":{\"k\":{\"nested\":[\"v\"]}}}", "must be a string"),
              "nested garbage as an annotation value");
        check(refused("{\"ociVersion\":\"1.0.2\",\"id\":{\"id\":\"a\"},\"status\":\"creating\",\"pid\":1,"
                      "\"bundle\":\"/b\"}", "must be a string"),
              "nested object as id");

        /* An id longer than the limit. */
        text = repeat("{\"ociVersion\":\"1.0.2\",\"id\":\"", 'i', OCI_STATE_ID_MAX + 1,
                      "\",\"status\":\"creating\",\"pid\":1,\"bundle\":\"/b\"}");
        check(refused(text, "longer than"), "id longer than %d bytes", OCI_STATE_ID_MAX);
        free(text);

        /* Each string's limit, both sides. */
        text = repeat("{\"ociVersion\":\"1.0.2\",\"id\":\"", 'i', OCI_STATE_ID_MAX,
                      "\",\"status\":\"creating\",\"pid\":1,\"bundle\":\"/b\"}");
        r = parse(text, &s, NULL);
        check_int(r, 0, "id of exactly %d bytes", OCI_STATE_ID_MAX);
        check_int(r == 0 ? strlen(s.id) : 0, OCI_STATE_ID_MAX, "kept whole");
        oci_state_done(&s);
        free(text);

        text = repeat("{\"ociVersion\":\"1.0.2\",\"id\":\"a\",\"status\":\"", 's', 64,
                      "\",\"pid\":1,\"bundle\":\"/b\"}");
        r = parse(text, &s, NULL);
        check_int(r, 0, "status of exactly 64 bytes");
        check(r == 0 && s.status == OCI_STATUS_OTHER, "an unknown status");
        oci_state_done(&s);
        free(text);
        text = repeat("{\"ociVersion\":\"1.0.2\",\"id\":\"a\",\"status\":\"", 's', 65,
                      "\",\"pid\":1,\"bundle\":\"/b\"}");
        check(refused(text, "longer than"), "status of 65 bytes");
        free(text);

        text = repeat("{\"ociVersion\":\"1.0.", '0', 64 - 4,
                      "\",\"id\":\"a\",\"status\":\"creating\",\"pid\":1,\"bundle\":\"/b\"}");
        r = parse(text, &s, NULL);
        check_int(r, 0, "ociVersion of exactly 64 bytes");
        oci_state_done(&s);
        free(text);
        text = repeat("{\"ociVersion\":\"1.0.", '0', 64 - 3,
                      "\",\"id\":\"a\",\"status\":\"creating\",\"pid\":1,\"bundle\":\"/b\"}");
        check(refused(text, "longer than"), "ociVersion of 65 bytes");
        free(text);

        text = repeat("{\"ociVersion\":\"1.0.2\",\"id\":\"a\",\"status\":\"creating\",\"pid\":1,\"bundle\":\"/",
                      'b', PATH_MAX - 2, "\"}");
        r = parse(text, &s, NULL);
        check_int(r, 0, "bundle of exactly %d bytes", PATH_MAX - 1);
        oci_state_done(&s);
        free(text);
        text = repeat("{\"ociVersion\":\"1.0.2\",\"id\":\"a\",\"status\":\"creating\",\"pid\":1,\"bundle\":\"/",
                      'b', PATH_MAX - 1, "\"}");
        check(refused(text, "longer than"), "bundle of %d bytes", PATH_MAX);
        free(text);
}

static void test_duplicates(void) {
        check(refused("{\"ociVersion\":\"1.0.2\",\"id\":\"a\",\"status\":\"creating\",\"pid\":1,\"pid\":2,"
                      "\"bundle\":\"/b\"}", "\"pid\" is given twice"), "pid given twice");
        check(refused("{\"ociVersion\":\"1.0.2\",\"id\":\"a\",\"status\":\"creating\",\"pid\":1,"
                      "\"bundle\":\"/b\",\"status\":\"stopped\"}", "\"status\" is given twice"),
              "status given twice");
        check(refused("{\"ociVersion\":\"1.0.2\",\"id\":\"a\",\"status\":\"creating\",\"pid\":1,"
                      "\"bundle\":\"/b\",\"annotations\":{\"k\":\"1\",\"k\":\"2\"}}", "given twice"),
              "annotation given twice");
}

/* Deterministic mutations of a valid state: every result is either a state or a one-line error,
 * never a crash or a leak (ASan checks both in make check-sanitize). */
static void test_mutations(void) {
        static const char base[] =
                "{\"ociVersion\":\"1.0.2-dev\",\"id\":\"arh-oci-fuzz\",\"status\":\"stopped\",\"pid\":77,"
                "\"bundle\":\"/var/tmp/b\",\"annotations\":{\"org.autofs-restore-hook.restore\":\"true\","
                "\"x\":\"\\u00e9\\\\\\\"\"}}";
        static const char alphabet[] = "{}[]\",:\\u0123456789eE+-.tfn \n\x01\x80\xff\0/*";
        unsigned seed = 12345, accepted = 0, rejected = 0, broken = 0;
        char buf[sizeof base + 16];

        for (unsigned i = 0; i < 50000; i++) {
                size_t len = sizeof base - 1;
                OciState s = OCI_STATE_NULL;
                char *error = NULL;
                int r;

                memcpy(buf, base, len);
                for (unsigned m = 0; m <= (i % 4); m++) {
                        seed = seed * 1103515245u + 12345u;
                        size_t pos = (seed >> 8) % len;
                        seed = seed * 1103515245u + 12345u;
                        char c = alphabet[(seed >> 8) % (sizeof alphabet - 1)];
                        switch ((seed >> 20) % 3) {
                        case 0: /* replace */
                                buf[pos] = c;
                                break;
                        case 1: /* delete */
                                memmove(buf + pos, buf + pos + 1, len - pos - 1);
                                len--;
                                break;
                        default: /* insert */
                                if (len < sizeof buf) {
                                        memmove(buf + pos + 1, buf + pos, len - pos);
                                        buf[pos] = c;
                                        len++;
                                }
                                break;
                        }
                }

                r = oci_state_parse(buf, len, &s, &error);
                if (r == 0 && !error && s.id && s.bundle && s.pid > 0)
                        accepted++;
                else if (r < 0 && error && !strchr(error, '\n'))
                        rejected++;
                else
                        broken++;
                oci_state_done(&s);
                free(error);
        }
        printf("# mutations: %u accepted, %u rejected\n", accepted, rejected);
        check(broken == 0, "50000 mutated states: each one parsed or refused with a one-line error");
        check(accepted > 0 && rejected > 0, "mutations reach both outcomes");
}

static void test_read(void) {
        char *text = NULL;
        size_t len = 0;
        int p[2], r;

        (void) !pipe(p);
        (void) !write(p[1], VALID_STATE, strlen(VALID_STATE));
        close(p[1]);
        r = oci_state_read(p[0], now_usec(CLOCK_MONOTONIC) + USEC_PER_SEC, &text, &len);
        check(r == 0 && len == strlen(VALID_STATE) && text && strcmp(text, VALID_STATE) == 0,
              "read a state from a pipe to EOF");
        free(text);
        text = NULL;
        close(p[0]);

        /* A writer that never closes: the deadline ends the wait. */
        (void) !pipe(p);
        (void) !write(p[1], "{", 1);
        {
                usec_t start = now_usec(CLOCK_MONOTONIC);
                r = oci_state_read(p[0], start + 200 * USEC_PER_MSEC, &text, &len);
                check(r == -ETIMEDOUT && now_usec(CLOCK_MONOTONIC) - start < 2 * USEC_PER_SEC,
                      "stdin never closed: -ETIMEDOUT at the deadline");
        }
        close(p[0]);
        close(p[1]);

        /* A writer that sends more than the limit is cut off without reading it all. */
        (void) !pipe(p);
        pid_t pid = fork();
        if (pid == 0) {
                char chunk[4096];
                close(p[0]);
                memset(chunk, ' ', sizeof chunk);
                for (int i = 0; i < 64; i++)
                        if (write(p[1], chunk, sizeof chunk) < 0)
                                break;
                _exit(0);
        }
        close(p[1]);
        r = oci_state_read(p[0], now_usec(CLOCK_MONOTONIC) + 5 * USEC_PER_SEC, &text, &len);
        check_int(r, -E2BIG, "more than %d bytes on stdin", OCI_STATE_MAX_SIZE);
        close(p[0]);
        (void) waitpid(pid, NULL, 0);
}

int main(void) {
        test_valid();
        test_malformed();
        test_not_an_object();
        test_missing();
        test_wrong_types();
        test_huge_numbers();
        test_size_and_depth();
        test_duplicates();
        test_mutations();
        test_read();
        return tap_done();
}
