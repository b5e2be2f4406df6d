# shellcheck shell=bash
# netns_lib.sh — hosts made of network namespaces on one bridge, for the scripts
# that run nodes on addresses of their own (run_shop_netns_demo.sh and
# tests/fault/run_fault_suite.sh). Sourced; the caller defines:
#   roles     array of role names; the first role's namespace is made first,
#             as the probe of whether namespaces can be made here at all
#   ns ROLE   prints the role's namespace name (its host-side veth has the same)
#   bridge    the bridge's name
#   ip_of     associative array: role -> IPv4 address (a /24)
# All of it runs as root; every name is fixed by the caller, so a later run can
# find and remove what a killed one left.

# Removes every namespace, link and process of the caller's hosts, whoever made
# them: this run or a killed earlier one. Processes are found by the namespace
# they are in (ip netns pids), resumed (a SIGSTOPped one would hold the
# namespace) and killed by PID. iptables rules live in the namespaces and go
# with them.
netns_teardown() {
  local role n pid
  for role in "${roles[@]}"; do
    n=$(ns "$role")
    if [ -e "/run/netns/$n" ]; then
      for pid in $(ip netns pids "$n" 2>/dev/null); do
        kill -CONT "$pid" 2>/dev/null || true
        kill -KILL "$pid" 2>/dev/null || true
      done
      ip netns del "$n" 2>/dev/null || true
    fi
    ip link del "$n" 2>/dev/null || true # the veth pair, if its namespace side is gone
  done
  ip link del "$bridge" 2>/dev/null || true
}

# True when nothing of the caller's hosts is left.
netns_all_gone() {
  local role
  for role in "${roles[@]}"; do
    [ ! -e "/run/netns/$(ns "$role")" ] || return 1
    ! ip link show "$(ns "$role")" >/dev/null 2>&1 || return 1
  done
  ! ip link show "$bridge" >/dev/null 2>&1
}

# Makes the bridge and one namespace per role, each with eth0 at its address,
# and prints one line per host. Exits 77 (skipped) when this machine cannot make
# a namespace; $1 says what that means for the caller ("nothing was run").
netns_hosts_up() {
  local role n err
  err=$(mktemp)
  if ! ip netns add "$(ns "${roles[0]}")" 2>"$err"; then
    echo "cannot create a network namespace here: $(cat "$err")" >&2
    echo "(a container needs CAP_SYS_ADMIN and CAP_NET_ADMIN); $1" >&2
    rm -f "$err"
    exit 77
  fi
  rm -f "$err"
  ip link add "$bridge" type bridge
  # Bridged frames skip the host's iptables (br_netfilter), if it is loaded at
  # all: the host's FORWARD policy (Docker sets DROP) is not the caller's business.
  ip link set "$bridge" type bridge nf_call_iptables 0 2>/dev/null || true
  ip link set "$bridge" up
  for role in "${roles[@]}"; do
    n=$(ns "$role")
    [ "$role" = "${roles[0]}" ] || ip netns add "$n"
    ip link add "$n" type veth peer name eth0 netns "$n"
    ip link set "$n" master "$bridge" up
    ip -n "$n" addr add "${ip_of[$role]}/24" dev eth0
    ip -n "$n" link set lo up
    ip -n "$n" link set eth0 up
    printf '   %-8s namespace %-14s eth0 %s/24\n' "$role" "$n" "${ip_of[$role]}"
  done
}

# Sets ipt to the iptables that works in this kernel: nft first (Debian's
# default), else the legacy backend, probed on a rule in role $1's namespace.
# Exits 1 when neither can add one.
netns_find_iptables() {
  local cand
  ipt=
  for cand in iptables iptables-legacy; do
    command -v "$cand" >/dev/null || continue
    if ip netns exec "$(ns "$1")" "$cand" -w 5 -A INPUT -p tcp --dport 9 -j ACCEPT 2>/dev/null &&
       ip netns exec "$(ns "$1")" "$cand" -w 5 -D INPUT -p tcp --dport 9 -j ACCEPT 2>/dev/null; then
      ipt=$cand
      return 0
    fi
  done
  echo "neither iptables (nft) nor iptables-legacy can add a rule in a namespace here" >&2
  exit 1
}
