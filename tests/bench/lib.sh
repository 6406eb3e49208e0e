# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# Variables set here are read by tests/bench/run:
# shellcheck disable=SC2034
#
# The benchmark's container plumbing: how many automounts the container has and how many have
# data on top, how many unrelated mounts its mount namespace holds, and one timed round of each
# contender. Sourced by tests/bench/run after tests/rig/lib.sh; expects NAME, PID, HOOK, BREAK.

# Where the unrelated mounts live in the container: one tmpfs, everything else below it, so that
# one lazy unmount takes them all away again.
BENCH_MOUNTS_DIR=/run/arh-bench-mounts

# Automount units the container has now (srv-a1 ... srv-aN are active), and how many of them
# got their unit files from us (the rootfs brings BENCH_IMAGE_AUTOMOUNTS).
BENCH_AUTOMOUNTS=0
BENCH_UNITS_MADE=0
BENCH_IMAGE_AUTOMOUNTS=8

# Runs a bash script inside the container, the way an administrator would.
ct_bash() {
        timeout "${BENCH_EXEC_TIMEOUT:-300}" runc exec "$NAME" bash -c "$1" </dev/null
}

# srv-aI.automount ... srv-aJ.automount
unit_range() {
        local i
        for ((i = $1; i <= $2; i++)); do
                printf 'srv-a%d.automount ' "$i"
        done
}

# Half of the automounts, rounded up, have a tmpfs with a file on top.
data_count() {
        echo $((($1 + 1) / 2))
}

# set_automounts N: srv-a1 ... srv-aN active, no other automount unit. Units beyond the image's
# are written into the container's /etc/systemd/system (its overlay's upper layer) and loaded with
# a daemon-reload, exactly as an administrator would add them.
set_automounts() {
        local n=$1 script=""
        if ((n > BENCH_UNITS_MADE && n > BENCH_IMAGE_AUTOMOUNTS)); then
                script+="
                for ((i = $((BENCH_UNITS_MADE > BENCH_IMAGE_AUTOMOUNTS ? BENCH_UNITS_MADE + 1 : BENCH_IMAGE_AUTOMOUNTS + 1)); i <= $n; i++)); do
                        mkdir -p /srv/a\$i
                        printf '[Mount]\nWhat=tmpfs\nWhere=/srv/a%d\nType=tmpfs\nOptions=mode=0755,size=1m\n' \$i \
                                >/etc/systemd/system/srv-a\$i.mount
                        printf '[Automount]\nWhere=/srv/a%d\n' \$i >/etc/systemd/system/srv-a\$i.automount
                done
                systemctl daemon-reload"
                BENCH_UNITS_MADE=$n
        fi
        if ((n > BENCH_AUTOMOUNTS)); then
                script+="
                systemctl start $(unit_range $((BENCH_AUTOMOUNTS + 1)) "$n")"
        elif ((n < BENCH_AUTOMOUNTS)); then
                script+="
                systemctl stop $(unit_range $((n + 1)) "$BENCH_AUTOMOUNTS")"
        fi
        [[ -n $script ]] && ct_bash "set -e; $script"
        BENCH_AUTOMOUNTS=$n
}

# set_unrelated_mounts M: the container's mount namespace gets M mounts that have nothing to do
# with any automount (half tmpfs, half bind mounts), in place of the ones it had. Made with
# mount(2) from a perl one-liner in the container's mount namespace: mount(8) M times would
# take minutes.
set_unrelated_mounts() {
        local m=$1
        # shellcheck disable=SC2016 # perl code, expanded by perl
        nsenter -t "$PID" -m -- perl -e '
                use strict;
                my ($dir, $m) = @ARGV;
                my ($SYS_mount, $SYS_umount2, $MS_BIND, $MNT_DETACH) = (165, 166, 4096, 2);
                # syscall() may write into its string arguments: no literals.
                my ($tmpfs, $top_opts, $opts, $src) = ("tmpfs", "mode=0755", "size=64k", "$dir/src");
                syscall($SYS_umount2, $dir, $MNT_DETACH) if -d $dir;
                exit 0 if $m == 0;
                mkdir $dir;
                syscall($SYS_mount, $tmpfs, $dir, $tmpfs, 0, $top_opts) == 0
                        or die "mount $dir: $!\n";
                mkdir $src;
                for my $i (1 .. $m) {
                        my $t = "$dir/m$i";
                        mkdir $t or die "mkdir $t: $!\n";
                        my $r = $i % 2
                                ? syscall($SYS_mount, $tmpfs, $t, $tmpfs, 0, $opts)
                                : syscall($SYS_mount, $src, $t, 0, $MS_BIND, 0);
                        $r == 0 or die "mount $t: $!\n";
                }' "$BENCH_MOUNTS_DIR" "$m"
        # systemd makes a mount unit of every one of them: let it catch up before timing anything.
        ct_bash "systemctl is-system-running --wait >/dev/null || true"
}

