# What TLS costs a real call (bench/transport.sh): the routing bench's client and
# server (routing.c) built once per transport, from transport_<t>.yaml.
#   bench/transport.sh [BUILD_DIR] [ROUNDS]
foreach(t IN ITEMS psk mtls plain)
  foreach(side IN ITEMS client server)
    nebula_add_node_executable(bench_transport_${t}_${side} NODE "${side}@127.0.0.1"
                               TOPOLOGY transport_${t}.yaml SOURCES ${routing_sources})
  endforeach()
endforeach()
