# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# Variables here are read by the test files and by lib.sh; $output comes from bats' run:
# shellcheck disable=SC2034,SC2154
#
# Shared by all integration tests: real containers running systemd (runc here, podman in
# oci_helper.bash, LXC in lxc_helper.bash, each a small adapter under one set of container
# operations), real CRIU, the restore simulator. Load with "load test_helper" and call
# rig_teardown from teardown().
#
# Every container is named with the suite's prefix (arh-) and registered here as it is made,
# so that teardown removes it whatever the test did; setup_suite.bash removes what an aborted
# run left behind.

RIG_PROG=bats
# shellcheck source=../rig/lib.sh
source "$BATS_TEST_DIRNAME/../rig/lib.sh"
load /usr/lib/bats/bats-support/load.bash
load /usr/lib/bats/bats-assert/load.bash

ARH_AUTOFS_BREAK=${ARH_AUTOFS_BREAK:-$RIG_TOP/build/autofs-break}
OCI_HOOK_BIN=$RIG_TOP/build/oci-autofs-restore

# What this test made, for rig_teardown.
RIG_CONTAINERS=()
RIG_BLOCKED=()  # "wrapper nsenter pid" triples of accesses left blocked on purpose

# A name unique to this suite, this file and this test: arh-<file>-<test number>[-SUFFIX].
rig_name() {
        local file=${BATS_TEST_FILENAME##*/}
        printf '%s%s-%s%s\n' "$RIG_PREFIX" "${file%.bats}" "$BATS_TEST_NUMBER" "${1:+-$1}"
}

# A missing prerequisite skips the test on a developer's machine and fails it in CI, where a
# silently skipped suite would look like a green one.
rig_unavailable() {
        if [[ ${CI:-} == true ]]; then
                fail "prerequisite missing (CI=true makes this a failure): $*"
        fi
        skip "$*"
}

# rig_require [criu] [autofs-break]: root, /dev/autofs, the tools and the cached rootfs are
# always needed; the arguments add the wrapped CRIU and the simulator.
rig_require() {
        local tool what
        [[ $(id -u) -eq 0 ]] || rig_unavailable "needs root"
        [[ -c /dev/autofs ]] || rig_unavailable "no /dev/autofs"
        for tool in runc jq nsenter timeout; do
                command -v "$tool" >/dev/null || rig_unavailable "$tool not installed"
        done
        RIG_ROOTFS=$("$RIG_DIR/build-rootfs" --check) ||
                rig_unavailable "no cached rootfs (run tests/rig/build-rootfs)"
        for what in "$@"; do
                case $what in
                criu)
                        RIG_CRIU_DIR=$("$RIG_DIR/fetch-criu" --check) ||
                                rig_unavailable "no cached CRIU (run tests/rig/fetch-criu)"
                        RIG_CRIU=$RIG_CRIU_DIR/criu
                        ;;
                autofs-break)
                        [[ -x $ARH_AUTOFS_BREAK ]] ||
                                rig_unavailable "$ARH_AUTOFS_BREAK not built (make build/autofs-break)"
                        ;;
                *) fail "rig_require: unknown prerequisite '$what'" ;;
                esac
        done
}

# --- the container, whatever runs it ---------------------------------------------------------
#
# One definition of each thing a test does to its container; what differs between runtimes is a
# small adapter, chosen with use_runtime. The adapter of runtime RT is four functions:
#   RT_exec_argv NAME           sets EXEC_ARGV to the command line that runs a command in NAME
#   RT_pid NAME                 prints the host PID of NAME's init
#   RT_checkpoint NAME          checkpoints NAME (it stops)
#   RT_restore NAME [OPTION...] restores NAME and sets RESTORED_MS to the moment the runtime
#                               returned
# runc's is below, podman's in oci_helper.bash, LXC's in lxc_helper.bash.

# The automounts of the rig's image: 8 tmpfs under /srv (srv-a8 has an idle timeout) and
# systemd's own binfmt_misc automount. The first half gets a tmpfs with a file on top before a
# checkpoint or a simulated restore; the others stay untouched, so that both kinds are restored.
SRV_AUTOMOUNTS=(/srv/a1 /srv/a2 /srv/a3 /srv/a4 /srv/a5 /srv/a6 /srv/a7 /srv/a8)
WITH_FILES=("${SRV_AUTOMOUNTS[@]:0:4}")

