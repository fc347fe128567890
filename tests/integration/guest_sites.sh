# shellcheck shell=bash
# guest_sites.sh — a cluster of real guests over two sites, for tests and
# benchmarks; sourced after guests.sh and sites.sh, with IMG the real image
# (scripts/debian-image). Sites a and b are OVS bridges br-a and br-b; the
# first node of each site is its gateway, whose WAN namespace is joined to
# the other's by a veth "WAN" (sites.sh's wan_link: 192.0.2.1 at a,
# 192.0.2.11 at b, shaped to WAN_RATE).
#
#   GUEST_SITE_A, GUEST_SITE_B  the guests' nodes at each site (default
#                               a005 and b005)
#   WAN_RATE                    tc's units, "-" (default): unshaped
#   guest_setup, guest_conf_lines
#                               the hooks start_guest_cluster calls
#   gssh IP CMD…                CMD in guest IP, as root, by ssh from the
#                               namespace ${NS_PREFIX}${PROBE:-probe} with the
#                               job's key and known_hosts (KD=$T/state/keys/NODE/JOB)
#                               and strict host-key checking
GUEST_SITE_A=${GUEST_SITE_A:-a005}
GUEST_SITE_B=${GUEST_SITE_B:-b005}
WAN_RATE=${WAN_RATE:--}
WA=${SITES_PREFIX}wa WB=${SITES_PREFIX}wb
GUEST_NODES="a016" # the default guest line names no node of these sites

guest_setup() {
        wan_link "$WA" 192.0.2.1/24 "$WB" 192.0.2.11/24 "$WAN_RATE" wan
        ovs_bridge br-a
        ovs_bridge br-b
}

guest_conf_lines() {
        local n gw br wan
        grep '^ImageName=' "$IMG/image.conf"
        for n in $GUEST_SITE_A $GUEST_SITE_B; do
                case $n in a*) br=br-a gw=${GUEST_SITE_A%% *} wan="WanAddr=192.0.2.1 WanNetns=$WA" ;;
                           *) br=br-b gw=${GUEST_SITE_B%% *} wan="WanAddr=192.0.2.11 WanNetns=$WB" ;; esac
                [ "$n" = "$gw" ] || wan=""
                echo "NodeName=$n OvsBridge=$br OvsDb=$OVS_DB OvsNetns=$OVS_NS Libvirt=$LIBVIRT_URI DomainType=qemu BootTimeout=900 $wan"
        done
}

gssh() {
        local ip=$1
        shift
        ip netns exec "${NS_PREFIX}${PROBE:-probe}" ssh -i "$KD/id_ed25519" -o UserKnownHostsFile="$KD/known_hosts" \
                -o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=20 -o IdentitiesOnly=yes \
                -o ServerAliveInterval=10 -o ServerAliveCountMax=3 "root@$ip" "$@"
}
