# docs/design.md §11 row 4: calls/s with 32 concurrent callers (bench/throughput.c).
#   build/plain/bench/bench_throughput_client build/plain/bench/bench_throughput_server
set(throughput_sources throughput.c bench_api.c bench_util.c pingpong.c handoff.c)
nebula_add_node_executable(bench_throughput_client NODE "client@127.0.0.1"
                           TOPOLOGY nebula.yaml SOURCES ${throughput_sources})
nebula_add_node_executable(bench_throughput_server NODE "server@127.0.0.1"
                           TOPOLOGY nebula.yaml SOURCES ${throughput_sources})