# use_runtime runc|podman|lxc: the runtime whose adapter the functions below use, and the
# automounts systemd runs under it (AUTOMOUNTS; EMPTY_AUTOMOUNTS those without files on top).
use_runtime() {
        local fn
        for fn in exec_argv pid checkpoint restore; do
                declare -F "$1_$fn" >/dev/null || fail "use_runtime: no $1 adapter ($1_$fn): load the file that defines it"
        done
        CT_RUNTIME=$1
        AUTOMOUNTS=("${SRV_AUTOMOUNTS[@]}")
        # systemd starts binfmt_misc's automount only where /proc/sys is writable: not under
        # podman (read-only) nor LXC (proc:mixed).
        [[ $1 == runc ]] && AUTOMOUNTS+=(/proc/sys/fs/binfmt_misc)
        EMPTY_AUTOMOUNTS=("${AUTOMOUNTS[@]:${#WITH_FILES[@]}}")
}

# only_automounts N: the container has only the first N automounts under /srv (make-bundle
# --automounts N), and binfmt_misc's where the runtime has it.
only_automounts() {
        local -a kept=("${SRV_AUTOMOUNTS[@]:0:$1}")
        [[ ${AUTOMOUNTS[-1]} == /proc/sys/fs/binfmt_misc ]] && kept+=(/proc/sys/fs/binfmt_misc)
        AUTOMOUNTS=("${kept[@]}")
        EMPTY_AUTOMOUNTS=("${AUTOMOUNTS[@]:${#WITH_FILES[@]}}")
}

# The automount unit of WHERE, as systemd and the hook name it.
automount_unit() {
        systemd-escape --path --suffix=automount "$1"
}

# ct_exec NAME COMMAND...: runs COMMAND in the container NAME, without stdin, 10 s at most.
ct_exec() {
        local name=$1
        shift
        "${CT_RUNTIME}_exec_argv" "$name" || return 125
        rig_timeout 10 "${EXEC_ARGV[@]}" "$@" </dev/null
}

# ct_sh NAME SCRIPT...: runs a shell script in the container NAME (the test runs it; the
# product never executes anything).
ct_sh() {
        local name=$1
        shift
        ct_exec "$name" sh -c "$*"
}

container_pid() {
        local pid
        pid=$("${CT_RUNTIME}_pid" "$1") || pid=
        [[ $pid =~ ^[1-9][0-9]*$ ]] || fail "no PID for $CT_RUNTIME container $1 (${pid:-none})"
        printf '%s\n' "$pid"
}

# wait_for_systemd NAME: until systemd in NAME says running or degraded (30 s at most).
wait_for_systemd() {
        local name=$1 state
        "${CT_RUNTIME}_exec_argv" "$name" || fail "cannot run a command in $name"
        if ! state=$(rig_wait_systemd "$name" 30 "${EXEC_ARGV[@]}"); then
                echo "--- journal of $name ---" >&2
                ct_exec "$name" journalctl --no-pager -b -n 80 >&2 || true
                fail "systemd in $name did not come up within 30 s (state: $state)"
        fi
}

checkpoint_container() {
        "${CT_RUNTIME}_checkpoint" "$1"
}

# restore_container NAME [runtime's restore options]: sets CT_PID and RESTORED_MS.
restore_container() {
        "${CT_RUNTIME}_restore" "$@"
        CT_PID=$(container_pid "$1")
}

checkpoint_restore_container() {
        checkpoint_container "$1"
        restore_container "$1"
}

# write_files NAME: mounts the tmpfs of each automount of WITH_FILES by leaving a file on it.
write_files() {
        local name=$1 p
        for p in "${WITH_FILES[@]}"; do
                ct_sh "$name" "echo 'content of $p' > $p/file" || fail "cannot write to $p"
        done
}

