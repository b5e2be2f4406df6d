# bench_multicast (multicast.c): docs/design.md §11, rows 5 to 7 — multicast
# NB_ALL over 8 nodes next to one unicast, routing around a killed serving node,
# and detection of a silent peer. One executable per node of multicast.yaml; the
# driver finds the servers beside itself:
#   build/plain/bench/bench_multicast_driver
set(multicast_sources multicast.c multicast_api.c bench_util.c)
nebula_add_node_executable(bench_multicast_driver NODE "driver@127.0.0.1"
                           TOPOLOGY multicast.yaml SOURCES ${multicast_sources})
foreach(i RANGE 1 8)
  nebula_add_node_executable(bench_multicast_s${i} NODE "s${i}@127.0.0.1"
                             TOPOLOGY multicast.yaml SOURCES ${multicast_sources})
  add_dependencies(bench_multicast_driver bench_multicast_s${i})
endforeach()
