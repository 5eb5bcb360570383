# os/linux/ tests: real kernel objects. Tests that need root run in a private network
# namespace created by a forked child (os/linux/private_netns.h) and skip when not root.
shipworm_unit_test(os_tests
  SOURCES
    os_error_test.cpp
    os_event_loop_test.cpp
    os_udp_socket_test.cpp
    os_gso_runs_test.cpp
    os_tun_runs_test.cpp
    os_tcp_segment_test.cpp
    os_tun_netlink_test.cpp
    os_tun_offload_test.cpp
    os_udp_segment_test.cpp
    os_capabilities_test.cpp
    os_sd_notify_test.cpp
    os_xdp_port_test.cpp
    os_route_monitor_test.cpp
    os_network_monitor_test.cpp
  LIBS shipworm_os shipworm_wire)
