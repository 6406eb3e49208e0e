# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# Helpers for tests with nested mount namespaces in the container.

# Units started before the checkpoint (runc exec processes are not checkpointed): a service with
# PrivateTmp=yes, and one whose process runs in a mount namespace of its own with the propagation
# PROPAGATION (default private). Both are created after write_files, so their
# namespaces hold copies of the automounts with the tmpfs and its file on top.
# nested_start_services NAME [PROPAGATION]
nested_start_services() {
        local name=$1 extra=${2:-}
        ct_sh "$name" "cat >/etc/systemd/system/nested-private.service <<'UNIT'
[Service]
PrivateTmp=yes
ExecStart=/bin/sleep infinity
UNIT
cat >/etc/systemd/system/nested-unshare.service <<'UNIT'
[Service]
ExecStart=/usr/bin/unshare -m --propagation ${extra:-private} /bin/sleep infinity
UNIT
systemctl daemon-reload && systemctl start nested-private.service nested-unshare.service" ||
                fail "cannot start the nested services"
        [[ $(nested_pids "$(container_pid "$name")" | wc -l) -ge 2 ]] || fail "no nested mount namespaces"
}

# One host PID per mount namespace of the container other than its init's.
nested_pids() {
        local ct=$1 p pidns mntns seen=" "
        pidns=$(readlink "/proc/$ct/ns/pid")
        mntns=$(readlink "/proc/$ct/ns/mnt")
        for p in /proc/[0-9]*; do
                [[ $(readlink "$p/ns/pid" 2>/dev/null) == "$pidns" ]] || continue
                local m
                m=$(readlink "$p/ns/mnt" 2>/dev/null) || continue
                [[ $m != "$mntns" && $seen != *" $m "* ]] || continue
                # sleep processes only: the services' own namespaces, not a passing helper's
                [[ $(cat "$p/comm" 2>/dev/null) == sleep ]] || continue
                seen+="$m "
                echo "${p#/proc/}"
        done
}

# The file on top of each automount, read inside each nested namespace (from the host PID
# namespace: a stale autofs there never makes us wait).
nested_files_intact() {
        local ct=$1 pid p
        for pid in $(nested_pids "$ct"); do
                for p in "${WITH_FILES[@]}"; do
                        [[ $(rig_timeout 5 nsenter -t "$pid" -m cat "$p/file") == "content of $p" ]] || {
                                echo "file on $p lost in the namespace of $pid" >&2
                                mounts_at "$p" "$pid" >&2
                                return 1
                        }
                done
        done
}

# After each restore: the main namespace's automounts answer, data intact in the main and the
# nested namespaces, no process in autofs_wait.
nested_round_checks() {
        local policy=$1
        if [[ $policy == skip ]]; then
                # Every unit has copies in the nested namespaces: none is touched, all hang.
                all_hang "$CT_PID" || fail "nested=skip repaired a unit"
        else
                all_answer "$CT_PID" || fail "an automount of the main namespace hangs (nested=$policy)"
        fi
        files_intact "$NAME" || fail "data lost in the main namespace"
        nested_files_intact "$CT_PID" || fail "data lost in a nested namespace"
        no_leftovers_in "$CT_PID" || fail "leftovers"
}

# A service that, from the moment the container resumes, reads an automount that is not
# mounted: it loops every 50 ms, counting in /run/reader.count, and reads /srv/a5 in each round
# once /reader.go exists. The test creates that file in the container's root directory on the
# host while the container is checkpointed (reader_open_gate), so /srv/a5 was never mounted at
# the checkpoint and the first access comes right at resume. (Unmounting it again in each round
# would race with systemd: a request that comes while systemd still handles the unmount is never
# answered, restore or not.)
# reader_start NAME
reader_start() {
        ct_sh "$1" "cat >/etc/systemd/system/reader.service <<'UNIT'
[Service]
ExecStart=/bin/sh -c 'n=0; while :; do [ -e /reader.go ] && ls /srv/a5 >/dev/null 2>&1; n=\$((n+1)); echo \$n >/run/reader.count; sleep 0.05; done'
UNIT
systemctl daemon-reload && systemctl start reader.service" || fail "cannot start the reader"
        sleep 0.5
}

# reader_open_gate ROOTFS: the container's root directory as the host sees it.
reader_open_gate() {
        touch "$1/reader.go" || fail "cannot create $1/reader.go"
}

reader_count() {
        cat "/proc/$1/root/run/reader.count" 2>/dev/null || echo 0
}

# Processes of the container of PID in autofs_wait, as "PID comm" lines.
in_autofs_wait() {
        local ct=$1 p pidns
        pidns=$(readlink "/proc/$ct/ns/pid")
        for p in /proc/[0-9]*; do
                [[ $(readlink "$p/ns/pid" 2>/dev/null) == "$pidns" ]] || continue
                [[ $(cat "$p/wchan" 2>/dev/null) == autofs_wait ]] || continue
                echo "${p#/proc/} $(cat "$p/comm" 2>/dev/null)"
        done
}

# One second after the repair the reader makes progress and nothing waits on an autofs.
reader_keeps_going() {
        local ct=$1 a b
        sleep 1
        run in_autofs_wait "$ct"
        if [[ -n $output ]]; then
                local p
                for p in $(awk '{ print $1 }' <<<"$output"); do
                        echo "--- $p: $(tr '\0' ' ' <"/proc/$p/cmdline"), cwd $(readlink "/proc/$p/cwd")" >&2
                        cat "/proc/$p/stack" >&2 || true
                done
                awk '$5 ~ /^\/srv\/a5/' "/proc/$ct/mountinfo" >&2
                rig_timeout 10 nsenter -t "$ct" -m -p -- journalctl --no-pager -b -n 40 -u srv-a5.automount -u srv-a5.mount -u reader.service </dev/null >&2 || true
                fail "processes in autofs_wait one second after the repair: $output"
        fi
        a=$(reader_count "$ct")
        sleep 1
        b=$(reader_count "$ct")
        ((b > a + 5)) || fail "the reader made no progress ($a -> $b)"
        run in_autofs_wait "$ct"
        [[ -z $output ]] || fail "processes in autofs_wait: $output"
}
