# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# The host's /etc/criu/default.conf, changed for one test and put back: every CRIU run on the
# machine reads it (runc restores over RPC as well as the criu command), so a test may change
# it only while it holds the integration lock, and must leave the machine as it found it. The
# original is kept next to it (or a marker saying there was none), so that a run killed half
# way is undone by the next one (setup_suite calls criu_conf_restore too).

CRIU_CONF=${CRIU_CONF:-/etc/criu/default.conf}
CRIU_CONF_SAVED=$CRIU_CONF.arh-saved
CRIU_CONF_ABSENT=$CRIU_CONF.arh-absent
CRIU_CONF_SNIPPET=$RIG_TOP/docs/criu/default.conf

# criu_conf_install TEXT-FILE: saves the current file (once) and replaces it with TEXT-FILE.
criu_conf_install() {
        local dir=${CRIU_CONF%/*}
        if [[ ! -e $CRIU_CONF_SAVED && ! -e $CRIU_CONF_ABSENT ]]; then
                if [[ -e $CRIU_CONF ]]; then
                        cp -a "$CRIU_CONF" "$CRIU_CONF_SAVED" || return 1
                elif [[ -d $dir ]]; then
                        : >"$CRIU_CONF_ABSENT" || return 1
                else
                        # The directory goes too, when the file is put back.
                        mkdir -p "$dir" && echo dir >"$CRIU_CONF_ABSENT" || return 1
                fi
        fi
        cp "$1" "$CRIU_CONF.new" && mv "$CRIU_CONF.new" "$CRIU_CONF"
}

# Puts back what criu_conf_install replaced; a no-op if nothing was replaced.
criu_conf_restore() {
        local dir=${CRIU_CONF%/*}
        if [[ -e $CRIU_CONF_SAVED ]]; then
                mv "$CRIU_CONF_SAVED" "$CRIU_CONF"
        elif [[ -e $CRIU_CONF_ABSENT ]]; then
                rm -f "$CRIU_CONF"
                if [[ $(cat "$CRIU_CONF_ABSENT") == dir ]]; then
                        rm -f "$CRIU_CONF_ABSENT"
                        rmdir "$dir" 2>/dev/null || true
                else
                        rm -f "$CRIU_CONF_ABSENT"
                fi
        fi
}

# hook_lines LOG: what the hook printed into a CRIU log.
hook_lines() {
        grep -a '^oci-autofs-restore: ' "$1" || true
}

# The shipped snippet, with the binary of this build instead of the installed one.
criu_conf_snippet() {
        sed "s|^action-script /usr/bin/oci-autofs-restore\$|action-script $RIG_TOP/build/oci-autofs-restore|" \
                "$CRIU_CONF_SNIPPET"
}
