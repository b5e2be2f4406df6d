# What TLS costs one connection (bench/stream_tls.c): 64-byte ping-pong over raw
# TCP, a psk stream and an mtls stream, side by side.
#   build/plain/bench/bench_stream_tls [--rounds N]
add_executable(bench_stream_tls stream_tls.c)
target_link_libraries(bench_stream_tls PRIVATE nebula_static)
target_include_directories(bench_stream_tls PRIVATE ${PROJECT_SOURCE_DIR}/src/runtime)
target_compile_definitions(bench_stream_tls PRIVATE NEBULA_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
