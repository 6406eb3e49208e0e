# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Helpers for the OCI hook's tests (20-oci-hook.bats): runc bundles with the hook in
# config.json, podman with the shipped hooks.d file, checkpoint/restore with the rig's CRIU,
# and reading what the hook and its detached watcher logged. Load after test_helper.
#
# Holds the podman adapter (see use_runtime in test_helper.bash). Every container and image made
# here is named arh-oci-*; runc containers are registered in RIG_CONTAINERS (removed by
# rig_teardown), podman ones in OCI_PODMAN_CONTAINERS and OCI_PODMAN_IMAGES (removed by
# oci_teardown).
# shellcheck disable=SC2034 # the constants and OCI_* results are read by the .bats file

OCI_HOOKS_D_IN=$RIG_TOP/docs/hooks.d/oci-autofs-restore.json.in
OCI_PREFIX=arh-oci-
# README's promise: the repair is done within a second of the restore returning (on the machine
# kind the budgets were set on; rig_budget_ms scales them to a slower one).
OCI_REPAIR_BUDGET_MS=$(rig_budget_ms 1000)
# Every automount answered and every file read back (through the runtime's exec, which costs
# most of it).
OCI_ANSWER_BUDGET_MS=$(rig_budget_ms 3000)

OCI_PODMAN_CONTAINERS=()
OCI_PODMAN_IMAGES=()
# podman 5 warns on every call on a host with cgroup v1 hierarchies (the gate's hybrid layout):
# the warning would land in the output that tests compare.
export PODMAN_IGNORE_CGROUPSV1_WARNING=1

# arh-oci-<test number>[-SUFFIX]
oci_name() {
        printf '%s%s%s\n' "$OCI_PREFIX" "$BATS_TEST_NUMBER" "${1:+-$1}"
}

# oci_require [criu] [podman]: the rig's prerequisites plus the hook binary.
oci_require() {
        local what rig=()
        for what in "$@"; do
                [[ $what == criu ]] && rig+=(criu)
        done
        rig_require "${rig[@]}"
        [[ -x $OCI_HOOK_BIN ]] || rig_unavailable "$OCI_HOOK_BIN not built (make)"
        for what in "$@"; do
                case $what in
                criu)
                        # No CRIU configuration may be in play unless a test brings its own: a
                        # global action script would repair the containers behind our back.
                        if [[ -e /etc/criu/runc.conf ]] && grep -q action-script /etc/criu/runc.conf; then
                                rig_unavailable "/etc/criu/runc.conf registers an action script"
                        fi
                        ;;
                podman)
                        command -v podman >/dev/null || rig_unavailable "podman not installed"
                        ;;
                *) ;;
                esac
        done
}

# A JSON array of the arguments, whatever they start with (jq 1.6 takes "--x" after --args for
# one of its own options, so make-bundle --hook cannot pass options to a hook).
oci_json_array() {
        local json='[]' a
        for a in "$@"; do
                json=$(jq -cn --argjson acc "$json" --arg a "$a" '$acc + [$a]')
        done
        printf '%s\n' "$json"
}

# oci_add_hook BUNDLE STAGE ARG...: adds the hook binary at STAGE of BUNDLE/config.json with
# argv = oci-autofs-restore ARG...
oci_add_hook() {
        local bundle=$1 stage=$2 args
        shift 2
        args=$(oci_json_array oci-autofs-restore "$@")
        jq --arg stage "$stage" --arg path "$OCI_HOOK_BIN" --argjson args "$args" \
                '.hooks[$stage] += [{path: $path, args: $args}]' \
                "$bundle/config.json" >"$bundle/config.json.new" &&
                mv "$bundle/config.json.new" "$bundle/config.json"
}

# oci_runc_start NAME HOOKS -- [make-bundle options]: HOOKS is a list of "STAGE ARG,ARG,..."
# words separated by ';' (e.g. "createRuntime --stage=createRuntime,--log-file=/x"). Makes the
# bundle, adds the hooks, starts the container and waits for systemd. Sets RUNC_BUNDLE, CT_PID.
oci_runc_start() {
        local name=$1 hooks=$2 spec stage
        local -a specs args
        shift 2
        [[ ${1:-} == -- ]] && shift
        make_runc_bundle "$name" "$@"
        IFS=';' read -r -a specs <<<"$hooks"
        for spec in "${specs[@]}"; do
                [[ -n $spec ]] || continue
                stage=${spec%% *}
                IFS=, read -r -a args <<<"${spec#* }"
                oci_add_hook "$RUNC_BUNDLE" "$stage" "${args[@]}" || fail "cannot add the $stage hook"
        done
        run_runc_bundle "$name"
}

# oci_log FILE: the --log-file lines in the shape of the hook's stderr lines, "PROGRAM: ...":
# each line's time stamp and PID are checked and dropped.
oci_log() {
        sed -E -n 's/^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}[+-][0-9]{4} ([a-z-]+)\[[0-9]+\]: /\1: /p' "$1" 2>/dev/null
}

