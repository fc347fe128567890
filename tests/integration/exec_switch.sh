#!/bin/bash
# exec_switch.sh — a site's switch script for the exec driver, as a site
# would write one for a vendor CLI; here the "vendor switch" is an Open
# vSwitch bridge driven with ovs-vsctl. State (which VLAN has which ports)
# lives in $EXEC_STATE; ports are OVS port names.
#   create-vlan ID NAME | delete-vlan ID | add-ports ID tagged|untagged PORT…
#   remove-ports ID PORT… | read-vlan ID | list-vlans
# Environment (set by the wrapper a test writes): OVS_DB, EXEC_STATE, and
# EXEC_FAULT, a file whose content injects a fault: "fail" (exit 1 with a
# message on stderr), "hang" (never answers).
set -eu
verb=${1:?verb}
shift
case "$(cat "${EXEC_FAULT:-/nonexistent}" 2>/dev/null || true)" in
fail) echo "switch CLI: % Command rejected: VLAN database locked by another session" >&2; exit 1 ;;
hang) exec sleep 600 ;;
esac
S=$EXEC_STATE
vsctl() { ovs-vsctl --db="$OVS_DB" --timeout=10 "$@"; }

# apply PORT…: one ovs-vsctl call making each port carry what the state says:
# untagged membership → access tag, tagged → trunks, nothing → VLAN 4095 only
# (an OVS port without tag and trunks would carry every VLAN).
apply() {
        local args=() p u t
        for p in "$@"; do
                u=$(cd "$S" && ls -d */untagged/"$p" 2>/dev/null | cut -d/ -f1 | sort -n | head -1 || true)
                t=$(cd "$S" && ls -d */tagged/"$p" 2>/dev/null | cut -d/ -f1 | sort -n | paste -sd, || true)
                if [ -n "$u" ]; then
                        args+=(-- set port "$p" tag="$u" -- clear port "$p" trunks)
                elif [ -n "$t" ]; then
                        args+=(-- clear port "$p" tag -- set port "$p" trunks="$t")
                else
                        args+=(-- clear port "$p" tag -- set port "$p" trunks=4095)
                fi
        done
        [ ${#args[@]} -eq 0 ] || vsctl "${args[@]}"
}

json_list() { if [ -d "$1" ]; then ls "$1" | jq -R . | jq -sc .; else echo '[]'; fi; }

case $verb in
create-vlan)
        mkdir -p "$S/$1/tagged" "$S/$1/untagged"
        echo "$2" >"$S/$1/name"
        ;;
delete-vlan)
        [ -d "$S/$1" ] || exit 0
        ports=$(ls "$S/$1/tagged" "$S/$1/untagged" 2>/dev/null | grep -v '^$\|:$' || true)
        rm -rf "${S:?}/$1"
        # shellcheck disable=SC2086
        apply $ports
        ;;
add-ports)
        id=$1 mode=$2
        shift 2
        [ -d "$S/$id" ] || { echo "no VLAN $id on this switch" >&2; exit 1; }
        for p in "$@"; do
                vsctl get port "$p" name >/dev/null 2>&1 || { echo "no port $p on this switch" >&2; exit 1; }
                touch "$S/$id/$mode/$p"
        done
        apply "$@"
        ;;
remove-ports)
        id=$1
        shift
        [ -d "$S/$id" ] || exit 0
        for p in "$@"; do rm -f "$S/$id/tagged/$p" "$S/$id/untagged/$p"; done
        apply "$@"
        ;;
read-vlan)
        if [ -d "$S/$1" ]; then
                jq -nc --arg name "$(cat "$S/$1/name")" --argjson t "$(json_list "$S/$1/tagged")" \
                        --argjson u "$(json_list "$S/$1/untagged")" \
                        '{exists: true, name: $name, tagged: $t, untagged: $u}'
        else
                echo '{"exists": false}'
        fi
        ;;
list-vlans)
        ls "$S" | jq -R 'tonumber' | jq -sc .
        ;;
*)
        echo "unknown verb $verb" >&2
        exit 2
        ;;
esac
