# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# For the repair engine's tests: the hook's builds, the mounts at each automount, stopped runs.
# shellcheck disable=SC2034 # the constants are read by the .bats files

# ARH_REPAIR_HOOK: another build of the hook, e.g. an older one to show that a test can fail.
REPAIR_HOOK=${ARH_REPAIR_HOOK:-$RIG_TOP/build/oci-autofs-restore}
# The test build with stop points (AUTOFS_RESTORE_HOOK_STOP_AT), never installed.
REPAIR_HOOK_FAULT=${ARH_REPAIR_HOOK_FAULT:-$RIG_TOP/build/test-bin/oci-autofs-restore}
REPAIR_BREAK=$RIG_TOP/build/autofs-break

# A CRIU configuration that names the hook as action script, for a container's org.criu.config
# annotation (the host's /etc/criu stays untouched); sets CRIU_CONF.
write_action_script_conf() {
        CRIU_CONF=$BATS_TEST_TMPDIR/criu.conf
        echo "action-script $REPAIR_HOOK" >"$CRIU_CONF"
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

# start_hook_stopped_at POINT [HOOK-OPTION...]: runs the test build of the hook on CT_PID (under
# HOOK_LAUNCHER, e.g. setsid, when set) until the worker stops itself at POINT; the hook's output
# goes to $BATS_TEST_TMPDIR/hook.log. Sets HOOK_PID, WORKER_PID and STOPPED_PIDS (both).
start_hook_stopped_at() {
        local point=$1 i state
        shift
        [[ -x $REPAIR_HOOK_FAULT ]] || fail "$REPAIR_HOOK_FAULT not built (make)"
        AUTOFS_RESTORE_HOOK_STOP_AT=$point ${HOOK_LAUNCHER:-} "$REPAIR_HOOK_FAULT" --pid "$CT_PID" "$@" \
                >"$BATS_TEST_TMPDIR/hook.log" 2>&1 &
        HOOK_PID=$!
        for ((i = 0; i < 200; i++)); do
                WORKER_PID=$(rig_child_of "$HOOK_PID") || WORKER_PID=
                state=
                [[ -n $WORKER_PID ]] && state=$(rig_proc_state "$WORKER_PID")
                [[ $state == T* ]] && break
                sleep 0.05
        done
        [[ $state == T* ]] || fail "the worker did not stop at $point: $(cat "$BATS_TEST_TMPDIR/hook.log")"
        STOPPED_PIDS="$HOOK_PID $WORKER_PID"
}