# files_intact NAME: every file write_files left is there, read from inside, as it was written.
files_intact() {
        local name=$1 p got
        for p in "${WITH_FILES[@]}"; do
                got=$(ct_exec "$name" cat "$p/file") || {
                        echo "cannot read $p/file" >&2
                        return 1
                }
                [[ $got == "content of $p" ]] || {
                        echo "file on $p lost or changed: '$got'" >&2
                        return 1
                }
        done
}

# all_answer PID [TIMEOUT]: every autofs in the container of PID answers an access from inside
# within TIMEOUT seconds (default 3; scaled by rig_budget_s), and every automount of AUTOMOUNTS
# is among them. A hang is reported with what the process was blocked on.
all_answer() {
        local pid=$1 timeout found p rc
        timeout=$(rig_budget_s "${2:-3}")
        found=$(rig_autofs_mounts "$pid" | awk '{ print $1 }' | sort -u)
        for p in "${AUTOMOUNTS[@]}"; do
                grep -qxF -- "$p" <<<"$found" || {
                        echo "no autofs at $p" >&2
                        return 1
                }
        done
        for p in $found; do
                rc=0
                rig_automount_answers "$pid" "$p" "$timeout" || rc=$?
                case $rc in
                0) ;;
                1)
                        echo "$p hangs ($RIG_HANG_STATE)" >&2
                        return 1
                        ;;
                *)
                        echo "$p: the access failed" >&2
                        return 1
                        ;;
                esac
        done
}

# automounts_never_stopped NAME: every automount unit is active and was never stopped since the
# boot (a restart would have recorded when it went inactive).
automounts_never_stopped() {
        local where
        for where in "${AUTOMOUNTS[@]}"; do
                run ct_exec "$1" systemctl show -P ActiveState,InactiveEnterTimestampMonotonic "$(automount_unit "$where")"
                assert_output "active"$'\n'"0" || return 1
        done
}

# all_hang PID: every access to an automount with nothing on top hangs, as after an unrepaired
# restore.
all_hang() {
        automounts_hang "$1" 1 "${EMPTY_AUTOMOUNTS[@]}"
}

# --- the runc adapter ------------------------------------------------------------------------

runc_exec_argv() {
        EXEC_ARGV=(runc exec "$1")
}

runc_pid() {
        rig_container_pid "$1"
}

# A real checkpoint with the wrapped trixie CRIU. The images stay in $RIG_IMAGES/NAME for
# inspection until teardown.
runc_checkpoint() {
        local name=$1 images=$RIG_IMAGES/$1
        [[ -n ${RIG_CRIU:-} ]] || fail "runc_checkpoint needs rig_require criu"
        rm -rf "$images"
        mkdir -p "$images"
        if ! rig_timeout 120 runc --criu "$RIG_CRIU" checkpoint --image-path "$images" \
                --work-path "$images" "$name" </dev/null 3>&-; then
                tail -n 30 "$images/dump.log" >&2
                fail "runc checkpoint $name failed"
        fi
}

runc_restore() {
        local name=$1 images=$RIG_IMAGES/$1 bundle rc=0
        bundle=$(rig_bundle_dir "$name")
        rig_timeout 120 runc --criu "$RIG_CRIU" restore -d --image-path "$images" \
                --work-path "$images" --bundle "$bundle" "$name" \
                </dev/null >>"$bundle/console.log" 2>&1 3>&- || rc=$?
        RESTORED_MS=$(now_ms)
        if ((rc != 0)); then
                tail -n 30 "$images/restore.log" >&2
                tail -n 5 "$bundle/console.log" >&2
                fail "runc restore $name failed"
        fi
        [[ $(rig_container_status "$name") == running ]] || fail "$name is not running after restore"
}

# make_runc_bundle NAME [make-bundle options]: registers NAME for rig_teardown, removes what an
# earlier run left under that name and makes the bundle; sets RUNC_BUNDLE.
make_runc_bundle() {
        local name=$1
        shift
        RIG_CONTAINERS+=("$name")
        rig_remove_container "$name"
        rig_remove_bundle "$name"
        RUNC_BUNDLE=$("$RIG_DIR/make-bundle" "$name" "$@") || fail "make-bundle $name $* failed"
}

