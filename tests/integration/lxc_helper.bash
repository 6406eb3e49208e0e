# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Helpers for the LXC tests: real LXC 5.0 containers running systemd, checkpointed and restored
# with the rig's CRIU; the LXC adapter (see use_runtime in test_helper.bash). Load after
# test_helper. Each container lives in a private lxcpath under $LXC_WORK (never /var/lib/lxc), on
# a copy of the cached rootfs; lxc_teardown stops and destroys it whatever the test did.
# shellcheck disable=SC2034 # CT_PID, EXEC_ARGV, RESTORED_MS are read by test_helper and the tests

LXC_HOOK=$RIG_TOP/build/lxc-autofs-restore
LXC_INCLUDE_IN=$RIG_TOP/docs/lxc/autofs-restore.conf.in
LXC_WORK=$RIG_WORK/lxc
LXC_PREFIX=${RIG_PREFIX}lxc-

LXC_CONTAINERS=()

lxc_require() {
        local tool
        rig_require criu
        for tool in lxc-start lxc-checkpoint lxc-stop lxc-destroy lxc-info unshare findmnt; do
                command -v "$tool" >/dev/null || rig_unavailable "$tool not installed"
        done
        [[ -x $LXC_HOOK ]] || rig_unavailable "$LXC_HOOK not built (make)"
}

# LXC 5.0.2's exec_criu() frees an uninitialised pointer (`controllers`) for a cgroup hierarchy
# without controllers, which the cgroup2 mount of a hybrid host is. The freed memory is the
# "--cgroup-root" argument, overwritten by the next one: criu then fails with "invalid argument
# for --ext-mount-map" (dump) or "excessive parameter" (-v). LXC only counts hierarchies it
# sees mounted, so LXC's tools run in a mount namespace of their own without
# /sys/fs/cgroup/unified; nothing changes on the host. The containers run systemd in legacy
# cgroup mode, which never uses that hierarchy.
# LXC also looks criu up in PATH: the rig's wrapper comes first. Every call is bounded.
lxc_run() {
        local criu_dir
        criu_dir=${RIG_CRIU_DIR:?lxc_run needs rig_require criu}
        if findmnt -rn -t cgroup2 /sys/fs/cgroup/unified >/dev/null 2>&1; then
                PATH=$criu_dir:$PATH rig_timeout 120 unshare -m --propagation slave -- \
                        sh -c 'umount /sys/fs/cgroup/unified && exec "$@"' sh "$@"
        else
                PATH=$criu_dir:$PATH rig_timeout 120 "$@"
        fi
}

# lxc_name [WORD]: arh-lxc-<run>-[WORD-]<test number>, unique to this run, so that two runs at
# once never share a container.
lxc_name() {
        printf '%s%s-%s%s\n' "$LXC_PREFIX" "${BATS_ROOT_PID:-$$}" "${1:+$1-}" "$BATS_TEST_NUMBER"
}

lxc_dir() {
        printf '%s/%s\n' "$LXC_WORK" "$1"
}

# The lxcpath of NAME: one per container, so that nothing else ever shares it.
lxc_path() {
        printf '%s/lxcpath\n' "$(lxc_dir "$1")"
}

# Stops and destroys NAME, then removes everything made for it; a no-op for what is not there.
lxc_remove() {
        local name=$1 path dir
        dir=$(lxc_dir "$name")
        path=$(lxc_path "$name")
        [[ -d $dir ]] || return 0
        if [[ -d $path/$name ]]; then
                rig_timeout 30 lxc-stop -P "$path" -n "$name" -k >/dev/null 2>&1 || true
                rig_timeout 30 lxc-destroy -P "$path" -n "$name" >/dev/null 2>&1 || true
        fi
        rm -rf --one-file-system "$dir"
}

# The run a container belongs to ("PID STARTTIME" of the bats run), so that a sweep for stale
# containers never touches those of another run still going.
lxc_owner() {
        declare -F rig_owner >/dev/null && rig_owner 2>/dev/null
        return 0
}

