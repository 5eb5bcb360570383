# Warnings as errors for everything the project compiles (not for third-party headers).
add_library(shipworm_warnings INTERFACE)
target_compile_options(shipworm_warnings INTERFACE
  -Wall -Wextra -Werror -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough)
