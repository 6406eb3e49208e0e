/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "io-util.h"
#include "log.h"
#include "path-util.h"
#include "record.h"

/* A record names each automount unit of one container once. */
#define RECORD_MAX (1024 * 1024)
#define LOCK_POLL_USEC (20 * USEC_PER_MSEC)

void record_done(Record *r) {
        free(r->entries);
        *r = (Record) {};
}

int record_add(Record *r, const char *unit, const AutofsIdentity *autofs) {
        RecordEntry *e;

        if (strlen(unit) >= sizeof e->unit)
                return -ENAMETOOLONG;
        e = realloc(r->entries, (r->n + 1) * sizeof *e);
        if (!e)
                return -ENOMEM;
        r->entries = e;
        e[r->n].autofs = *autofs;
        strcpy(e[r->n].unit, unit);
        r->n++;
        return 0;
}

bool stash_name_is_valid(const char *name) {
        const char *hex = name + strlen(STASH_NAME_PREFIX);

        if (strncmp(name, STASH_NAME_PREFIX, strlen(STASH_NAME_PREFIX)) != 0 ||
            strlen(hex) != STASH_NAME_SIZE - sizeof STASH_NAME_PREFIX)
                return false;
        return strspn(hex, "0123456789abcdef") == strlen(hex);
}

int record_add_stash(Record *r, const char *name) {
        if (!stash_name_is_valid(name))
                return -EINVAL;
        for (size_t i = 0; i < r->n_stashes; i++)
                if (strcmp(r->stashes[i], name) == 0)
                        return 0;
        if (r->n_stashes >= RECORD_MAX_STASHES)
                return -E2BIG;
        strcpy(r->stashes[r->n_stashes++], name);
        return 0;
}

const AutofsIdentity *record_lookup(const Record *r, const char *unit) {
        for (size_t i = 0; i < r->n; i++)
                if (strcmp(r->entries[i].unit, unit) == 0)
                        return &r->entries[i].autofs;
        return NULL;
}

bool autofs_identity_equal(const AutofsIdentity *a, const AutofsIdentity *b) {
        return a && b && a->mnt_id == b->mnt_id && a->dev == b->dev && a->pipe_ino == b->pipe_ino;
}

int record_parse(const char *text, Record *ret) {
        Record r = {};
        const char *line = text;

        while (*line) {
                const char *nl = strchrnul(line, '\n');
                char buf[384], unit[256];
                unsigned long long ino, dev;
                int mnt_id;
                size_t len = (size_t) (nl - line);
                int k;

                /* A damaged line only costs a restart: skip it rather than fail the repair. */
                if (len > 0 && len < sizeof buf) {
                        memcpy(buf, line, len);
                        buf[len] = '\0';
                        if (strncmp(buf, "stash ", 6) == 0) {
                                /* An unknown or surplus name is dropped like a damaged line. */
                                (void) record_add_stash(&r, buf + 6);
                        } else if (sscanf(buf, "%d %llu %llu %255s%n", &mnt_id, &dev, &ino, unit, &k) == 4 &&
                            buf[k] == '\0' && unit_name_is_valid(unit, ".automount")) {
                                AutofsIdentity id = { mnt_id, dev, ino };
                                k = record_add(&r, unit, &id);
                                if (k < 0) {
                                        record_done(&r);
                                        return k;
                                }
                        }
                }
                line = *nl ? nl + 1 : nl;
        }
        *ret = r;
        return 0;
}

int record_read(int fd, Record *ret) {
        _cleanup_free_ char *buf = NULL;
        ssize_t n;

        buf = malloc(RECORD_MAX + 1);
        if (!buf)
                return -ENOMEM;
        if (lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        n = read_all(fd, buf, RECORD_MAX);
        if (n < 0)
                return (int) n;
        buf[n] = '\0';
        return record_parse(buf, ret);
}

int record_format(const Record *r, char **ret_text, size_t *ret_size) {
        char *text = NULL;
        size_t size = 0;
        FILE *f;

        f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < r->n; i++)
                fprintf(f, "%d %" PRIu64 " %" PRIu64 " %s\n", r->entries[i].autofs.mnt_id,
                        r->entries[i].autofs.dev, r->entries[i].autofs.pipe_ino,
                        r->entries[i].unit);
        for (size_t i = 0; i < r->n_stashes; i++)
                fprintf(f, "stash %s\n", r->stashes[i]);
        if (fclose(f) != 0) {
                free(text);
                return -ENOMEM;
        }
        *ret_text = text;
        *ret_size = size;
        return 0;
}