lxc_owner_alive() {
        declare -F rig_owner_alive >/dev/null && rig_owner_alive "$1"
}

# Removes what an earlier run left under $LXC_WORK (only names with our prefix, only if that
# run is over).
lxc_cleanup_stale() {
        local dir
        for dir in "$LXC_WORK/$LXC_PREFIX"*; do
                [[ -d $dir ]] || continue
                lxc_owner_alive "$(cat "$dir/owner" 2>/dev/null)" && continue
                lxc_remove "${dir##*/}"
        done
        return 0
}

# lxc_create NAME: a container on a copy of the cached rootfs (the cache itself is never
# written), with the configuration the rig needs for systemd and CRIU; lxc_config adds lines.
lxc_create() {
        local name=$1 path dir
        dir=$(lxc_dir "$name")
        path=$(lxc_path "$name")
        if [[ -d $dir ]] && lxc_owner_alive "$(cat "$dir/owner" 2>/dev/null)"; then
                fail "$name belongs to another test run that is still going"
        fi
        LXC_CONTAINERS+=("$name")
        lxc_remove "$name"
        mkdir -p "$path/$name/rootfs" "$dir/state"
        lxc_owner >"$dir/owner"
        cp -a --reflink=auto "$RIG_ROOTFS/." "$path/$name/rootfs/" || fail "cannot copy the rootfs"
        cat >"$path/$name/config" <<-EOF
		lxc.uts.name = $name
		lxc.rootfs.path = dir:$path/$name/rootfs
		lxc.mount.auto = proc:mixed sys:mixed cgroup:mixed
		lxc.autodev = 1
		lxc.cgroup.devices.allow = c 10:235 rwm
		lxc.mount.entry = /dev/autofs dev/autofs none bind,create=file 0 0
		lxc.net.0.type = empty
		lxc.init.cmd = $(rig_systemd_args /lib/systemd/systemd | paste -sd' ')
	EOF
        # The engine's records go to a directory of this test, through the config file that
        # hooks and CRIU action scripts inherit with the environment.
        printf 'state-dir=%s\n' "$dir/state" >"$dir/autofs-restore.conf"
        export AUTOFS_RESTORE_HOOK_CONFIG=$dir/autofs-restore.conf
}

# lxc_config NAME LINE...: appends configuration lines.
lxc_config() {
        local name=$1
        shift
        printf '%s\n' "$@" >>"$(lxc_path "$name")/$name/config"
}

# lxc_unconfig NAME REGEX: removes the configuration lines matching REGEX.
lxc_unconfig() {
        sed -i "\|$2|d" "$(lxc_path "$1")/$1/config"
}

# The LXC include as "make install" would install it, pointing at the build tree.
lxc_include() {
        local out
        out=$(lxc_dir "$1")/lxc-include.conf
        sed "s|@BINDIR@|$RIG_TOP/build|g" "$LXC_INCLUDE_IN" >"$out"
        printf '%s\n' "$out"
}

# lxc_start NAME: starts NAME and waits for its systemd; sets CT_PID.
lxc_start() {
        local name=$1 dir
        dir=$(lxc_dir "$name")
        if ! lxc_run lxc-start -P "$(lxc_path "$name")" -n "$name" -l DEBUG -o "$dir/lxc.log" </dev/null; then
                tail -n 30 "$dir/lxc.log" >&2
                fail "lxc-start $name failed"
        fi
        CT_PID=$(container_pid "$name")
        wait_for_systemd "$name"
}

# --- the LXC adapter (see use_runtime) ---------------------------------------------------------

# In the container's mount and PID namespaces, from the host.
lxc_exec_argv() {
        local pid
        pid=$(lxc_pid "$1") || {
                echo "no init PID for $1" >&2
                return 1
        }
        EXEC_ARGV=(nsenter -t "$pid" -m -p --)
}

