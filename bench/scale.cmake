# bench_scale (scale.c): the cost of a cluster of 8, 16 and 32 nodes on one
# machine (mesh formation, idle CPU and memory per node, the round trip). One
# driver and one member executable per topology:
#   build/plain/bench/bench_scale32_driver build/plain/bench/bench_scale32_member
foreach(n 8 16 32)
  nebula_add_node_executable(bench_scale${n}_driver NODE "driver@127.0.0.1"
                             TOPOLOGY scale${n}.yaml SOURCES scale.c bench_util.c)
  nebula_add_node_executable(bench_scale${n}_member NODE "n1@127.0.0.1"
                             TOPOLOGY scale${n}.yaml SOURCES scale.c bench_util.c)
  target_compile_definitions(bench_scale${n}_driver PRIVATE SCALE_NODES=${n})
  target_compile_definitions(bench_scale${n}_member PRIVATE SCALE_NODES=${n})
  add_dependencies(bench_scale${n}_driver bench_scale${n}_member)
endforeach()