# oci_wait_for_log FILE REGEX TIMEOUT_MS: waits until a line of FILE matches.
oci_wait_for_log() {
        local file=$1 regex=$2 deadline
        deadline=$(($(now_ms) + $3))
        while (($(now_ms) < deadline)); do
                oci_log "$file" | grep -Eq -- "$regex" && return 0
                sleep 0.02
        done
        return 1
}

# The PID of the last watcher the hook reported in FILE.
oci_watcher_pid() {
        sed -n 's/.* watcher \([0-9][0-9]*\) repairs .*/\1/p' "$1" | tail -n 1
}

# The state JSON a runtime would write, for the tests that run the hook by hand.
# oci_state ID STATUS PID [ANNOTATIONS-JSON]
oci_state() {
        local ann=${4:-'{}'}
        jq -cn --arg id "$1" --arg status "$2" --argjson pid "$3" --argjson ann "$ann" \
                '{ociVersion: "1.0.2-dev", id: $id, status: $status, pid: $pid,
                  bundle: "/var/tmp/arh-oci-none", annotations: $ann}'
}

# --- podman ----------------------------------------------------------------------------------

# Imports the rig's rootfs as a podman image once per test that needs it; sets OCI_IMAGE.
oci_podman_image() {
        OCI_IMAGE=localhost/${OCI_PREFIX}rootfs:${RIG_ROOTFS##*/rootfs-}
        OCI_PODMAN_IMAGES+=("$OCI_IMAGE")
        rig_timeout 60 podman image exists "$OCI_IMAGE" && return 0
        tar -C "$RIG_ROOTFS" -c . | rig_timeout 300 podman import - "$OCI_IMAGE" >/dev/null ||
                fail "podman import of $RIG_ROOTFS failed"
}

# The shipped hooks.d file, installed as make install would (with BINDIR = the build
# directory), with --log-file added so that the test can read what the hook did. Sets
# OCI_HOOKS_DIR.
oci_hooks_dir() {
        local log=$1
        OCI_HOOKS_DIR=$BATS_TEST_TMPDIR/hooks.d
        mkdir -p "$OCI_HOOKS_DIR"
        sed "s|@BINDIR@|$RIG_TOP/build|g" "$OCI_HOOKS_D_IN" |
                jq --arg log "--log-file=$log" '.hook.args += [$log]' \
                        >"$OCI_HOOKS_DIR/oci-autofs-restore.json" ||
                fail "cannot install $OCI_HOOKS_D_IN"
}

# oci_podman_start NAME: a systemd container from OCI_IMAGE with the hooks in OCI_HOOKS_DIR, as
# TESTRIG.md describes. Sets CT_PID.
oci_podman_start() {
        local name=$1 init
        mapfile -t init < <(rig_systemd_args)
        OCI_PODMAN_CONTAINERS+=("$name")
        rig_timeout 60 podman rm -f "$name" >/dev/null 2>&1
        rig_timeout 60 podman --hooks-dir "$OCI_HOOKS_DIR" run -d --name "$name" --runtime runc \
                --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 --device /dev/autofs \
                --cap-add SYS_ADMIN --systemd=always "$OCI_IMAGE" \
                "${init[@]}" \
                </dev/null >/dev/null 3>&- || fail "podman run $name failed"
        wait_for_systemd "$name"
        CT_PID=$(container_pid "$name")
}

# podman looks criu up in PATH.
oci_podman() {
        PATH=$RIG_CRIU_DIR:$PATH rig_timeout 120 podman --hooks-dir "$OCI_HOOKS_DIR" "$@" </dev/null 3>&-
}

# --- the podman adapter (see use_runtime) ------------------------------------------------------

podman_exec_argv() {
        EXEC_ARGV=(podman exec "$1")
}

podman_pid() {
        rig_timeout 30 podman inspect -f '{{.State.Pid}}' "$1"
}

podman_checkpoint() {
        oci_podman container checkpoint "$1" >/dev/null || fail "podman container checkpoint $1 failed"
}

podman_restore() {
        local rc=0
        oci_podman container restore "$@" >/dev/null || rc=$?
        RESTORED_MS=$(now_ms)
        ((rc == 0)) || fail "podman container restore $1 failed"
}

# oci_podman_remove container|image NAME: removes it whatever its state; fails when it is left.
oci_podman_remove() {
        local kind=$1 name=$2
        rig_timeout 60 podman "$kind" rm -f "$name" >/dev/null 2>&1 || true
        if rig_timeout 30 podman "$kind" exists "$name"; then
                echo "teardown: podman $kind $name is left" >&2
                return 1
        fi
}

# Fails (and so fails the test) when a podman container or image is left.
oci_teardown() {
        local name rc=0
        for name in "${OCI_PODMAN_CONTAINERS[@]}"; do
                oci_podman_remove container "$name" || rc=1
        done
        OCI_PODMAN_CONTAINERS=()
        for name in "${OCI_PODMAN_IMAGES[@]}"; do
                oci_podman_remove image "$name" || rc=1
        done
        OCI_PODMAN_IMAGES=()
        return $rc
}
