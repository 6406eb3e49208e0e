/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "mount-probe.h"

/* statmount(2) and the unique mount ID came with Linux 6.8; the headers we build against may be
 * older, so the pieces we use are spelled out here, with names of our own. */
#ifndef __NR_statmount
#define __NR_statmount 457
#endif
#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x4000U
#endif

#define PROBE_SB_BASIC  0x01U
#define PROBE_MNT_BASIC 0x02U
#define PROBE_MNT_ROOT  0x08U
#define PROBE_MNT_POINT 0x10U
#define PROBE_FS_TYPE   0x20U
#define PROBE_MNT_OPTS  0x80U  /* Linux 6.11 */

typedef struct MntIdReq {
        uint32_t size;
        uint32_t spare;
        uint64_t mnt_id;
        uint64_t param;
} MntIdReq;

typedef struct StatMount {
        uint32_t size;
        uint32_t mnt_opts;
        uint64_t mask;
        uint32_t sb_dev_major;
        uint32_t sb_dev_minor;
        uint64_t sb_magic;
        uint32_t sb_flags;
        uint32_t fs_type;
        uint64_t mnt_id;
        uint64_t mnt_parent_id;
        uint32_t mnt_id_old;
        uint32_t mnt_parent_id_old;
        uint64_t mnt_attr;
        uint64_t mnt_propagation;
        uint64_t mnt_peer_group;
        uint64_t mnt_master;
        uint64_t propagate_from;
        uint32_t mnt_root;
        uint32_t mnt_point;
        uint64_t spare2[50];
        char str[];
} StatMount;

/* Room for the strings of one mount: its root, its mount point, its type and its options. */
#define PROBE_BUFFER_SIZE (sizeof(StatMount) + 3 * PATH_MAX + 256)

/* At most this many mounts are looked at below the topmost one, as the mount table parser
 * accepts at most as many at one path. */
#define PROBE_MAX_DEPTH 64

typedef struct Probe {
        union {
                StatMount sm;
                char buf[PROBE_BUFFER_SIZE];
        };
} Probe;

#define PROBE_WANTED (PROBE_SB_BASIC | PROBE_MNT_BASIC | PROBE_MNT_ROOT | PROBE_MNT_POINT | PROBE_FS_TYPE)

static int stat_mount(uint64_t id, uint64_t mask, Probe *p) {
        MntIdReq req = {
                .size = sizeof req,
                .mnt_id = id,
                .param = mask,
        };

        if (syscall(__NR_statmount, &req, &p->sm, sizeof *p, 0) < 0)
                /* Strings longer than we make room for: the mount table has them. */
                return errno == EOVERFLOW ? -EOPNOTSUPP : -errno;
        /* A mount point that is not reachable from our root is left out by the kernel. */
        if ((p->sm.mask & PROBE_WANTED) != PROBE_WANTED)
                return -ENODATA;
        return 0;
}

static const char *probe_str(const Probe *p, uint32_t offset) {
        return offset < sizeof p->buf - sizeof p->sm ? p->sm.str + offset : "";
}

int mount_probe_stack(int fd, AutofsStack *ret) {
        AutofsStack s = {};
        char point[PATH_MAX];
        struct statx stx;
        Probe p;
        uint64_t id;
        int r;

        if (statx(fd, "", AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_SYMLINK_NOFOLLOW,
                  STATX_MNT_ID_UNIQUE, &stx) < 0)
                return -errno;
        if (!(stx.stx_mask & STATX_MNT_ID_UNIQUE))
                return -EOPNOTSUPP;
        id = stx.stx_mnt_id;

        for (unsigned depth = 0;; depth++) {
                const char *fstype;

                if (depth >= PROBE_MAX_DEPTH)
                        return -E2BIG;
                r = stat_mount(id, PROBE_WANTED, &p);
                if (r == -ENOSYS || (r == -EINVAL && depth == 0))
                        return -EOPNOTSUPP;
                /* Below the stack there may be a mount we cannot see: outside our root (the
                 * parent of a container's root mount) or outside our namespace. It has no
                 * place at this path, so the stack ends there. */
                if (depth > 0 && (r == -ENODATA || r == -ENOENT))
                        break;
                if (r < 0)
                        return r;

                if (depth == 0) {
                        snprintf(point, sizeof point, "%s", probe_str(&p, p.sm.mnt_point));
                        s.visible.dev = makedev(p.sm.sb_dev_major, p.sm.sb_dev_minor);
                        snprintf(s.visible.root, sizeof s.visible.root, "%s",
                                 probe_str(&p, p.sm.mnt_root));
                        snprintf(s.top_fstype, sizeof s.top_fstype, "%s",
                                 probe_str(&p, p.sm.fs_type));
                } else if (strcmp(point, probe_str(&p, p.sm.mnt_point)) != 0)
                        break;  /* below the stack: what it is mounted on */

                fstype = probe_str(&p, p.sm.fs_type);
                if (strcmp(fstype, "autofs") == 0) {
                        /* The topmost autofs of the stack, as the mount table parser picks it.
                         * Its options (mode, pipe) came with Linux 6.11. */
                        r = stat_mount(id, PROBE_WANTED | PROBE_MNT_OPTS, &p);
                        if (r < 0)
                                return r;
                        if (!(p.sm.mask & PROBE_MNT_OPTS))
                                return -EOPNOTSUPP;
                        autofs_options_parse(probe_str(&p, p.sm.mnt_opts), &s.mode, &s.pipe_ino);
                        s.has_autofs = true;
                        s.autofs_id = (int) p.sm.mnt_id_old;
                        s.autofs_dev = makedev(p.sm.sb_dev_major, p.sm.sb_dev_minor);
                        s.n_on_top = depth;
                        break;
                }
                /* The root of the namespace is its own parent. */
                if (p.sm.mnt_parent_id == p.sm.mnt_id)
                        break;
                id = p.sm.mnt_parent_id;
        }

        if (s.n_on_top > 0)
                s.top = s.visible;
        else
                s.top_fstype[0] = '\0';
        *ret = s;
        return 0;
}
