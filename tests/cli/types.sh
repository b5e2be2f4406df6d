#!/usr/bin/env bash
# usage: types.sh NEBULA CLUSTER_DB1 CLUSTER_DB2 FREE_PORTS
#
# The nebula command built for the cluster tests' APIs, against db1 and db2:
# every wire type in and out, struct arguments as JSON, multicast, timeouts.
# (api serves the echo APIs too but is not started: calls reach db1 or db2.)
# With $CLI_INSTALLED set, NEBULA is the installed command, given the topology
# in $NEBULA_TOPOLOGY: the same checks, on APIs it learnt from db1 and db2.
cli=$1 db1_exe=$2 db2_exe=$3 free_ports=$4
. "$(dirname "$0")/lib.sh"

addresses api@127.0.0.1 db1@127.0.0.1 db2@127.0.0.1 cold@127.0.0.1
start db1 "$db1_exe"
start db2 "$db2_exe"
await '@db1'
await '@db2'

# Scalars, with the C type's range enforced before anything is sent.
expect 0 'true' call echo_bool true
expect 0 '-128' call echo_i8 -128
expect_err 64 '128 is out of range for int8_t (-128 to 127)' call echo_i8 128
expect 0 '65535' call echo_u16 0xffff
expect_err 64 '-1 is out of range for uint16_t (0 to 65535)' call echo_u16 -1
expect 0 '-9223372036854775808' call echo_i64 -9223372036854775808
expect 0 '18446744073709551615' call echo_u64 18446744073709551615
expect 0 '42' call echo_size 42
expect 0 '0.1' call echo_float 0.1
expect_err 64 '1e39 is out of range for float' call echo_float 1e39
# FLT_MAX prints as 3.4028235e+38 and reads back; half a unit more does not.
expect 0 '3.4028235e+38' call echo_float 3.4028235e38
expect_err 64 'out of range for float' call echo_float 3.40282357e38
expect 0 '0.1' call echo_double 0.1
expect 0 '-Infinity' call echo_double -Infinity
expect 0 'NaN' call echo_double NaN
expect_err 64 '"maybe" is not a bool (true or false)' call echo_bool maybe

# Strings: the word itself, null for NULL, JSON when it starts with a quote.
expect 0 '"hi \"you\""' call echo_str 'hi "you"'
expect 0 'null' call echo_str null
expect 0 '"null"' call echo_str '"null"'
expect 0 '""' call echo_str ''
expect 0 '"--on"' call echo_str -- --on
expect_err 64 'unknown option --frob' call echo_str --frob

# Bytes.
expect 0 '"hex:00ff10"' call echo_bytes hex:00FF10
expect 0 '"hex:6162"' call echo_bytes text:ab
expect 0 '"<6 bytes>"' call echo_bytes text:abcdef --max-bytes 4
expect_err 64 'hex bytes need an even number of digits' call echo_bytes hex:0

# Structs: objects by field name (missing ones zero) or arrays in order.
expect 0 '{"b": true, "i8": -1, "i16": -2, "i32": -3, "i64": -4, "u8": 1, "u16": 2, "u32": 3, "u64": 4, "i": -5, "u": 5, "l": -6, "ul": 6, "ll": -7, "ull": 7, "sz": 8, "f": 0.5, "d": 0.25}' \
    call echo_scalars '[true, -1, -2, -3, -4, 1, 2, 3, 4, -5, 5, -6, 6, -7, 7, 8, 0.5, 0.25]'
expect 0 '{"name": "sq", "origin": {"x": 1, "y": 2}, "corners": [{"x": 0, "y": 0}, {"x": 1, "y": 0}, {"x": 1, "y": 1}, {"x": 0, "y": 1}], "weights": [0.5, 1, 2], "blob": "hex:6162", "anchor": {"x": 9, "y": -9}}' \
    call echo_shape '{"name": "sq", "origin": {"x": 1, "y": 2}, "corners": [[0, 0], [1, 0], [1, 1], [0, 1]], "weights": [0.5, 1, 2], "blob": "text:ab", "anchor": {"x": 9, "y": -9}}'
expect 0 '{"name": "p", "origin": {"x": 0, "y": 0}, "corners": [{"x": 0, "y": 0}, {"x": 0, "y": 0}, {"x": 0, "y": 0}, {"x": 0, "y": 0}], "weights": [0, 0, 0], "blob": "hex:", "anchor": null}' \
    call echo_shape '{"name": "p"}'
