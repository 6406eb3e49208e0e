# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Shared by every rig script, the bats helpers and the demo. Holds paths, logging and the runc
# plumbing that more than one caller needs; nothing here is specific to bats.

RIG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RIG_TOP=$(cd "$RIG_DIR/../.." && pwd)

# Downloads and built trees that are expensive to make and never modified once made.
RIG_CACHE=${AUTOFS_RIG_CACHE:-/var/cache/autofs-restore-hook}
# Per-container state (bundles, overlay upper dirs, checkpoint images): thrown away after use.
RIG_WORK=${AUTOFS_RIG_WORK:-/var/tmp/autofs-restore-hook}
RIG_BUNDLES=$RIG_WORK/bundles
RIG_IMAGES=$RIG_WORK/images

# Every container, bundle and image the rig makes is named with this prefix, so that a stale one
# can be recognised and removed without touching anybody else's.
RIG_PREFIX=arh-

RIG_PROG=${RIG_PROG:-${0##*/}}

rig_log() {
        printf '%s: %s\n' "$RIG_PROG" "$*" >&2
}

rig_warn() {
        printf '%s: warning: %s\n' "$RIG_PROG" "$*" >&2
}

die() {
        printf '%s: error: %s\n' "$RIG_PROG" "$*" >&2
        exit 1
}

rig_need_root() {
        [[ $(id -u) -eq 0 ]] || die "must run as root"
}

# Serialises writers of one cache entry: two test runs building the rootfs at once would
# otherwise both debootstrap and race on the final rename. The lock fd stays open until the
# calling script exits.
rig_lock() {
        local name=$1
        mkdir -p "$RIG_CACHE"
        exec {RIG_LOCK_FD}>"$RIG_CACHE/.lock-$name"
        flock "$RIG_LOCK_FD" || die "cannot lock $RIG_CACHE/.lock-$name"
}

# Short, stable digest of files: a recipe's cache key changes whenever the recipe does.
rig_digest() {
        cat "$@" | sha256sum | cut -c1-12
}

rig_valid_name() {
        [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] || die "invalid name '$1'"
}

rig_bundle_dir() {
        printf '%s/%s\n' "$RIG_BUNDLES" "$1"
}

# --- runc containers -------------------------------------------------------------------------

rig_container_exists() {
        runc state "$1" >/dev/null 2>&1
}

rig_container_status() {
        runc state "$1" 2>/dev/null | jq -r .status
}

rig_container_pid() {
        local pid
        pid=$(runc state "$1" 2>/dev/null | jq -r .pid) || return 1
        [[ $pid =~ ^[0-9]+$ && $pid -gt 0 ]] || return 1
        printf '%s\n' "$pid"
}

# runc run -d hands its own stdio to the container: a caller's pipe (bats, $(...)) would then
# never see EOF. The container writes to a log file in its bundle instead.
rig_runc_run() {
        local name=$1 bundle=$2
        timeout 60 runc run -d --bundle "$bundle" "$name" \
                </dev/null >>"$bundle/console.log" 2>&1
}

# Waits until systemd inside NAME reports running or degraded. Prints the final state; fails
# after TIMEOUT seconds.
rig_wait_systemd() {
        local name=$1 timeout=${2:-30} state="" deadline
        deadline=$((SECONDS + timeout))
        while ((SECONDS < deadline)); do
                state=$(timeout 5 runc exec "$name" systemctl is-system-running 2>/dev/null </dev/null) || true
                case $state in
                running | degraded)
                        printf '%s\n' "$state"
                        return 0
                        ;;
                *) ;;
                esac
                sleep 0.2
        done
        printf '%s\n' "${state:-unknown}"
        return 1
}

rig_container_journal() {
        timeout 10 runc exec "$1" journalctl --no-pager -b -n "${2:-80}" </dev/null 2>&1 || true
}

# Removes a container whatever its state; a no-op when it does not exist.
rig_remove_container() {
        local name=$1
        rig_container_exists "$name" || return 0
        timeout 30 runc delete -f "$name" >/dev/null 2>&1 || true
        if rig_container_exists "$name"; then
                rig_warn "runc delete -f $name failed"
                return 1
        fi
}

# Removes a bundle made by make-bundle: unmounts its overlay root first, so that rm never walks
# into the cached lower layer through the merged view.
rig_remove_bundle() {
        local dir
        dir=$(rig_bundle_dir "$1")
        [[ -d $dir ]] || return 0
        if mountpoint -q "$dir/rootfs"; then
                umount "$dir/rootfs" 2>/dev/null || umount -l "$dir/rootfs" ||
                        { rig_warn "cannot unmount $dir/rootfs"; return 1; }
        fi
        rm -rf --one-file-system "$dir"
}

rig_remove_images() {
        rm -rf --one-file-system "${RIG_IMAGES:?}/$1"
}

