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
