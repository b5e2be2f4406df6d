# _nebula_generated_executable(<target> <base> <comment> FLAGS <nebulac flag>...
#                              [EXTRA_SOURCES <file>...])
# What both functions below share: runs nebulac from <base> over the caller's
# NB_SOURCES, NB_INCLUDE_DIRECTORIES and NB_TOPOLOGY (relative paths are taken
# from the current source directory) with FLAGS choosing the node, and adds the
# executable <target> built from its output (plus EXTRA_SOURCES). The generated
# files live in ${CMAKE_CURRENT_BINARY_DIR}/<target>.nebula/.
#
# nebulac decides #if as the compiler will, so it gets what the compiler gets:
# the target's COMPILE_DEFINITIONS and COMPILE_OPTIONS and its C standard
# (read when the build is generated, so target_compile_definitions() after this
# call counts), the compiler itself for the conditions it asks about, and the
# caller's NB_EXPORT_MACROS.
# _nebula_common_base(<var>): where nebulac runs for the caller's NB_SOURCES and
# NB_INCLUDE_DIRECTORIES. It writes each output at its input's path relative to
# where it runs: the current source directory, or the deepest one holding every
# input (sources may lie outside the current directory, ../common/main.c).
function(_nebula_common_base var)
  set(base ${CMAKE_CURRENT_SOURCE_DIR})
  foreach(path IN LISTS NB_SOURCES NB_INCLUDE_DIRECTORIES)
    cmake_path(ABSOLUTE_PATH path BASE_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR} NORMALIZE)
    cmake_path(IS_PREFIX base ${path} NORMALIZE inside)
    while(NOT inside)
      cmake_path(GET base PARENT_PATH base)
      cmake_path(IS_PREFIX base ${path} NORMALIZE inside)
    endwhile()
  endforeach()
  set(${var} ${base} PARENT_SCOPE)
endfunction()

function(_nebula_generated_executable target base comment)
  cmake_parse_arguments(PARSE_ARGV 3 GEN "" "" "FLAGS;EXTRA_SOURCES")
  set(here ${CMAKE_CURRENT_SOURCE_DIR})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${target}.nebula)

  set(outputs ${out}/nebula_node.c)
  set(abs_sources)
  set(rel_sources)
  set(source_dirs)
  foreach(src IN LISTS NB_SOURCES)
    cmake_path(ABSOLUTE_PATH src BASE_DIRECTORY ${here} NORMALIZE OUTPUT_VARIABLE abs)
    cmake_path(RELATIVE_PATH abs BASE_DIRECTORY ${base} OUTPUT_VARIABLE rel)
    list(APPEND abs_sources ${abs})
    list(APPEND rel_sources ${rel})
    list(APPEND outputs ${out}/${rel})
    cmake_path(GET abs PARENT_PATH dir)
    list(APPEND source_dirs ${dir})
  endforeach()
  list(REMOVE_DUPLICATES source_dirs)

  set(include_flags)
  set(include_dirs ${out})
  foreach(dir IN LISTS NB_INCLUDE_DIRECTORIES)
    cmake_path(ABSOLUTE_PATH dir BASE_DIRECTORY ${here} NORMALIZE OUTPUT_VARIABLE abs)
    cmake_path(RELATIVE_PATH abs BASE_DIRECTORY ${base} OUTPUT_VARIABLE rel)
    list(APPEND include_flags -I ${rel})
    # Rewritten headers first, then the originals they did not replace.
    list(APPEND include_dirs ${out}/${rel} ${abs})
  endforeach()
  cmake_path(ABSOLUTE_PATH NB_TOPOLOGY BASE_DIRECTORY ${here} NORMALIZE OUTPUT_VARIABLE topology)

  set(export_flags)
  foreach(name IN LISTS NB_EXPORT_MACROS)
    list(APPEND export_flags --export-macro ${name})
  endforeach()
  set(prop "$<TARGET_PROPERTY:${target},COMPILE_DEFINITIONS>")
  set(defs "$<$<BOOL:${prop}>:-D$<JOIN:${prop},$<SEMICOLON>-D>>")
  set(std_prop "$<TARGET_PROPERTY:${target},C_STANDARD>")
  set(std "$<$<BOOL:${std_prop}>:-std=$<IF:$<STREQUAL:$<TARGET_PROPERTY:${target},C_EXTENSIONS>,OFF>,c,gnu>${std_prop}>")
  set(cc_flags --cc ${CMAKE_C_COMPILER} --cc-options ${std} ${defs}
               "$<TARGET_PROPERTY:${target},COMPILE_OPTIONS>" --end-cc-options)

  add_custom_command(
    OUTPUT ${outputs}
    COMMAND $<TARGET_FILE:nebula::nebulac> --topology ${topology} ${GEN_FLAGS}
            --out ${out} --depfile ${out}/nebula.d ${include_flags} ${export_flags} ${cc_flags}
            ${rel_sources}
    DEPENDS ${abs_sources} ${topology} nebula::nebulac
    DEPFILE ${out}/nebula.d
    WORKING_DIRECTORY ${base}
    COMMENT "${comment}"
    COMMAND_EXPAND_LISTS
    VERBATIM)

  add_executable(${target} ${outputs} ${GEN_EXTRA_SOURCES})
  target_include_directories(${target} PRIVATE ${include_dirs} ${source_dirs})
