#include "wire/messages.h"

#include <algorithm>

#include "wire/auth_hmac.h"
#include "wire/teredo_address.h"

namespace shipworm::wire {
namespace {

// Writes an auth header whose value is computed once the rest of the payload is written.
class AuthPatcher {
 public:
  AuthPatcher(Writer& w, const Nonce& nonce, std::uint8_t confirmation,
              const std::optional<SecureQualification>& secure)
      : w_(w), start_(w.size()), nonce_(nonce), confirmation_(confirmation), secure_(secure) {
    const AuthValue zero{};
    write_auth_header(w, secure ? secure->client_id : Bytes{}, secure ? Bytes{zero} : Bytes{},
                      nonce, confirmation);
    end_ = w.size();
  }
  // `origin_raw` and `ipv6` are spans inside the Writer's buffer.
  void finish(Bytes origin_raw, Bytes ipv6) {
    if (!secure_ || !w_.ok()) return;
    const AuthValue v = teredo_auth_value(secure_->secret, nonce_, confirmation_, origin_raw, ipv6);
    const MutableBytes header = w_.written().subspan(start_, end_ - start_);
    std::copy(v.begin(), v.end(),
              header.begin() + 4 + static_cast<long>(secure_->client_id.size()));
  }

 private:
  Writer& w_;
  std::size_t start_;
  std::size_t end_ = 0;
  Nonce nonce_;
  std::uint8_t confirmation_;
  const std::optional<SecureQualification>& secure_;
};

}  // namespace

bool write_rs_datagram(Writer& w, const Nonce& nonce, bool cone,
                       const std::optional<SecureQualification>& secure) {
  AuthPatcher auth(w, nonce, 0, secure);
  const std::size_t ip_start = w.size();
  if (!write_router_solicitation(w, client_rs_link_local(cone))) return false;
  auth.finish({}, w.written().subspan(ip_start));
  return w.ok();
}

bool write_ra_datagram(Writer& w, const RaDatagramParams& p) {
  std::optional<AuthPatcher> auth;
  if (p.nonce) auth.emplace(w, *p.nonce, p.confirmation, p.secure);
  const std::size_t origin_start = w.size();
  write_origin_indication(w, p.mapping);
  const std::size_t ip_start = w.size();
  RouterAdvertisementParams ra;
  ra.src = server_link_local(p.server);
  ra.dst = p.client_ll;
  ra.prefix.prefix = teredo_prefix(p.server, p.prefix);
  ra.mtu = p.mtu;
  if (!write_router_advertisement(w, ra)) return false;
  if (auth) {
    const MutableBytes all = w.written();
    auth->finish(all.subspan(origin_start, ip_start - origin_start), all.subspan(ip_start));
  }
  return w.ok();
}

}  // namespace shipworm::wire
