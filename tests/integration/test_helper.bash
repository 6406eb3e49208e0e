# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# Variables here are read by the test files and by lib.sh; $output comes from bats' run:
# shellcheck disable=SC2034,SC2154
#
# Helpers for the integration tests: real runc containers running systemd, real CRIU, the
# restore simulator. Load with "load test_helper" and call rig_teardown from teardown().
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

# start_runc_container NAME [make-bundle options]: makes the bundle, starts the container and,
# unless --init replaced systemd, waits until systemd says running or degraded.
start_runc_container() {
        local name=$1 bundle state arg with_systemd=1
        shift
        for arg in "$@"; do
                [[ $arg == --init ]] && with_systemd=0
        done
        RIG_CONTAINERS+=("$name")
        rig_remove_container "$name"
        rig_remove_bundle "$name"
        bundle=$("$RIG_DIR/make-bundle" "$name" "$@") || fail "make-bundle $name $* failed"
        if ! rig_runc_run "$name" "$bundle"; then
                cat "$bundle/console.log" >&2
                fail "runc could not start $name"
        fi
        if ((with_systemd == 0)); then
                [[ $(rig_container_status "$name") == running ]] || fail "$name is not running"
                return 0
        fi
        if ! state=$(rig_wait_systemd "$name" 30); then
                echo "--- journal of $name ---" >&2
                rig_container_journal "$name" >&2
                fail "systemd in $name did not come up within 30 s (state: $state)"
        fi
}

container_pid() {
        rig_container_pid "$1" || fail "no PID for container $1"
}

# automount_answers PID PATH [TIMEOUT]: 0 when an access to PATH from inside the container
# succeeds within TIMEOUT seconds (default 2); non-zero otherwise. A hung access is killed by
# its PID and reaped; $RIG_HANG_STATE then tells what it was blocked on.
automount_answers() {
        rig_automount_answers "$@"
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
                timeout 10 nsenter -t "$pid" -m -- umount "$p" || {
                        echo "cannot unmount the top of $p" >&2
                        return 1
                }
                [[ $(rig_top_dev "$pid" "$p") != "$top" ]] || {
                        echo "$p: $top is still on top after the unmount" >&2
                        return 1
                }
                for ((i = 0; i < 100; i++)); do
                        state=$(timeout 5 nsenter -t "$pid" -m -p -- systemctl is-active "$unit" </dev/null) || true
                        [[ $state == inactive || $state == failed ]] && break
                        sleep 0.05
                done
                [[ $state == inactive || $state == failed ]] || {
                        echo "$unit still $state after its unmount" >&2
                        return 1
                }
                rig_automount_answers "$pid" "$p" 3 || {
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

# automounts_hang PID TIMEOUT PATH...: fails unless every access hangs (accessed in parallel).
automounts_hang() {
        run rig_all_hang "$@"
        echo "$output"
        assert_success
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

# checkpoint_runc NAME / restore_runc NAME: a real checkpoint, and a restore, with the wrapped
# trixie CRIU. The images stay in $RIG_IMAGES/NAME for inspection until teardown.
checkpoint_runc() {
        local name=$1 images=$RIG_IMAGES/$1
        [[ -n ${RIG_CRIU:-} ]] || fail "checkpoint_runc needs rig_require criu"
        rm -rf "$images"
        mkdir -p "$images"
        if ! timeout 120 runc --criu "$RIG_CRIU" checkpoint --image-path "$images" \
                --work-path "$images" "$name" </dev/null 3>&-; then
                tail -n 30 "$images/dump.log" >&2
                fail "runc checkpoint $name failed"
        fi
}

# restore_runc sets RESTORED_NS to the moment runc returned, for tests that time what follows.
restore_runc() {
        local name=$1 images=$RIG_IMAGES/$1 bundle rc=0
        bundle=$(rig_bundle_dir "$name")
        timeout 120 runc --criu "$RIG_CRIU" restore -d --image-path "$images" \
                --work-path "$images" --bundle "$bundle" "$name" \
                </dev/null >>"$bundle/console.log" 2>&1 3>&- || rc=$?
        RESTORED_NS=$(date +%s%N)
        if ((rc != 0)); then
                tail -n 30 "$images/restore.log" >&2
                tail -n 5 "$bundle/console.log" >&2
                fail "runc restore $name failed"
        fi
        [[ $(rig_container_status "$name") == running ]] || fail "$name is not running after restore"
}

checkpoint_restore_runc() {
        checkpoint_runc "$1"
        restore_runc "$1"
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
