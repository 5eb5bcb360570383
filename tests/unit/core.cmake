shipworm_unit_test(core_tests
  SOURCES
    core_bubble_schedule_test.cpp
    core_rate_limiter_test.cpp
    core_server_engine_test.cpp
    core_qualification_test.cpp
    core_maintenance_test.cpp
    core_client_engine_test.cpp
    core_client_server_test.cpp
    core_client_roaming_test.cpp
    core_network_watch_test.cpp
    core_peer_table_test.cpp
    core_relay_engine_test.cpp
  LIBS shipworm_core shipworm_wire)
