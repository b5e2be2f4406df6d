# Asynchronous calls: one thread with a window in flight / its synchronous calls /
# pipelined raw TCP (bench/async.c).
#   build/plain/bench/bench_async_client build/plain/bench/bench_async_server
set(async_sources async.c bench_api.c bench_util.c)
nebula_add_node_executable(bench_async_client NODE "client@127.0.0.1"
                           TOPOLOGY nebula.yaml SOURCES ${async_sources})
nebula_add_node_executable(bench_async_server NODE "server@127.0.0.1"
                           TOPOLOGY nebula.yaml SOURCES ${async_sources})
