#include "wire/auth_hmac.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>

namespace shipworm::wire {

AuthValue teredo_auth_value(Bytes secret, const Nonce& nonce, std::uint8_t confirmation,
                            Bytes origin_raw, Bytes ipv6_packet) {
  AuthValue out{};
  // HMAC_CTX is deprecated in OpenSSL 3; EVP_MAC is the supported interface.
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = mac ? EVP_MAC_CTX_new(mac) : nullptr;
  char digest[] = "SHA1";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                               OSSL_PARAM_construct_end()};
  std::size_t len = 0;
  const bool ok = ctx != nullptr && EVP_MAC_init(ctx, secret.data(), secret.size(), params) == 1 &&
                  EVP_MAC_update(ctx, nonce.data(), nonce.size()) == 1 &&
                  EVP_MAC_update(ctx, &confirmation, 1) == 1 &&
                  EVP_MAC_update(ctx, origin_raw.data(), origin_raw.size()) == 1 &&
                  EVP_MAC_update(ctx, ipv6_packet.data(), ipv6_packet.size()) == 1 &&
                  EVP_MAC_final(ctx, out.data(), &len, out.size()) == 1 && len == out.size();
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
  // A missing SHA-1 provider is a broken installation, not bad input: stop loudly.
  if (!ok) std::abort();
  return out;
}

bool verify_auth_value(Bytes secret, const TeredoPacket& packet) {
  if (!packet.auth || packet.auth->auth_value.size() != kHmacSha1Size) return false;
  const AuthValue expected = teredo_auth_value(
      secret, packet.auth->nonce, packet.auth->confirmation, packet.origin_raw, packet.ipv6.packet);
  return CRYPTO_memcmp(expected.data(), packet.auth->auth_value.data(), kHmacSha1Size) == 0;
}

}  // namespace shipworm::wire