expect 0 'null' call echo_shape null
expect_lines 0 '"label": "t\\u0001\\n"' '"right": \{"name": "r", ' '"anchor": \{"x": 1, "y": 2\}' \
    '"tags": \["a", null\]' '"u64": 18446744073709551615' '"d": 1e\+300' -- \
    call echo_tree '{"label": "t\u0001\n", "left": {"name": "l"}, "right": {"name": "r", "anchor": [1, 2]}, "tags": ["a", null], "limits": {"u64": 18446744073709551615, "d": 1e300}}'
expect_err 64 'shape_t has no field "nope"' call echo_shape '{"nope": 1}'
expect_err 64 'echo_shape: argument 1 (shape_t *s): at .origin.x: 5000000000 is out of range for int32_t' call echo_shape '{"origin": {"x": 5000000000}}'
expect_err 64 'at .corners: expected an array of 4 element(s)' call echo_shape '{"corners": []}'
expect_err 64 'invalid JSON at offset 9' call echo_shape '{"name": '
expect_err 64 'field "name" is given twice' call echo_shape '{"name": "a", "name": "b"}'
expect_err 64 'point_t has 2 field(s) but the array holds 3 value(s)' call echo_shape '{"anchor": [1, 2, 3]}'

# Many parameters of mixed kinds; void.
expect 0 '"7|text|2.500|1|point|2"' call mixed 7 text 2.5 true '{"x": 1, "y": 2}' hex:0102
expect 0 '"-7|(null)|2.500|0|(null)|0"' call mixed -7 null 2.5 false null hex:
expect 0 '' call touch 5
expect_err 64 'mixed takes 6 argument(s), 1 given' call mixed 7

# Routing: unicast by selector, multicast and broadcast with one line per node.
expect 0 '"db2@127.0.0.1"' call whoami --on '@db2'
expect_lines 0 '^db1@127\.0\.0\.1 NB_OK "db1@127\.0\.0\.1"$' '^db2@127\.0\.0\.1 NB_OK "db2@127\.0\.0\.1"$' -- \
    call whoami --nodes '&db'
expect_lines 0 '^db1@127\.0\.0\.1 NB_OK "db1@127\.0\.0\.1"$' '^db2@127\.0\.0\.1 NB_OK "db2@127\.0\.0\.1"$' -- \
    call where --all
expect_lines 0 '^db[12]@127\.0\.0\.1 NB_OK$' -- call touch 1 --all
expect_lines 0 '^db[12]@127\.0\.0\.1 NB_OK "db[12]@127\.0\.0\.1"$' -- call whoami --nodes '&db' --strategy first
expect_lines 0 '^db[12]@127\.0\.0\.1 NB_OK 10$' -- call nap 10 --nodes '&db' --strategy quorum --at-least 2
# Of the 3 configured &store nodes only 2 live: a majority (2) is still reachable.
expect_lines 0 '^db[12]@127\.0\.0\.1 NB_OK 1$' -- call echo_i64 1 --nodes '&store' --strategy quorum
expect_err 2 'NB_E_QUORUM_UNREACHABLE' call echo_i64 1 --nodes '&store' --strategy quorum --at-least 3
expect_err 2 'NB_E_TIMEOUT' call nap 3000 --timeout 200
expect_lines 2 '^db1@127\.0\.0\.1 NB_E_TIMEOUT$' -- call nap 3000 --nodes '@db1' --strategy first --timeout 200
expect_err 2 'NB_E_NO_WORKER' call cold_ping --wait 300
expect_err 64 'need --nodes or --all' call whoami --strategy first

# Names: a serving node's is refused, a stranger's and a non-serving one's are fine.
# The installed command (any.sh runs this script with it) knows who serves what
# only once it ran, so it refuses every configured node's name.
if [ -n "${CLI_INSTALLED:-}" ]; then
    expect_err 64 'must not take the name of any configured node' --as db1@127.0.0.1 call whoami
    expect_err 64 'must not take the name of any configured node' --as cold@127.0.0.1 call whoami
else
    expect_err 64 'db1@127.0.0.1 is a node of the topology that serves APIs' --as db1@127.0.0.1 call whoami
    expect_err 64 'must not take its name' --as cold@127.0.0.1 call whoami
fi
expect 0 '"db1@127.0.0.1"' --as tester@127.0.0.1 call whoami --on '@db1'
expect_err 64 'not a usable node name' --as nobody call whoami

expect_lines 0 '^db1@127\.0\.0\.1 +db,store +yes ' '^cold@127\.0\.0\.1 +cold +no +never' -- nodes
finish
