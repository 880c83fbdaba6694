// SPDX-License-Identifier: BSD-3-Clause
// Fuzz target: the memcached value header (src/codec/value_header.h).
//
//   - decode_value() never crashes or reads past the value; when it decodes,
//     encoding the result and decoding again gives the same version, payload and
//     forward flag, and a value already in today's layout re-encodes byte for byte;
//   - any (version, payload, flags) encode_value() takes decodes back to itself.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "codec/value_header.h"
#include "fuzz_check.h"

using namespace clustered;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  if (const auto decoded = decode_value(bytes)) {
    const std::uint32_t flags = decoded->forward ? kValueFlagForward : 0;
    const std::string again = encode_value(decoded->version, decoded->payload, flags);
    const auto redecoded = decode_value(again);
    FUZZ_REQUIRE(redecoded.ok(), "re-encoded value does not decode");
    FUZZ_REQUIRE(redecoded->version == decoded->version, "version changed in the round trip");
    FUZZ_REQUIRE(redecoded->payload == decoded->payload, "payload changed in the round trip");
    FUZZ_REQUIRE(redecoded->forward == decoded->forward, "forward flag changed in the round trip");
    FUZZ_REQUIRE(decoded->payload.size() <= size - kValueHeaderSize, "payload longer than value");
    if (static_cast<unsigned char>(bytes[2]) == kValueFormat &&
        static_cast<unsigned char>(bytes[3]) == kValueHeaderSize) {
      FUZZ_REQUIRE(again == bytes, "today's layout does not re-encode byte for byte");
    }
  }

  // The other direction: the input as version (8 bytes), flags bit, payload.
  if (size >= 9) {
    std::uint64_t version = 0;
    std::memcpy(&version, data, sizeof version);
    const std::uint32_t flags = (data[8] & 1) != 0 ? kValueFlagForward : 0;
    const std::string_view payload = bytes.substr(9);
    const std::string encoded = encode_value(version, payload, flags);
    FUZZ_REQUIRE(encoded.size() == kValueHeaderSize + payload.size(), "encoded size");
    const auto decoded = decode_value(encoded);
    FUZZ_REQUIRE(decoded.ok(), "encode_value output does not decode");
    FUZZ_REQUIRE(decoded->version == version && decoded->payload == payload &&
                     decoded->forward == (flags != 0),
                 "encode -> decode is not the identity");
  }
  return 0;
}
