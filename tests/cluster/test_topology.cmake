# The transport the cluster and cli tests build their nodes with.
#
#   cmake -DNEBULA_TEST_TRANSPORT=plain ...   (scripts/test.sh transport-plain)
#
# Empty (the default): every test topology as written, i.e. transport psk. psk
# or plain: each topology a test builds its nodes from is replaced by a copy in
# the build tree with `transport: <t>` appended, so the same tests run over
# another transport (their checks that depend on it read nb__cluster()->transport).
# mtls is not offered: the existing tests make no certificates (test_transport.c
# covers mtls). Included by tests/cluster and tests/cli.
set(NEBULA_TEST_TRANSPORT "" CACHE STRING
    "Transport of the cluster and cli tests' nodes: empty (each topology's own), psk or plain")
if(NOT NEBULA_TEST_TRANSPORT MATCHES "^(|psk|plain)$")
  message(FATAL_ERROR "NEBULA_TEST_TRANSPORT=${NEBULA_TEST_TRANSPORT}: use psk, plain or nothing")
endif()

# nebula_test_topology(<out-var> <topology.yaml>): sets <out-var> to the topology
# the tests of this directory build from (an absolute path).
function(nebula_test_topology out yaml)
  cmake_path(ABSOLUTE_PATH yaml BASE_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR} NORMALIZE)
  if(NEBULA_TEST_TRANSPORT STREQUAL "")
    set(${out} ${yaml} PARENT_SCOPE)
    return()
  endif()
  file(READ ${yaml} text)
  if(text MATCHES "(^|\n)transport:")
    message(FATAL_ERROR "${yaml} already names its transport; NEBULA_TEST_TRANSPORT cannot override it")
  endif()
  # Re-run cmake when the original changes; file(GENERATE) rewrites the copy only
  # when its content changed, so nodes are not rebuilt on every configure.
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${yaml})
  # Named after its directory too: tests/cli copies two nebula.yaml.
  cmake_path(GET yaml STEM stem)
  cmake_path(GET yaml PARENT_PATH parent)
  cmake_path(GET parent FILENAME parent)
  set(copy ${CMAKE_CURRENT_BINARY_DIR}/topologies/${parent}_${stem}.yaml)
  file(GENERATE OUTPUT ${copy} CONTENT
       "# ${yaml} with NEBULA_TEST_TRANSPORT=${NEBULA_TEST_TRANSPORT} (generated)\n${text}\ntransport: ${NEBULA_TEST_TRANSPORT}\n")
  set(${out} ${copy} PARENT_SCOPE)
endfunction()
