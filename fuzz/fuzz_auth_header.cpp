// parse_auth_header: the lengths are honoured, every field is a view of the input at the
// right offset, and write_auth_header rebuilds the header byte for byte.
#include <cstring>
#include <vector>

#include "fuzz_support.h"
#include "wire/encapsulation.h"

using namespace shipworm;
using namespace shipworm::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes in = as_bytes(data, size);
  auto auth = wire::parse_auth_header(in);
  const bool starts_right = size >= 2 && data[0] == 0 && data[1] == 1;
  const std::size_t expected_total =
      size >= 4 ? wire::kAuthHeaderMinSize + data[2] + data[3] : wire::kAuthHeaderMinSize;
  const bool well_formed =
      starts_right && size >= wire::kAuthHeaderMinSize && size >= expected_total;
  FUZZ_CHECK(auth.ok() == well_formed);
  if (!auth) {
    FUZZ_CHECK(auth.reason() == wire::DropReason::kAuthTruncated);
    return 0;
  }
  FUZZ_CHECK(auth->raw.data() == data && auth->raw.size() == expected_total);
  FUZZ_CHECK(auth->client_id.size() == data[2] && auth->auth_value.size() == data[3]);
  FUZZ_CHECK(within(auth->client_id, auth->raw) && within(auth->auth_value, auth->raw));
  FUZZ_CHECK(auth->client_id.data() == data + 4);
  FUZZ_CHECK(auth->auth_value.data() == data + 4 + data[2]);
  const std::size_t nonce_at = 4 + std::size_t{data[2]} + data[3];
  FUZZ_CHECK(std::memcmp(auth->nonce.data(), data + nonce_at, wire::kNonceSize) == 0);
  FUZZ_CHECK(auth->confirmation == data[expected_total - 1]);

  std::vector<std::uint8_t> out(expected_total + 1);
  wire::Writer w(out);
  wire::write_auth_header(w, auth->client_id, auth->auth_value, auth->nonce, auth->confirmation);
  FUZZ_CHECK(w.ok() && w.size() == expected_total);
  FUZZ_CHECK(std::memcmp(out.data(), data, expected_total) == 0);

  // A buffer one byte too small makes the writer fail instead of overrunning.
  std::vector<std::uint8_t> small(expected_total - 1);
  wire::Writer ws(small);
  wire::write_auth_header(ws, auth->client_id, auth->auth_value, auth->nonce, auth->confirmation);
  FUZZ_CHECK(!ws.ok() && ws.size() <= small.size());
  return 0;
}