# Everything named with the rig's prefix that an aborted run may have left: runc containers,
# LXC containers, podman containers, bundles and images.
rig_cleanup_stale() {
        local name
        for name in $(runc list -q 2>/dev/null); do
                [[ $name == "$RIG_PREFIX"* ]] && rig_remove_container "$name"
        done
        if command -v lxc-ls >/dev/null; then
                for name in $(lxc-ls -1 2>/dev/null); do
                        [[ $name == "$RIG_PREFIX"* ]] || continue
                        timeout 30 lxc-stop -k -n "$name" >/dev/null 2>&1 || true
                        timeout 30 lxc-destroy -n "$name" >/dev/null 2>&1 || true
                done
        fi
        if command -v podman >/dev/null; then
                for name in $(timeout 30 podman ps -a --format '{{.Names}}' 2>/dev/null); do
                        [[ $name == "$RIG_PREFIX"* ]] && timeout 60 podman rm -f "$name" >/dev/null 2>&1
                done
        fi
        if [[ -d $RIG_BUNDLES ]]; then
                for name in "$RIG_BUNDLES/$RIG_PREFIX"*; do
                        [[ -d $name ]] && rig_remove_bundle "${name##*/}"
                done
        fi
        rm -rf --one-file-system "${RIG_IMAGES:?}/$RIG_PREFIX"*
        return 0
}

# --- accesses to automounts ------------------------------------------------------------------

# Host PID of the single child of PID (nsenter's child in the container's PID namespace).
rig_child_of() {
        local kids
        kids=$(cat "/proc/$1/task/$1/children" 2>/dev/null) || return 1
        kids=${kids%% *}
        [[ -n $kids ]] || return 1
        printf '%s\n' "$kids"
}

# "STATE WCHAN" of a process, e.g. "D autofs_wait".
rig_proc_state() {
        local stat state wchan
        stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
        # The command name may contain spaces: the state is the first field after its ')'.
        stat=${stat##*) }
        state=${stat%% *}
        wchan=$(cat "/proc/$1/wchan" 2>/dev/null) || wchan=?
        printf '%s %s\n' "$state" "${wchan:-?}"
}

# Starts "stat PATH" inside the container's mount and PID namespaces, in the background.
# Only a process in the PID namespace of the container's systemd waits for a broken autofs:
# the kernel lets every other caller through at once, so the access has to be made from there.
# Sets RIG_ACCESS_WRAPPER (nsenter, our child) and RIG_ACCESS_PID (the stat, its child).
rig_access_start() {
        local pid=$1 path=$2 i
        RIG_ACCESS_WRAPPER= RIG_ACCESS_PID=
        nsenter -t "$pid" -m -p -- stat -- "$path" </dev/null >/dev/null 2>&1 &
        RIG_ACCESS_WRAPPER=$!
        for ((i = 0; i < 200; i++)); do
                RIG_ACCESS_PID=$(rig_child_of "$RIG_ACCESS_WRAPPER") && return 0
                # nsenter exits without a child when entering the namespaces failed or the
                # access was already done.
                kill -0 "$RIG_ACCESS_WRAPPER" 2>/dev/null || return 0
                sleep 0.01
        done
        return 0
}

# Kills the access started by rig_access_start by its own PIDs (never by name) and reaps it.
rig_access_kill() {
        if [[ -n ${RIG_ACCESS_PID:-} ]]; then
                kill -KILL "$RIG_ACCESS_PID" 2>/dev/null || true
        fi
        if [[ -n ${RIG_ACCESS_WRAPPER:-} ]]; then
                kill -KILL "$RIG_ACCESS_WRAPPER" 2>/dev/null || true
                wait "$RIG_ACCESS_WRAPPER" 2>/dev/null || true
        fi
        RIG_ACCESS_PID= RIG_ACCESS_WRAPPER=
}

# Accesses PATH in the container whose init is PID. Returns 0 when the access completed within
# TIMEOUT seconds (whatever stat said), 1 when it hung: the hung process is then killed by its
# PID and reaped, and RIG_HANG_STATE says what it was waiting on.
rig_automount_answers() {
        local pid=$1 path=$2 timeout=${3:-2} deadline
        RIG_HANG_STATE=
        rig_access_start "$pid" "$path"
        deadline=$(($(date +%s%N) + timeout * 1000000000))
        while (($(date +%s%N) < deadline)); do
                if ! kill -0 "$RIG_ACCESS_WRAPPER" 2>/dev/null; then
                        wait "$RIG_ACCESS_WRAPPER" 2>/dev/null || true
                        RIG_ACCESS_PID= RIG_ACCESS_WRAPPER=
                        return 0
                fi
                sleep 0.02
        done
        [[ -n $RIG_ACCESS_PID ]] && RIG_HANG_STATE=$(rig_proc_state "$RIG_ACCESS_PID")
        rig_access_kill
        return 1
}
