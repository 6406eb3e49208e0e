/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "container.h"
#include "psi-trigger.h"
#include "tap.h"

static void test_classify(void) {
        PsiResource r;

        check_int(psi_file_classify("/proc/pressure/memory", &r), PSI_FILE_PROC, "procfs memory");
        check_int(r, PSI_RESOURCE_MEMORY, "... is memory");
        check_int(psi_file_classify("/proc/pressure/cpu", &r), PSI_FILE_PROC, "procfs cpu");
        check_int(r, PSI_RESOURCE_CPU, "... is cpu");
        check_int(psi_file_classify("/proc/pressure/io", &r), PSI_FILE_PROC, "procfs io");
        check_int(psi_file_classify("/proc/pressure/irq", &r), PSI_FILE_PROC, "procfs irq");
        check_int(psi_file_classify("/x/pressure/memory", &r), PSI_FILE_PROC,
                  "procfs mounted elsewhere is still a candidate");
        check_int(psi_file_classify("/sys/fs/cgroup/system.slice/a.service/memory.pressure", &r),
                  PSI_FILE_CGROUP, "cgroup memory.pressure");
        check_int(r, PSI_RESOURCE_MEMORY, "... is memory");
        check_int(psi_file_classify("/sys/fs/cgroup/io.pressure", &r), PSI_FILE_CGROUP,
                  "cgroup io.pressure");
        check_int(r, PSI_RESOURCE_IO, "... is io");
        check_int(psi_file_classify("/sys/fs/cgroup/cgroup.pressure", &r), PSI_FILE_NONE,
                  "cgroup.pressure (the on/off switch) is not a PSI file");
        check_int(r, PSI_RESOURCE_NONE, "... and has no resource");
        check_int(psi_file_classify("/proc/pressure/memoryx", &r), PSI_FILE_NONE, "memoryx");
        check_int(psi_file_classify("/proc/pressure/memor", &r), PSI_FILE_NONE, "memor");
        check_int(psi_file_classify("/proc/xpressure/memory", &r), PSI_FILE_NONE,
                  "xpressure/ is not pressure/");
        check_int(psi_file_classify("/pressure/memory", &r), PSI_FILE_PROC, "at the root");
        check_int(psi_file_classify("pressure/memory", &r), PSI_FILE_NONE, "relative");
        check_int(psi_file_classify("/memory.pressure.x", &r), PSI_FILE_NONE, "suffix after");
        check_int(psi_file_classify("/.pressure", &r), PSI_FILE_NONE, "no resource");
        check_int(psi_file_classify("socket:[1234]", &r), PSI_FILE_NONE, "a socket");
        check_int(psi_file_classify("anon_inode:[eventpoll]", &r), PSI_FILE_NONE, "an epoll");
        check_int(psi_file_classify(NULL, &r), PSI_FILE_NONE, "NULL");
        check_str(psi_resource_to_string(PSI_RESOURCE_IRQ), "irq", "irq by name");
        check_str(psi_resource_to_string(_PSI_RESOURCE_MAX), "?", "out of range");
        check_str(psi_resource_to_string(PSI_RESOURCE_NONE), "?", "none");
}

static void test_valid(void) {
        check(psi_trigger_valid(PSI_DEFAULT_TRIGGER), "systemd's default");
        check(psi_trigger_valid("full 150000 1000000"), "full");
        check(psi_trigger_valid("some 500000 500000"), "window 500 ms, stall = window");
        check(!psi_trigger_valid("some 500001 500000"), "stall > window");
        check(!psi_trigger_valid("some 1 499999"), "window just under 500 ms");
        check(psi_trigger_valid("some 1 10000000"), "window 10 s, stall 1");
        check(!psi_trigger_valid("some 1 10000001"), "window just over 10 s");
        check(!psi_trigger_valid("some 0 2000000"), "stall 0");
        check(!psi_trigger_valid("most 200000 2000000"), "unknown type");
        check(!psi_trigger_valid("some  200000 2000000"), "two spaces");
        check(!psi_trigger_valid("some 200000 2000000 "), "trailing space");
        check(!psi_trigger_valid("some 200000 2000000\n"), "newline");
        check(!psi_trigger_valid("some 200000"), "no window");
        check(!psi_trigger_valid("some -1 2000000"), "negative");
        check(!psi_trigger_valid("some 99999999999999999999999 2000000"), "overflow");
        check(!psi_trigger_valid(""), "empty");
        check(!psi_trigger_valid(NULL), "NULL");

        char longest[PSI_TRIGGER_MAX + 8] = "some 1 ";
        size_t n = strlen(longest);
        memset(longest + n, '0', sizeof longest - n - 1);
        longest[sizeof longest - 2] = '1';
        longest[sizeof longest - 1] = '\0';
        check(!psi_trigger_valid(longest), "text longer than PSI_TRIGGER_MAX");
}

