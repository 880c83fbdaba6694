// SPDX-License-Identifier: BSD-3-Clause
#include "codec/value_codec.h"

#include <utility>

namespace clustered {
namespace {

std::uint32_t compression_flag(Compression algorithm) {
  switch (algorithm) {
    case Compression::kLz4:
      return kValueFlagLz4;
    case Compression::kZstd:
      return kValueFlagZstd;
    case Compression::kOff:
      break;
  }
  return 0;
}

Compression algorithm_of(std::uint32_t flag) {
  return flag == kValueFlagLz4 ? Compression::kLz4 : Compression::kZstd;
}

}  // namespace

ValueCodec::ValueCodec(std::shared_ptr<const Sealer> sealer, CompressionOptions compression)
    : sealer_(sealer != nullptr ? std::move(sealer) : std::make_shared<const Sealer>()),
      compression_(compression) {}

std::string ValueCodec::compression_description() const {
  if (compression_.algorithm == Compression::kOff) return "off";
  std::string text(compression_name(compression_.algorithm));
  if (compression_.algorithm == Compression::kZstd) {
    text += " level " + std::to_string(compression_.level);
  }
  return text + ", sessions from " + std::to_string(compression_.threshold) + " bytes";
}

std::string ValueCodec::encode(std::string_view key, std::uint64_t version,
                               std::string_view payload, std::uint32_t flags) const {
  // Compress, then seal (docs/design.md, "Compression"): what is sealed is
  // smaller, and the compression flag and size are in the authenticated header.
  std::string compressed;
  std::uint32_t original_size = 0;
  const bool session_data = (flags & kValueFlagForward) == 0;
  if (session_data && compression_.algorithm != Compression::kOff &&
      payload.size() >= compression_.threshold && payload.size() < kMaxSessionBytes) {
    compressed = compress(compression_.algorithm, payload, compression_.level);
    // Empty: it could not be compressed; not smaller: raw costs less to read.
    if (!compressed.empty() && compressed.size() < payload.size()) {
      flags |= compression_flag(compression_.algorithm);
      original_size = static_cast<std::uint32_t>(payload.size());
      payload = compressed;
    }
  }
  if (!sealer_->seals_writes()) {
    if (original_size == 0) return encode_value(version, payload, flags);
    std::string bytes = encode_extended_header(version, flags, 0, original_size);
    bytes.append(payload);
    return bytes;
  }
  flags |= sealer_->encrypts() ? kValueFlagEncrypted : kValueFlagAuthenticated;
  std::string bytes =
      encode_extended_header(version, flags, sealer_->sealing_key_id(), original_size);
  bytes += sealer_->seal_payload(key, bytes, payload);
  return bytes;
}

Result<StoredValue> ValueCodec::decode(std::string_view key, std::string_view bytes) const {
  auto decoded = decode_value(bytes);
  const Sealer& sealer = *sealer_;
  if (!decoded) {
    // With sealing required, anything that is not a sealed value of ours is absent.
    return Failure::of(
        sealer.has_keys() && !sealer.accepts_unsealed() ? Cause::kRejected : Cause::kUnreadable,
        decoded.error());
  }
  StoredValue& value = *decoded;
  if (value.sealed == 0 && !sealer.accepts_unsealed()) {
    return Failure::of(Cause::kRejected,
                       "the value is not sealed (written without clustered_session.secret_file, "
                       "or by someone else); while switching over, set "
                       "clustered_session.accept_unsealed=1");
  }
  if (value.sealed != 0) {
    auto opened = sealer.open_payload(key, value.key_id, value.sealed == kValueFlagEncrypted,
                                      bytes.substr(0, value.header_length), value.payload);
    if (!opened) return opened.failure();
    value.payload = std::move(*opened);
  }
  if (value.compressed != 0) {
    auto session = decompress(algorithm_of(value.compressed), value.payload, value.original_size,
                              kMaxSessionBytes);
    if (!session) {
      return Failure::of(Cause::kUnreadable,
                         "the compressed value does not decompress: " + session.error());
    }
    value.payload = std::move(*session);
  }
  return std::move(value);
}

}  // namespace clustered