# run_runc_bundle NAME [--no-systemd]: starts the container of RUNC_BUNDLE and, unless its init
# is not systemd, waits for systemd; sets CT_PID.
run_runc_bundle() {
        local name=$1
        if ! rig_runc_run "$name" "$RUNC_BUNDLE"; then
                cat "$RUNC_BUNDLE/console.log" >&2
                fail "runc could not start $name"
        fi
        if [[ ${2:-} == --no-systemd ]]; then
                [[ $(rig_container_status "$name") == running ]] || fail "$name is not running"
        else
                wait_for_systemd "$name"
        fi
        CT_PID=$(container_pid "$name")
}

# start_runc_container NAME [make-bundle options]: a container from the cached rootfs, running
# systemd unless --init replaced it, with the automounts --automounts leaves; sets CT_PID.
start_runc_container() {
        local name=$1 i with_systemd=
        shift
        local -a args=("$@")
        for i in "${!args[@]}"; do
                case ${args[i]} in
                --init) with_systemd=--no-systemd ;;
                --automounts) only_automounts "${args[i + 1]}" ;;
                *) ;;
                esac
        done
        make_runc_bundle "$name" "$@"
        run_runc_bundle "$name" ${with_systemd:+"$with_systemd"}
}

# --- time and processes ----------------------------------------------------------------------

now_ms() {
        date +%s%3N
}

# wait_process_gone PID TIMEOUT_MS: the process (our child or not) has exited.
wait_process_gone() {
        local pid=$1 deadline
        deadline=$(($(now_ms) + $2))
        while (($(now_ms) < deadline)); do
                [[ -e /proc/$pid ]] || return 0
                [[ $(rig_proc_state "$pid" 2>/dev/null) == Z* ]] && return 0
                sleep 0.02
        done
        return 1
}

# --- accesses to automounts ------------------------------------------------------------------

# automount_answers PID PATH [TIMEOUT]: 0 when an access to PATH from inside the container
# succeeds within TIMEOUT seconds (default 2, scaled by rig_budget_s); non-zero otherwise. A hung
# access is killed by its PID and reaped; $RIG_HANG_STATE then tells what it was blocked on.
automount_answers() {
        rig_automount_answers "$1" "$2" "$(rig_budget_s "${3:-2}")"
}

# automount_hangs PID PATH [TIMEOUT]: 0 only when an access to PATH is still blocked in the
# autofs after TIMEOUT seconds (default 1), waiting for an answer from the automount daemon. A
# fast failure (ENOENT from a dead autofs, say) or a process blocked elsewhere is no hang.
automount_hangs() {
        local rc=0
        rig_automount_answers "$1" "$2" "${3:-1}" || rc=$?
        case $rc in
        0) echo "$2 answers, expected a hang" >&2 ;;
        1)
                [[ $RIG_HANG_STATE == "D autofs_wait" ]] && return 0
                echo "$2 blocked, but not in autofs_wait: $RIG_HANG_STATE" >&2
                ;;
        *) echo "$2 failed at once, expected a hang" >&2 ;;
        esac
        return 1
}

