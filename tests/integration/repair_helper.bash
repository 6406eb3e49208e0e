# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# Helpers for the repair engine's tests: containers, the mounts at each automount, files.

# ARH_REPAIR_HOOK: another build of the hook, e.g. an older one to show that a test can fail.
REPAIR_HOOK=${ARH_REPAIR_HOOK:-$RIG_TOP/build/oci-autofs-restore}
# The test build with stop points (AUTOFS_RESTORE_HOOK_STOP_AT), never installed.
REPAIR_HOOK_FAULT=${ARH_REPAIR_HOOK_FAULT:-$RIG_TOP/build/test-bin/oci-autofs-restore}
REPAIR_BREAK=$RIG_TOP/build/autofs-break
AUTOMOUNTS=(/srv/a1 /srv/a2 /srv/a3 /srv/a4 /srv/a5 /srv/a6 /srv/a7 /srv/a8 /proc/sys/fs/binfmt_misc)
# Half of the automounts get a tmpfs with files on top before a restore.
WITH_FILES=(/srv/a1 /srv/a2 /srv/a3 /srv/a4)

# Boots a systemd container NAME from the cached rootfs (see start_runc_container); sets CT_PID.
boot() {
        start_runc_container "$@"
        CT_PID=$(container_pid "$1")
}

ct_sh() {
        local name=$1
        shift
        timeout 10 runc exec "$name" sh -c "$*" </dev/null
}

# Mounts the tmpfs of the first automounts and leaves a file on each.
write_files() {
        local name=$1 p
        for p in "${WITH_FILES[@]}"; do
                ct_sh "$name" "echo 'content of $p' > $p/file" || fail "cannot write to $p"
        done
}

files_intact() {
        local name=$1 p
        for p in "${WITH_FILES[@]}"; do
                [[ $(ct_sh "$name" "cat $p/file") == "content of $p" ]] || {
                        echo "file on $p lost or changed" >&2
                        return 1
                }
        done
}

# "MAJ:MIN ROOT FSTYPE" of the topmost mount at PATH in the container of PID, from the host:
# the one mount there that no other mount there sits on (mountinfo is not in stacking order).
top_mount() {
        local pid=$1 path=$2
        awk -v p="$path" '$5 == p { line[$1] = $3 " " $4 " " $(NF - 2); parent[$2] = 1 }
                END { for (id in line) if (!(id in parent)) print line[id] }' \
                "/proc/$pid/mountinfo"
}

# Every line of the mount stack at PATH (for failure messages).
mounts_at() {
        awk -v p="$1" '$5 == p' "/proc/$2/mountinfo"
}

tops_of() {
        local pid=$1 p
        for p in "${WITH_FILES[@]}"; do
                printf '%s=%s\n' "$p" "$(top_mount "$pid" "$p")"
        done
}

all_answer() {
        local pid=$1 p
        for p in "${AUTOMOUNTS[@]}"; do
                rig_automount_answers "$pid" "$p" 3 || {
                        echo "$p hangs ($RIG_HANG_STATE)" >&2
                        return 1
                }
        done
}

# Automounts with nothing on top: after a restore, accesses to them hang.
EMPTY_AUTOMOUNTS=(/srv/a5 /srv/a6 /srv/a7 /srv/a8 /proc/sys/fs/binfmt_misc)

all_hang() {
        local pid=$1 p
        for p in "${EMPTY_AUTOMOUNTS[@]}"; do
                automount_hangs "$pid" "$p" 1 || return 1
        done
}

# Each automount of WITH_FILES is an autofs with exactly one tmpfs on it, at the root of its
# superblock, holding the file write_files left: what systemd mounted there, restored or kept.
tops_are_tmpfs_on_autofs() {
        local pid=$1 p stack
        for p in "${WITH_FILES[@]}"; do
                stack=$(awk -v p="$p" '$5 == p { for (i = 7; $i != "-"; i++) ; print $1, $2, $4, $(i + 1) }' \
                        "/proc/$pid/mountinfo")
                # "ID PARENT ROOT FSTYPE" lines: an autofs, and a tmpfs whose parent it is.
                awk '{ fs[$1] = $4; parent[$1] = $2; root[$1] = $3; n++ }
                     END {
                        for (m in fs)
                                if (fs[m] == "tmpfs" && root[m] == "/" && fs[parent[m]] == "autofs")
                                        ok = 1
                        exit !(n == 2 && ok)
                     }' <<<"$stack" || {
                        echo "$p: not one tmpfs on an autofs:" >&2
                        echo "$stack" >&2
                        return 1
                }
        done
}

# No stash of ours is left: no mount below and no directory named like one in /run.
no_leftovers_in() {
        local pid=$1
        ! grep -Eq ' /run/autofs-restore-hook\.[0-9a-f]{16}' "/proc/$pid/mountinfo" || {
                echo "a stash mount is left" >&2
                return 1
        }
        [[ -z $(nsenter -t "$pid" -m sh -c 'ls -d /run/autofs-restore-hook.* 2>/dev/null') ]] || {
                echo "a stash directory is left" >&2
                return 1
        }
}
