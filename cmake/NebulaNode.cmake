# nebula_add_node_executable(<target>
#     NODE <short@host>            the node this executable is built as
#     TOPOLOGY <nebula.yaml>
#     SOURCES <file.c>...          annotated sources, relative to this directory
#     [INCLUDE_DIRECTORIES <dir>...]  searched by nebulac and by the compiler
#     [LINK_LIBRARIES <lib>...]
#     [STATIC])                    link libnebula.a instead of libnebula.so
#
# Runs nebulac at build time (re-run when a source, a header it read or the
# topology changes) and compiles its per-node output into <target>. The
# generated files live in ${CMAKE_CURRENT_BINARY_DIR}/<target>.nebula/.
function(nebula_add_node_executable target)
  cmake_parse_arguments(PARSE_ARGV 1 NB "STATIC" "NODE;TOPOLOGY"
                        "SOURCES;INCLUDE_DIRECTORIES;LINK_LIBRARIES")
  if(NOT NB_NODE OR NOT NB_TOPOLOGY OR NOT NB_SOURCES)
    message(FATAL_ERROR "nebula_add_node_executable(${target}): NODE, TOPOLOGY and SOURCES are required")
  endif()
  set(base ${CMAKE_CURRENT_SOURCE_DIR})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${target}.nebula)

  set(outputs ${out}/nebula_node.c)
  set(rel_sources)
  set(source_dirs)
  foreach(src IN LISTS NB_SOURCES)
    cmake_path(ABSOLUTE_PATH src BASE_DIRECTORY ${base} NORMALIZE OUTPUT_VARIABLE abs)
    cmake_path(RELATIVE_PATH abs BASE_DIRECTORY ${base} OUTPUT_VARIABLE rel)
    list(APPEND rel_sources ${rel})
    list(APPEND outputs ${out}/${rel})
    cmake_path(GET abs PARENT_PATH dir)
    list(APPEND source_dirs ${dir})
  endforeach()
  list(REMOVE_DUPLICATES source_dirs)

  set(include_flags)
  set(include_dirs ${out})
  foreach(dir IN LISTS NB_INCLUDE_DIRECTORIES)
    cmake_path(ABSOLUTE_PATH dir BASE_DIRECTORY ${base} NORMALIZE OUTPUT_VARIABLE abs)
    cmake_path(RELATIVE_PATH abs BASE_DIRECTORY ${base} OUTPUT_VARIABLE rel)
    list(APPEND include_flags -I ${rel})
    # Rewritten headers first, then the originals they did not replace.
    list(APPEND include_dirs ${out}/${rel} ${abs})
  endforeach()
  cmake_path(ABSOLUTE_PATH NB_TOPOLOGY BASE_DIRECTORY ${base} NORMALIZE OUTPUT_VARIABLE topology)

  add_custom_command(
    OUTPUT ${outputs}
    COMMAND $<TARGET_FILE:nebula::nebulac> --topology ${topology} --node ${NB_NODE}
            --out ${out} --depfile ${out}/nebula.d ${include_flags} ${rel_sources}
    DEPENDS ${NB_SOURCES} ${topology} nebula::nebulac
    DEPFILE ${out}/nebula.d
    WORKING_DIRECTORY ${base}
    COMMENT "nebulac: ${target} as ${NB_NODE}"
    VERBATIM)

  add_executable(${target} ${outputs})
  target_include_directories(${target} PRIVATE ${include_dirs} ${source_dirs})
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
#     [LINK_LIBRARIES <lib>...])
#
# Builds the `nebula` command for a project: a generic node (nebulac --generic:
# serves nothing, every API remote) that lists the cluster's nodes and APIs and
# calls any API from a shell. API bodies and false NB_ON branches are absent
# from a generic build, so the libraries they use are not needed; other code in
# the sources is compiled as is. Sources may lie outside the current directory
# (nebulac then runs from their common parent). Links libnebula_cli and
# libnebula; the generated files live in ${CMAKE_CURRENT_BINARY_DIR}/<target>.nebula/.
function(nebula_add_cli_executable target)
  cmake_parse_arguments(PARSE_ARGV 1 NB "" "TOPOLOGY" "SOURCES;INCLUDE_DIRECTORIES;LINK_LIBRARIES")
  if(NOT NB_TOPOLOGY OR NOT NB_SOURCES)
    message(FATAL_ERROR "nebula_add_cli_executable(${target}): TOPOLOGY and SOURCES are required")
  endif()
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${target}.nebula)

  # nebulac writes each output at its input's path relative to where it runs:
  # the current source directory, or the deepest one holding every input.
  set(abs_sources)
  set(abs_includes)
  foreach(src IN LISTS NB_SOURCES)
    cmake_path(ABSOLUTE_PATH src BASE_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR} NORMALIZE OUTPUT_VARIABLE abs)
    list(APPEND abs_sources ${abs})
  endforeach()
  foreach(dir IN LISTS NB_INCLUDE_DIRECTORIES)
    cmake_path(ABSOLUTE_PATH dir BASE_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR} NORMALIZE OUTPUT_VARIABLE abs)
    list(APPEND abs_includes ${abs})
  endforeach()
  set(base ${CMAKE_CURRENT_SOURCE_DIR})
  foreach(path IN LISTS abs_sources abs_includes)
    cmake_path(IS_PREFIX base ${path} NORMALIZE inside)
    while(NOT inside)
      cmake_path(GET base PARENT_PATH base)
      cmake_path(IS_PREFIX base ${path} NORMALIZE inside)
    endwhile()
  endforeach()

  set(outputs ${out}/nebula_node.c)
  set(rel_sources)
  set(source_dirs)
  foreach(abs IN LISTS abs_sources)
    cmake_path(RELATIVE_PATH abs BASE_DIRECTORY ${base} OUTPUT_VARIABLE rel)
    list(APPEND rel_sources ${rel})
    list(APPEND outputs ${out}/${rel})
    cmake_path(GET abs PARENT_PATH dir)
    list(APPEND source_dirs ${dir})
  endforeach()
  list(REMOVE_DUPLICATES source_dirs)
  set(include_flags)
  set(include_dirs ${out})
  foreach(abs IN LISTS abs_includes)
    cmake_path(RELATIVE_PATH abs BASE_DIRECTORY ${base} OUTPUT_VARIABLE rel)
    list(APPEND include_flags -I ${rel})
    # Rewritten headers first, then the originals they did not replace.
    list(APPEND include_dirs ${out}/${rel} ${abs})
  endforeach()
  cmake_path(ABSOLUTE_PATH NB_TOPOLOGY BASE_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR} NORMALIZE
             OUTPUT_VARIABLE topology)

  add_custom_command(
    OUTPUT ${outputs}
    COMMAND $<TARGET_FILE:nebula::nebulac> --topology ${topology} --generic
            --out ${out} --depfile ${out}/nebula.d ${include_flags} ${rel_sources}
    DEPENDS ${abs_sources} ${topology} nebula::nebulac
    DEPFILE ${out}/nebula.d
    WORKING_DIRECTORY ${base}
    COMMENT "nebulac: ${target} (generic build, the nebula command)"
    VERBATIM)

  get_property(cli_main GLOBAL PROPERTY NEBULA_CLI_MAIN_SOURCE)
  add_executable(${target} ${outputs} ${cli_main})
  target_include_directories(${target} PRIVATE ${include_dirs} ${source_dirs})
  target_link_libraries(${target} PRIVATE nebula::nebula_cli nebula::nebula ${NB_LINK_LIBRARIES})
endfunction()