# automounts_beneath_answer PID PATH...: for automounts with a filesystem on top, whose accesses
# that filesystem answers whatever the autofs beneath does: unmounts the top inside the
# container, waits until systemd has seen it go, and requires a fresh access to be served by a
# new mount. Destroys what was on top: call it last.
automounts_beneath_answer() {
        local pid=$1 p unit top i state
        shift
        for p in "$@"; do
                unit=$(systemd-escape --path --suffix=mount "$p")
                top=$(rig_top_dev "$pid" "$p")
                rig_timeout 10 nsenter -t "$pid" -m -- umount "$p" || {
                        echo "cannot unmount the top of $p" >&2
                        return 1
                }
                [[ $(rig_top_dev "$pid" "$p") != "$top" ]] || {
                        echo "$p: $top is still on top after the unmount" >&2
                        return 1
                }
                for ((i = 0; i < 100; i++)); do
                        state=$(rig_timeout 5 nsenter -t "$pid" -m -p -- systemctl is-active "$unit" </dev/null) || true
                        [[ $state == inactive || $state == failed ]] && break
                        sleep 0.05
                done
                [[ $state == inactive || $state == failed ]] || {
                        echo "$unit still $state after its unmount" >&2
                        return 1
                }
                automount_answers "$pid" "$p" 3 || {
                        echo "$p: the autofs beneath does not answer ($RIG_HANG_STATE)" >&2
                        return 1
                }
                for ((i = 0; i < 100; i++)); do
                        [[ $(awk -v p="$p" '$5 == p && $(NF - 2) != "autofs"' "/proc/$pid/mountinfo") ]] && break
                        sleep 0.03
                done
                [[ $(awk -v p="$p" '$5 == p && $(NF - 2) != "autofs"' "/proc/$pid/mountinfo") ]] || {
                        echo "$p: the access was answered without a mount" >&2
                        return 1
                }
        done
}

# automounts_hang PID TIMEOUT PATH...: non-zero unless every access still hangs after TIMEOUT
# seconds (accessed in parallel); says how each one went on stderr.
automounts_hang() {
        rig_all_hang "$@" >&2 || return 1
}

# start_blocked_access PID PATH: leaves a process blocked on PATH in the background and sets
# BLOCKED_PID to its host PID. Call it directly, not in $(...): the process must stay our
# child so that it can be reaped. rig_teardown kills it if the test did not.
start_blocked_access() {
        local pid=$1 path=$2 i st=
        rig_access_start "$pid" "$path"
        [[ -n $RIG_ACCESS_PID ]] || fail "the access to $path finished at once"
        RIG_BLOCKED+=("$RIG_ACCESS_WRAPPER $RIG_ACCESS_NSENTER $RIG_ACCESS_PID")
        BLOCKED_PID=$RIG_ACCESS_PID
        for ((i = 0; i < 100; i++)); do
                st=$(rig_proc_state "$BLOCKED_PID") || break
                [[ $st == "D autofs_wait" ]] && return 0
                sleep 0.05
        done
        fail "the access to $path is not blocked in autofs_wait (state: ${st:-gone})"
}

# kill_blocked_access PID: kills (by PID) and reaps an access made by start_blocked_access.
kill_blocked_access() {
        local i entry
        for i in "${!RIG_BLOCKED[@]}"; do
                entry=${RIG_BLOCKED[i]}
                [[ ${entry##* } == "$1" ]] || continue
                read -r RIG_ACCESS_WRAPPER RIG_ACCESS_NSENTER RIG_ACCESS_PID <<<"$entry"
                rig_access_kill
                unset 'RIG_BLOCKED[i]'
        done
}

# Leaves nothing behind: blocked accesses (killed by PID), containers, overlay mounts,
# bundles and images of this test. Fails (and so fails the test) when something could not be
# removed or is still there afterwards.
rig_teardown() {
        local entry name rc=0 dir pid
        for entry in "${RIG_BLOCKED[@]}"; do
                read -r RIG_ACCESS_WRAPPER RIG_ACCESS_NSENTER RIG_ACCESS_PID <<<"$entry"
                rig_access_kill
                for pid in $entry; do
                        if [[ -e /proc/$pid && $(rig_proc_state "$pid") != Z* ]]; then
                                echo "teardown: blocked access $pid is still alive" >&2
                                rc=1
                        fi
                done
        done
        RIG_BLOCKED=()
        for name in "${RIG_CONTAINERS[@]}"; do
                rig_remove_container "$name" || rc=1
                rig_remove_bundle "$name" || rc=1
                rig_remove_images "$name" || rc=1
                if rig_container_exists "$name"; then
                        echo "teardown: container $name is left" >&2
                        rc=1
                fi
                dir=$(rig_bundle_dir "$name")
                if [[ -e $dir ]] || grep -qF " $dir/" /proc/self/mountinfo; then
                        echo "teardown: bundle or mount of $name is left in $dir" >&2
                        rc=1
                fi
        done
        RIG_CONTAINERS=()
        return $rc
}

use_runtime runc
