# Tests that run the real nebulac binary (included from tests/CMakeLists.txt).
#
#   nebulac.golden.<case>  tests/golden/<case>/: rewrite every listed node, compare
#                          with expected/<node>/, check determinism, compile the
#                          output warning-free (UPDATE_GOLDEN=1 to regenerate)
#   nebulac.diag.<case>    tests/diag/<case>/: a bad input fails with exactly
#                          expected.txt on stderr, exit status 1, nothing written
set(nbc_test_dir ${CMAKE_CURRENT_LIST_DIR})

file(GLOB nbc_golden_cases LIST_DIRECTORIES true CONFIGURE_DEPENDS ${nbc_test_dir}/golden/*)
foreach(dir IN LISTS nbc_golden_cases)
  if(IS_DIRECTORY ${dir} AND EXISTS ${dir}/case.conf)
    get_filename_component(name ${dir} NAME)
    add_test(NAME nebulac.golden.${name}
      COMMAND bash ${nbc_test_dir}/golden/run_golden.sh $<TARGET_FILE:nebulac>
              ${CMAKE_C_COMPILER} ${PROJECT_SOURCE_DIR}/include ${dir})
    set_tests_properties(nebulac.golden.${name} PROPERTIES TIMEOUT 120 LABELS nebulac)
  endif()
endforeach()

file(GLOB nbc_diag_cases LIST_DIRECTORIES true CONFIGURE_DEPENDS ${nbc_test_dir}/diag/*)
foreach(dir IN LISTS nbc_diag_cases)
  if(IS_DIRECTORY ${dir} AND EXISTS ${dir}/args)
    get_filename_component(name ${dir} NAME)
    add_test(NAME nebulac.diag.${name}
      COMMAND bash ${nbc_test_dir}/diag/run_diag.sh $<TARGET_FILE:nebulac> ${dir})
    set_tests_properties(nebulac.diag.${name} PROPERTIES TIMEOUT 60 LABELS nebulac)
  endif()
endforeach()
