// The few sysctls a role may need, written through /proc/sys (sysctl(8) does the same).
// Only when the configuration asks for it: a relay routing between a native IPv6 interface
// and the Teredo interface needs forwarding; we never change it behind the user's back.
// /proc/sys/net/* is per network namespace (that of the writing process).
#pragma once

#include <string>

#include "os/linux/os_error.h"

namespace shipworm::os {

// Writes "1"/"0" to /proc/sys/net/ipv6/conf/all/forwarding.
Status set_ipv6_forwarding(bool enabled);
Result<bool> ipv6_forwarding();

// Writes `value` to /proc/sys/<key with dots as slashes>, e.g. "net.ipv6.conf.all.forwarding".
Status write_sysctl(const std::string& key, const std::string& value);
Result<std::string> read_sysctl(const std::string& key);

}  // namespace shipworm::os