lxc_pid() {
        local pid
        pid=$(lxc-info -P "$(lxc_path "$1")" -n "$1" -pH 2>/dev/null) || return 1
        [[ $pid =~ ^[0-9]+$ && $pid -gt 1 ]] || return 1
        printf '%s\n' "$pid"
}

lxc_checkpoint() {
        local name=$1 images
        images=$(lxc_dir "$name")/images
        rm -rf "$images"
        if ! lxc_run lxc-checkpoint -P "$(lxc_path "$name")" -n "$name" -s -D "$images" \
                -l DEBUG -o "$(lxc_dir "$name")/lxc.log" </dev/null; then
                tail -n 30 "$images/dump.log" >&2
                fail "lxc-checkpoint -s $name failed"
        fi
}

# lxc_restore NAME [lxc-checkpoint options]: restores NAME from its images, with
# LXC_CHECKPOINT_TOOL instead of lxc-checkpoint if set (the same tool under another name).
lxc_restore() {
        local tool=${LXC_CHECKPOINT_TOOL:-lxc-checkpoint} name=$1 images rc=0
        shift
        images=$(lxc_dir "$name")/images
        lxc_run "$tool" -P "$(lxc_path "$name")" -n "$name" -r -D "$images" "$@" \
                -l DEBUG -o "$(lxc_dir "$name")/lxc.log" </dev/null || rc=$?
        RESTORED_MS=$(now_ms)
        if ((rc != 0)); then
                tail -n 30 "$images/restore.log" >&2
                fail "${tool##*/} -r $name failed"
        fi
}

# --- what LXC tests look at --------------------------------------------------------------------

# automount_stops NAME: how often each of the automount units was stopped in this boot of the
# container ("Unset automount" is systemd's message when it stops one), as "unit count" lines.
automount_stops() {
        local name=$1 p unit out
        for p in "${AUTOMOUNTS[@]}"; do
                unit=$(automount_unit "$p")
                # journalctl's own failure must not read as "stopped 0 times".
                out=$(ct_exec "$name" journalctl --no-pager -b -o cat -u "$unit") || {
                        echo "journalctl for $unit failed" >&2
                        return 1
                }
                printf '%s %s\n' "$unit" "$(grep -c '^Unset automount' <<<"$out")"
        done
}

# The PID of the watcher the pre-start hook reported in LXC's log of NAME (the latest one).
hook_watcher_pid() {
        sed -n 's/.*produced output: .*: watcher \([0-9][0-9]*\) .*/\1/p' "$(lxc_dir "$1")/lxc.log" | tail -n 1
}

# How long, in ms, the latest run of our hook took, from LXC's log of NAME: from "Executing
# script" to the line with its output.
hook_duration_ms() {
        awk -v hook="$LXC_HOOK" '
                function ms(ts) { return substr(ts, 9, 2) * 3600000 + substr(ts, 11, 2) * 60000 + substr(ts, 13, 6) * 1000 }
                index($0, "Executing script \"" hook) { start = ms($3) }
                index($0, "Script exec " hook) && start != "" { d = ms($3) - start; start = "" }
                END { if (d == "") exit 1; print int(d) }' "$(lxc_dir "$1")/lxc.log"
}

# Fails (and so fails the test) when a container is still running or its directory is left.
lxc_teardown() {
        local name rc=0
        for name in "${LXC_CONTAINERS[@]}"; do
                lxc_remove "$name"
                if [[ -e $(lxc_dir "$name") ]]; then
                        echo "teardown: $(lxc_dir "$name") is left" >&2
                        rc=1
                fi
                if rig_timeout 10 lxc-info -P "$(lxc_path "$name")" -n "$name" -s 2>/dev/null | grep -q RUNNING; then
                        echo "teardown: container $name is still running" >&2
                        rc=1
                fi
        done
        LXC_CONTAINERS=()
        return $rc
}