static void test_base64(void) {
        char buf[64];

        check_int(base64_decode_string("c29tZSAyMDAwMDAgMjAwMDAwMAA=", buf, sizeof buf), 0,
                  "systemd's encoding of the default trigger, with its NUL");
        check_str(buf, PSI_DEFAULT_TRIGGER, "... decodes to it");
        check_int(base64_decode_string("c29tZSAyMDAwMDAgMjAwMDAwMA==", buf, sizeof buf), 0,
                  "without the NUL");
        check_str(buf, PSI_DEFAULT_TRIGGER, "... the same");
        check_int(base64_decode_string("c29tZSAyMDAwMDAgMjAwMDAwMA", buf, sizeof buf), 0,
                  "without padding");
        check_str(buf, PSI_DEFAULT_TRIGGER, "... the same");
        check_int(base64_decode_string("", buf, sizeof buf), 0, "empty");
        check_str(buf, "", "... is empty");
        check_int(base64_decode_string("YQ==", buf, sizeof buf), 0, "one byte");
        check_str(buf, "a", "... a");
        check_int(base64_decode_string("YWI=", buf, sizeof buf), 0, "two bytes");
        check_str(buf, "ab", "... ab");
        check_int(base64_decode_string("YWJj", buf, sizeof buf), 0, "three bytes");
        check_str(buf, "abc", "... abc");
        check_int(base64_decode_string("+/+/", buf, sizeof buf), 0, "+ and /");
        check_int((unsigned char) buf[0], 0xfb, "... first byte");
        check_int(base64_decode_string("YQ", buf, 2), 0, "exact fit with the terminator");
        check_int(base64_decode_string("YWI", buf, 2), -ENOBUFS, "one byte too many");
        check_int(base64_decode_string("Y", buf, sizeof buf), -EINVAL, "one character");
        check_int(base64_decode_string("YR==", buf, sizeof buf), -EINVAL, "non-zero leftover bits");
        check_int(base64_decode_string("Y===", buf, sizeof buf), -EINVAL, "three padding");
        check_int(base64_decode_string("YQ=", buf, sizeof buf), -EINVAL, "padding to no multiple of 4");
        check_int(base64_decode_string("Y*==", buf, sizeof buf), -EINVAL, "outside the alphabet");
        check_int(base64_decode_string("AGE=", buf, sizeof buf), -EINVAL, "NUL inside");
        check_int(base64_decode_string("YQAA", buf, sizeof buf), -EINVAL, "two trailing NULs");
}

#define ENV(s) s, sizeof(s) - 1

static void test_environ(void) {
        char buf[PSI_TRIGGER_MAX];
        static const char env[] = "PATH=/bin\0MEMORY_PRESSURE_WATCH=/sys/fs/cgroup/a/memory.pressure\0"
                                  "MEMORY_PRESSURE_WRITE=ZnVsbCAxMDAwMDAgMTAwMDAwMAA=\0";
        static const char bad[] = "MEMORY_PRESSURE_WATCH=/proc/pressure/memory\0"
                                  "MEMORY_PRESSURE_WRITE=c29tZSAwIDEwMDAwMDAA\0";
        static const char cut[] = "MEMORY_PRESSURE_WATCH=/proc/pressure/memory\0"
                                  "MEMORY_PRESSURE_WRITE=c29tZSAyMDAwMDAgMjAwMDAwMAA=";

        check_int(psi_trigger_from_environ(ENV(env), "/sys/fs/cgroup/a/memory.pressure", buf, sizeof buf),
                  1, "the watched file has the process's own trigger");
        check_str(buf, "full 100000 1000000", "... which is full 100 ms / 1 s");
        check_int(psi_trigger_from_environ(ENV(env), "/proc/pressure/memory", buf, sizeof buf), 0,
                  "another file: none");
        check_int(psi_trigger_from_environ(ENV(env), "/sys/fs/cgroup/a/memory.pressur", buf, sizeof buf),
                  0, "a prefix of the watched file: none");
        check_int(psi_trigger_from_environ(ENV(env), NULL, buf, sizeof buf), 0, "no path");
        check_int(psi_trigger_from_environ(ENV(bad), "/proc/pressure/memory", buf, sizeof buf),
                  -EINVAL, "an invalid trigger (stall 0) is refused");
        check_int(psi_trigger_from_environ(ENV(cut), "/proc/pressure/memory", buf, sizeof buf), 0,
                  "an entry cut off by the bounded read does not count");
        check_int(psi_trigger_from_environ(ENV("MEMORY_PRESSURE_WATCH=/proc/pressure/memory\0"),
                                           "/proc/pressure/memory", buf, sizeof buf),
                  0, "a watch without a write: none");
        check_int(psi_trigger_from_environ(ENV("XMEMORY_PRESSURE_WATCH=/p\0MEMORY_PRESSURE_WRITE=YQ==\0"),
                                           "/p", buf, sizeof buf),
                  0, "a key that only ends like ours");
        check_int(psi_trigger_from_environ(ENV(env), "/sys/fs/cgroup/a/memory.pressure", buf, 10),
                  -ENOBUFS, "a buffer too small");
        check_int(psi_trigger_from_environ("", 0, "/p", buf, sizeof buf), 0, "empty environment");
}

static void test_cpu_ticks(void) {
        uint64_t t = 0;
        /* Fields 14 and 15 are 7 and 5; comm has spaces and a parenthesis. */
        static const char stat[] = "1 (sd (x) y) S 0 1 1 0 -1 4194560 100 0 0 0 7 5 0 0 20 0 1 0 42 0";

        check_int(proc_parse_cpu_ticks(stat, &t), 0, "parse a stat line");
        check_int(t, 12, "utime + stime");
        check_int(proc_parse_cpu_ticks("1 (x) S 0 1", &t), -EINVAL, "a short line");
        check_int(proc_parse_cpu_ticks("no parenthesis", &t), -EINVAL, "no comm");
}

int main(void) {
        test_classify();
        test_valid();
        test_base64();
        test_environ();
        test_cpu_ticks();
        return tap_done();
}
