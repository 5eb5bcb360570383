#include "daemon/relay_worker.h"

namespace shipworm::daemon {

// The one instantiation the daemon uses: the role's translation units only declare it.
template class BasicRelayWorker<os::UdpSocket, os::TunDevice>;

}  // namespace shipworm::daemon