endfunction()

# nebula_add_node_executable(<target>
#     NODE <short@host>            the node this executable is built as
#     TOPOLOGY <nebula.yaml>
#     SOURCES <file.c>...          annotated sources, relative to this directory
#                                  (they may lie outside it: nebulac then runs
#                                  from their common parent)
#     [INCLUDE_DIRECTORIES <dir>...]  searched by nebulac and by the compiler
#     [LINK_LIBRARIES <lib>...]
#     [EXPORT_MACROS <name>...]    words before a return type that are export
#                                  macros (LIBAPI int f(...), PUBLIC(int) f(...))
#     [STATIC])                    link libnebula.a instead of libnebula.so
#
# Runs nebulac at build time (re-run when a source, a header it read or the
# topology changes) and compiles its per-node output into <target>. The
# generated files live in ${CMAKE_CURRENT_BINARY_DIR}/<target>.nebula/.
function(nebula_add_node_executable target)
  cmake_parse_arguments(PARSE_ARGV 1 NB "STATIC" "NODE;TOPOLOGY"
                        "SOURCES;INCLUDE_DIRECTORIES;LINK_LIBRARIES;EXPORT_MACROS")
  if(NOT NB_NODE OR NOT NB_TOPOLOGY OR NOT NB_SOURCES)
    message(FATAL_ERROR "nebula_add_node_executable(${target}): NODE, TOPOLOGY and SOURCES are required")
  endif()
  _nebula_common_base(base)
  _nebula_generated_executable(${target} ${base}
    "nebulac: ${target} as ${NB_NODE}" FLAGS --node ${NB_NODE})
  if(NB_STATIC)
    target_link_libraries(${target} PRIVATE nebula::nebula_static ${NB_LINK_LIBRARIES})
  else()
    target_link_libraries(${target} PRIVATE nebula::nebula ${NB_LINK_LIBRARIES})
  endif()
endfunction()

# The main() of the nebula command: beside this file once installed, in the
# source tree otherwise. Found here, where CMAKE_CURRENT_LIST_DIR is this file's
# directory (inside a function it is the caller's), and kept in a global
# property so every directory of the project sees it.
if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/nebula_cli_main.c)
  set_property(GLOBAL PROPERTY NEBULA_CLI_MAIN_SOURCE ${CMAKE_CURRENT_LIST_DIR}/nebula_cli_main.c)
else()
  set_property(GLOBAL PROPERTY NEBULA_CLI_MAIN_SOURCE ${CMAKE_CURRENT_LIST_DIR}/../src/cli/main.c)
endif()

# nebula_add_cli_executable(<target>
#     TOPOLOGY <nebula.yaml>
#     SOURCES <file.c>...          the project's annotated API sources (not the one
#                                  holding main(): the command brings its own)
#     [INCLUDE_DIRECTORIES <dir>...]  searched by nebulac and by the compiler
#     [LINK_LIBRARIES <lib>...]
#     [EXPORT_MACROS <name>...])   as for nebula_add_node_executable
#
# Builds the `nebula` command for a project: a generic node (nebulac --generic:
# serves nothing, every API remote) that lists the cluster's nodes and APIs and
# calls any API from a shell. API bodies and false NB_ON branches are absent
# from a generic build, so the libraries they use are not needed; other code in
# the sources is compiled as is. Sources may lie outside the current directory
# (nebulac then runs from their common parent). Links libnebula_cli and
# libnebula; the generated files live in ${CMAKE_CURRENT_BINARY_DIR}/<target>.nebula/.
function(nebula_add_cli_executable target)
  cmake_parse_arguments(PARSE_ARGV 1 NB "" "TOPOLOGY"
                        "SOURCES;INCLUDE_DIRECTORIES;LINK_LIBRARIES;EXPORT_MACROS")
  if(NOT NB_TOPOLOGY OR NOT NB_SOURCES)
    message(FATAL_ERROR "nebula_add_cli_executable(${target}): TOPOLOGY and SOURCES are required")
  endif()
  _nebula_common_base(base)
  get_property(cli_main GLOBAL PROPERTY NEBULA_CLI_MAIN_SOURCE)
  _nebula_generated_executable(${target} ${base}
    "nebulac: ${target} (generic build, the nebula command)"
    FLAGS --generic EXTRA_SOURCES ${cli_main})
  target_link_libraries(${target} PRIVATE nebula::nebula_cli nebula::nebula ${NB_LINK_LIBRARIES})
endfunction()