int record_write(int fd, const Record *r) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        int k;

        k = record_format(r, &text, &size);
        if (k < 0)
                return k;
        if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        return write_all(fd, text, size);
}

static bool record_is_stale(const char *name) {
        char path[64], buf[4096];
        unsigned long long start, actual;
        int pid, k, proc_fd;
        bool stale = true;

        if (sscanf(name, "%d-%llu.record%n", &pid, &start, &k) != 2 || name[k] != '\0')
                return false; /* not ours to judge */

        snprintf(path, sizeof path, "/proc/%d", pid);
        proc_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (proc_fd < 0)
                return errno == ENOENT;
        uint64_t t;
        if (proc_read_small_file(proc_fd, "stat", buf, sizeof buf) > 0 &&
            proc_parse_start_time(buf, &t) == 0) {
                actual = t;
                stale = actual != start;
        }
        safe_close(proc_fd);
        return stale;
}

static void prune_stale_records(int dir_fd) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        int fd = dup(dir_fd);

        if (fd < 0)
                return;
        d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return;
        }
        while ((de = readdir(d)))
                if (de->d_type == DT_REG && record_is_stale(de->d_name))
                        (void) unlinkat(dir_fd, de->d_name, 0);
}

int record_open_readonly(const char *state_dir, const Container *c) {
        _cleanup_close_ int dir_fd = -EBADF;
        char name[64];
        int fd;

        dir_fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dir_fd < 0)
                return -errno;
        snprintf(name, sizeof name, "%d-%" PRIu64 ".record", (int) c->pid, c->start_time);
        fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

bool record_is_locked(const char *state_dir, const Container *c) {
        _cleanup_close_ int dir_fd = -EBADF, fd = -EBADF;
        char name[64];

        dir_fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dir_fd < 0)
                return false;
        snprintf(name, sizeof name, "%d-%" PRIu64 ".record", (int) c->pid, c->start_time);
        fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return false;
        return flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
}

int record_open_locked(const char *state_dir, const Container *c, usec_t deadline) {
        _cleanup_close_ int dir_fd = -EBADF, fd = -EBADF;
        char name[64];
        struct stat st;

        if (mkdir(state_dir, 0700) < 0 && errno != EEXIST)
                return log_error_errno(errno, "Failed to create %s: %m", state_dir);
        dir_fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dir_fd < 0)
                return log_error_errno(errno, "Failed to open %s: %m", state_dir);
        if (fstat(dir_fd, &st) < 0)
                return log_error_errno(errno, "Failed to inspect %s: %m", state_dir);
        if (st.st_uid != geteuid() || (st.st_mode & 0022))
                return log_error_errno(SYNTHETIC_ERRNO(EPERM),
                                       "%s is writable by others; refusing to keep state there.",
                                       state_dir);

        prune_stale_records(dir_fd);

        snprintf(name, sizeof name, "%d-%" PRIu64 ".record", (int) c->pid, c->start_time);
        fd = openat(dir_fd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return log_error_errno(errno, "Failed to open %s/%s: %m", state_dir, name);

        for (;;) {
                if (flock(fd, LOCK_EX | LOCK_NB) == 0)
                        break;
                if (errno != EWOULDBLOCK && errno != EINTR)
                        return log_error_errno(errno, "Failed to lock %s/%s: %m", state_dir, name);
                if (usec_until(deadline) == 0)
                        return log_error_errno(SYNTHETIC_ERRNO(ETIMEDOUT),
                                               "Another run for this container still holds %s/%s.",
                                               state_dir, name);
                usleep(LOCK_POLL_USEC);
        }
        return TAKE_FD(fd);
}
