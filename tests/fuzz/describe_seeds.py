#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_describe (tests/fuzz/corpus/fuzz_describe/):
DESCRIPTION payloads (src/runtime/frame.h) shaped as the cluster tests' and the
rolling-upgrade test's nodes answer, plus a few the decoder must refuse.

    tests/fuzz/describe_seeds.py        (from the repository root)
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_seeds import pack, write  # noqa: E402

VOID, BOOL, INT, UINT, FLOAT, STR, BYTES, STRUCT, STRUCT_PTR, ARRAY = range(10)


def tref(kind, size=0, count=0, type_index=-1, elem=None):
    return [kind, size, count, type_index, elem]


def method(name, sig, wire, args, ret, serving=("u1@127.0.0.1",), here=True, sel="&svc"):
    return [name, sig, wire, sel, [0, 0, 0], list(serving), here, args, ret]


def description(types, methods, node="u1@127.0.0.1"):
    return pack([node, "f717905f48ab9e28", types, methods])


def main():
    # The rolling-upgrade test's build v2: three APIs of int64 arguments.
    i64 = tref(INT, 8)
    write("fuzz_describe", "upgrade_v2", description(
        [["nb__args_stable_add", [["a", i64], ["b", i64]]],
         ["nb__args_changed_scale", [["x", i64], ["factor", i64]]],
         ["nb__args_added_square", [["x", i64]]]],
        [method("stable_add", "int64_t stable_add(int64_t a, int64_t b)", 1, 0, i64),
         method("changed_scale", "int64_t changed_scale(int64_t x, int64_t factor)", 2, 1, i64),
         method("added_square", "int64_t added_square(int64_t x)", 3, 2, i64)]))
    # Structs by value and by pointer, arrays, strings, bytes, a linked list.
    point = 0
    shape = 1
    tree = 2
    write("fuzz_describe", "types", description(
        [["point_t", [["x", tref(INT, 4)], ["y", tref(INT, 4)]]],
         ["shape_t", [["name", tref(STR, 8)], ["origin", tref(STRUCT, 8, 0, point)],
                      ["corners", tref(ARRAY, 32, 4, -1, tref(STRUCT, 8, 0, point))],
                      ["weights", tref(ARRAY, 24, 3, -1, tref(FLOAT, 8))],
                      ["blob", tref(BYTES, 16)], ["anchor", tref(STRUCT_PTR, 8, 0, point)]]],
         ["struct tree", [["label", tref(STR, 8)], ["next", tref(STRUCT_PTR, 8, 0, tree)],
                          ["flags", tref(ARRAY, 4, 2, -1, tref(ARRAY, 2, 2, -1, tref(BOOL, 1)))],
                          ["u", tref(UINT, 2)], ["f", tref(FLOAT, 4)]]],
         ["nb__args_echo_shape", [["s", tref(STRUCT_PTR, 8, 0, shape)]]],
         ["nb__args_echo_tree", [["t", tref(STRUCT, 0, 0, tree)], ["n", tref(UINT, 8)]]],
         ["nb__args_touch", []]],
        [method("echo_shape", "shape_t *echo_shape(shape_t *s)", 10, 3,
                tref(STRUCT_PTR, 8, 0, shape), ("db1@127.0.0.1", "db2@127.0.0.1"), sel="&db"),
         method("echo_tree", "struct tree echo_tree(struct tree t, uint64_t n)", 11, 4,
                tref(STRUCT, 0, 0, tree), ("api@127.0.0.1",), here=False, sel="&api"),
         method("touch", "void touch(void)", 12, 5, tref(VOID), ())],
        node="db1@127.0.0.1"))
    # Refused: a struct holding itself by value; an integer of 3 bytes.
    write("fuzz_describe", "refused_self", description(
        [["loop_t", [["again", tref(STRUCT, 0, 0, 0)]]]], []))
    write("fuzz_describe", "refused_int3", description(
        [["odd_t", [["x", tref(INT, 3)]]]], []))


if __name__ == "__main__":
    main()
