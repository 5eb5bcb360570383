#include "os/linux/os_error.h"

#include <cerrno>
#include <cstring>

namespace shipworm::os {

std::string OsError::message() const {
  if (code_ == 0) return doing_;
  // strerror_r (GNU flavour) returns a pointer that may or may not be the buffer.
  char buf[128];
  const char* text = strerror_r(code_, buf, sizeof buf);
  return doing_ + ": " + text;
}

OsError errno_error(std::string doing) {
  const int e = errno;
  return {e, std::move(doing)};
}

}  // namespace shipworm::os
