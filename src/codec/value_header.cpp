// SPDX-License-Identifier: BSD-3-Clause
#include "codec/value_header.h"

namespace clustered {
namespace {

constexpr char kMagic0 = 'c';
constexpr char kMagic1 = 's';
constexpr std::uint32_t kKnownFlags = kValueFlagForward | kValueFlagsSealed | kValueFlagsCompressed;

void put_le(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

std::uint64_t get_le(std::string_view in, std::size_t offset, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) {
    value |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[offset + i])) << (8 * i);
  }
  return value;
}

// The 16 bytes every value starts with; `header_length` tells where its payload begins.
void put_header(std::string& out, std::size_t header_length, std::uint32_t flags,
                std::uint64_t version) {
  out.push_back(kMagic0);
  out.push_back(kMagic1);
  out.push_back(static_cast<char>(kValueFormat));
  out.push_back(static_cast<char>(header_length));
  put_le(out, flags, 4);
  put_le(out, version, 8);
}

}  // namespace

std::string encode_value(std::uint64_t version, std::string_view payload, std::uint32_t flags) {
  std::string out;
  out.reserve(kValueHeaderSize + payload.size());
  put_header(out, kValueHeaderSize, flags, version);
  out.append(payload);
  return out;
}

std::string encode_extended_header(std::uint64_t version, std::uint32_t flags, std::uint32_t key_id,
                                   std::uint32_t original_size) {
  std::string out;
  out.reserve(kExtendedHeaderSize);
  put_header(out, kExtendedHeaderSize, flags, version);
  put_le(out, key_id, 4);
  put_le(out, original_size, 4);
  return out;
}

Result<StoredValue> decode_value(std::string_view bytes) {
  if (bytes.size() < kValueHeaderSize) {
    return Error{"stored value is " + std::to_string(bytes.size()) +
                 " bytes, shorter than the 16-byte header"};
  }
  if (bytes[0] != kMagic0 || bytes[1] != kMagic1) {
    return Error{"stored value does not start with the clustered_session header"};
  }
  const auto format = static_cast<unsigned char>(bytes[2]);
  const auto header_length = static_cast<unsigned char>(bytes[3]);
  if (format < kValueFormat) return Error{"stored value has unknown format 0"};
  if (header_length < kValueHeaderSize || header_length > bytes.size()) {
    return Error{"stored value has a bad header length " + std::to_string(header_length)};
  }
  const auto flags = static_cast<std::uint32_t>(get_le(bytes, 4, 4));
  if ((flags & ~kKnownFlags) != 0) {
    return Error{"stored value uses flags this version cannot read: " + std::to_string(flags)};
  }
  StoredValue value;
  value.sealed = flags & kValueFlagsSealed;
  if (value.sealed == kValueFlagsSealed) {
    return Error{"stored value claims to be both encrypted and only authenticated"};
  }
  value.compressed = flags & kValueFlagsCompressed;
  if (value.compressed == kValueFlagsCompressed) {
    return Error{"stored value claims to be compressed with both lz4 and zstd"};
  }
  if ((value.sealed != 0 || value.compressed != 0) && header_length < kExtendedHeaderSize) {
    return Error{std::string(value.sealed != 0 ? "sealed" : "compressed") +
                 " value has a header of " + std::to_string(header_length) +
                 " bytes, shorter than 24"};
  }
  if (value.sealed != 0) value.key_id = static_cast<std::uint32_t>(get_le(bytes, 16, 4));
  if (value.compressed != 0) {
    value.original_size = static_cast<std::uint32_t>(get_le(bytes, 20, 4));
  }
  value.version = get_le(bytes, 8, 8);
  value.forward = (flags & kValueFlagForward) != 0;
  value.header_length = header_length;
  value.payload = bytes.substr(header_length);
  return value;
}

}  // namespace clustered
