# daemon/ layer: configuration parser, logging, and the check-config command end to end.
shipworm_unit_test(daemon_tests
  SOURCES
    daemon_config_directives_test.cpp
    daemon_config_errors_test.cpp
    daemon_config_test.cpp
    daemon_log_test.cpp
  LIBS shipworm_daemon shipworm_wire)

shipworm_unit_test(daemon_cli_tests SOURCES daemon_check_config_cli_test.cpp)
target_compile_definitions(daemon_cli_tests PRIVATE SHIPWORM_BINARY="$<TARGET_FILE:shipworm>")
add_dependencies(daemon_cli_tests shipworm)
target_compile_definitions(daemon_tests PRIVATE SHIPWORM_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
target_compile_definitions(daemon_cli_tests PRIVATE SHIPWORM_SOURCE_DIR="${PROJECT_SOURCE_DIR}")

# The role daemons' parts that run without root: the relay's data-plane worker on fakes and
# the reports of the roles (status, metrics, SIGUSR1 log).
shipworm_unit_test(daemon_role_tests
  SOURCES
    daemon_relay_report_test.cpp
    daemon_relay_worker_test.cpp
    daemon_server_report_test.cpp
  LIBS shipworm_roles shipworm_core shipworm_os shipworm_wire)

# The client daemon's pieces (hook runner, server names, Teredo interface, reporting).
shipworm_unit_test(daemon_client_tests
  SOURCES
    daemon_hook_runner_test.cpp
    daemon_server_resolver_test.cpp
    daemon_teredo_interface_test.cpp
    daemon_client_report_test.cpp
  LIBS shipworm_roles)
