#include "os/linux/tun_device.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace shipworm::os {

Result<TunDevice> TunDevice::open(const TunOptions& options) {
  const std::string label = options.name.empty() ? "a TUN device" : "TUN device " + options.name;
  if (options.name.size() >= IFNAMSIZ) {
    return OsError(ENAMETOOLONG, "creating " + label + " (at most 15 characters)");
  }
  UniqueFd fd(::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) return errno_error("opening /dev/net/tun to create " + label);

  ifreq ifr{};
  short flags = IFF_TUN | IFF_NO_PI;
  if (options.multi_queue) flags = static_cast<short>(flags | IFF_MULTI_QUEUE);
  ifr.ifr_flags = flags;
  std::memcpy(ifr.ifr_name, options.name.data(), options.name.size());
  if (ioctl(fd.get(), TUNSETIFF, &ifr) < 0)
    return errno_error("creating " + label + " (TUNSETIFF)");

  // The kernel wrote the actual name back into ifr_name.
  std::string name(ifr.ifr_name, strnlen(ifr.ifr_name, IFNAMSIZ));
  const unsigned index = if_nametoindex(name.c_str());
  if (index == 0) return errno_error("reading the interface index of " + name);
  return TunDevice(std::move(fd), std::move(name), index);
}

IoResult TunDevice::read(wire::MutableBytes buffer) {
  ssize_t r;
  do {
    r = ::read(fd_.get(), buffer.data(), buffer.size());
  } while (r < 0 && errno == EINTR);
  if (r < 0) return {0, errno};
  return {static_cast<std::size_t>(r), 0};
}

IoResult TunDevice::read_batch(PacketBatch& batch) {
  batch.clear();
  while (!batch.full()) {
    const IoResult r = read(batch.next_buffer());
    if (!r.ok()) {
      if (would_block(r.error)) break;
      return {batch.size(), r.error};
    }
    batch.commit(r.count);
  }
  return {batch.size(), 0};
}

IoResult TunDevice::write(wire::Bytes packet) {
  ssize_t r;
  do {
    r = ::write(fd_.get(), packet.data(), packet.size());
  } while (r < 0 && errno == EINTR);
  if (r < 0) return {0, errno};
  return {static_cast<std::size_t>(r), 0};
}

BatchResult TunDevice::write_batch(const PacketBatch& batch, std::size_t from) {
  BatchResult res;
  std::size_t i = from;
  for (; i < batch.size(); ++i) {
    const IoResult r = write(batch.packet(i));
    if (r.ok()) {
      ++res.sent;
    } else if (would_block(r.error)) {
      res.blocked = true;
      break;
    } else {  // EINVAL (not a valid IP packet), EIO (interface down)...: skip this one
      ++res.dropped;
      res.last_error = r.error;
    }
  }
  res.next = i;
  return res;
}

}  // namespace shipworm::os