# The number of lines in the container's mount table.
mount_count() {
        wc -l <"/proc/$PID/mountinfo"
}

# Brings the container back to the starting state of a round: every automount active, the
# start rate limit of every unit reset (systemctl reset-failed), a file on the first half of the
# automounts (which mounts their tmpfs), then every automount broken as a restore breaks it.
prepare_round() {
        local n=$BENCH_AUTOMOUNTS d
        d=$(data_count "$n")
        ct_bash "systemctl reset-failed; systemctl start $(unit_range 1 "$n");
                 for ((i = 1; i <= $d; i++)); do echo bench >/srv/a\$i/file; done" >/dev/null
        "$BREAK" --pid "$PID" >/dev/null
        wait_systemd_idle
}

# systemd re-reads its whole mount table after every change of it, at most 5 times a second
# (later changes wait for the next second): with thousands of mounts that takes it milliseconds
# each time. Every contender starts once systemd is done with the changes the round's set-up
# made, or the first one to run would pay for them: a second for the rate limit to pass, then
# systemd's CPU time (schedstat, ns) must stay still for 100 ms, 3 s at most.
wait_systemd_idle() {
        local a b still=0 i
        sleep 1.1
        a=$(awk '{ print $1 }' "/proc/$PID/schedstat")
        for ((i = 0; i < 60 && still < 2; i++)); do
                sleep 0.05
                b=$(awk '{ print $1 }' "/proc/$PID/schedstat")
                if ((b - a < 200000)); then still=$((still + 1)); else still=0; fi
                a=$b
        done
}

# Milliseconds between two $EPOCHREALTIME values.
elapsed_ms() {
        awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f\n", (b - a) * 1000 }'
}

# One timed repair by the hook, run as CRIU runs an action script. Prints milliseconds.
round_hook() {
        local t0 t1
        t0=$EPOCHREALTIME
        CRTOOLS_SCRIPT_ACTION=post-resume CRTOOLS_INIT_PID=$PID "$HOOK" >/dev/null 2>&1 || true
        t1=$EPOCHREALTIME
        elapsed_ms "$t0" "$t1"
}

# The floor: one systemctl restart of the same units in one call, timed inside the container.
# It does nothing for the data on top (systemd detaches it); it is the cost of the restart jobs
# alone, which no repair can avoid.
round_floor() {
        ct_bash "t0=\$EPOCHREALTIME; systemctl restart $(unit_range 1 "$BENCH_AUTOMOUNTS") || true;
                 t1=\$EPOCHREALTIME; echo \"\$t0 \$t1\"" | {
                read -r t0 t1
                elapsed_ms "$t0" "$t1"
        }
}

# CRIU's reference script with its unit list widened to the container's automounts ($1).
round_reference() {
        local t0 t1
        t0=$EPOCHREALTIME
        CRTOOLS_SCRIPT_ACTION=post-resume CRTOOLS_INIT_PID=$PID "$1" >/dev/null 2>&1 || true
        t1=$EPOCHREALTIME
        elapsed_ms "$t0" "$t1"
        # Whatever it left broken is repaired (by us, untimed), or the next round's writes hang.
        CRTOOLS_SCRIPT_ACTION=post-resume CRTOOLS_INIT_PID=$PID "$HOOK" >/dev/null 2>&1 || true
}

# Peak RSS in KiB of one repair (an extra round, untimed: time(1) adds its own fork).
hook_peak_rss() {
        local f
        f=$(mktemp)
        prepare_round
        CRTOOLS_SCRIPT_ACTION=post-resume CRTOOLS_INIT_PID=$PID \
                /usr/bin/time -f %M -o "$f" "$HOOK" >/dev/null 2>&1 || true
        tail -n1 "$f"
        rm -f "$f"
}

# How many automounts are not active, or lost the file on top: both must be 0 after a repair.
damage() {
        local n=$BENCH_AUTOMOUNTS d
        d=$(data_count "$n")
        ct_bash "bad=0
                 for ((i = 1; i <= $n; i++)); do
                         systemctl -q is-active srv-a\$i.automount || bad=\$((bad + 1))
                 done
                 for ((i = 1; i <= $d; i++)); do
                         grep -qs bench /srv/a\$i/file || bad=\$((bad + 1))
                 done
                 echo \$bad"
}

# median of the numbers on stdin
median() {
        sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%.1f\n", v[int((NR + 1) / 2)]; else print "-" }'
}

ratio() {
        awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2fx\n", a / b }'
}
