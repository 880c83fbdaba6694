// SPDX-License-Identifier: BSD-3-Clause
// What goes to memcached: a small versioned header, then the session bytes
// (docs/design.md, "Value format"). The codec (codec/value_codec.h) is the one
// user: it compresses, seals and frames through these functions.
//
//   offset 0  'c' 's'        magic
//          2  format  u8     1 today; readers accept higher formats they can skip
//          3  hlen    u8     header length: a newer format may append fields, and an
//                            older reader still finds the payload at hlen
//          4  flags   u32 LE bit 0: forward (the session moved; payload = its new ID);
//                            unknown bits refuse the value
//          8  version u64 LE per-session counter, grows with every write: of two
//                            copies (store node and replica) the higher one wins
//         16  payload
//
// A sealed or compressed value has a 24-byte header:
//         16  key id  u32 LE which of the secret_file's keys sealed it (0: not sealed)
//         20  size    u32 LE the session's size before compression (0: not compressed)
//         24  payload: compressed (bit 3 lz4, bit 4 zstd), then sealed (bit 1
//             encrypted: nonce, ciphertext, tag; bit 2 authenticated only: the
//             payload, then its MAC); a sealed value's whole header is
//             authenticated too, so the compression flags and size cannot be
//             changed unnoticed.
// A reader older than sealing (or compression) refuses those bits (unknown
// flags): it fails the read rather than take ciphertext or compressed bytes for
// session data.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace clustered {

inline constexpr std::uint8_t kValueFormat = 1;
inline constexpr std::size_t kValueHeaderSize = 16;

// The header of a sealed or compressed value.
inline constexpr std::size_t kExtendedHeaderSize = 24;

inline constexpr std::uint32_t kValueFlagForward = 1;
inline constexpr std::uint32_t kValueFlagEncrypted = 2;
inline constexpr std::uint32_t kValueFlagAuthenticated = 4;
inline constexpr std::uint32_t kValueFlagsSealed = kValueFlagEncrypted | kValueFlagAuthenticated;
inline constexpr std::uint32_t kValueFlagLz4 = 8;
inline constexpr std::uint32_t kValueFlagZstd = 16;
inline constexpr std::uint32_t kValueFlagsCompressed = kValueFlagLz4 | kValueFlagZstd;

struct StoredValue {
  std::uint64_t version = 0;
  // As decode_value() leaves it: still sealed and compressed; as the codec
  // hands it on: the session bytes (or a forward's ID).
  std::string payload;
  bool forward = false;             // payload is the session's new ID, not session data
  std::uint32_t sealed = 0;         // kValueFlagEncrypted or kValueFlagAuthenticated; 0: plain
  std::uint32_t key_id = 0;         // sealed: the id of the key that sealed it
  std::uint32_t compressed = 0;     // kValueFlagLz4 or kValueFlagZstd; 0: stored raw
  std::uint32_t original_size = 0;  // compressed: the session's size before
  std::size_t header_length = kValueHeaderSize;
};

// The id of the key that sealed `value` (0: plain).
inline std::uint32_t sealed_with(const StoredValue& value) {
  return value.sealed != 0 ? value.key_id : 0;
}

// A logged-out session: a forward to no ID (format 1, so a release that does not
// know tombstones reads it as a forward it cannot follow: a new ID, as after a
// delete). It occupies the key, so a write conditional on the copy a request
// read before the logout finds another token and is refused, never stored over
// an empty key (docs/design.md, "Conditional writes").
inline bool is_tombstone(const StoredValue& value) {
  return value.forward && value.payload.empty();
}

// A plain, uncompressed value: the 16-byte header and `payload`.
std::string encode_value(std::uint64_t version, std::string_view payload, std::uint32_t flags = 0);
// The 24-byte header of a sealed or compressed value; `flags` includes the seal
// and compression bits.
std::string encode_extended_header(std::uint64_t version, std::uint32_t flags, std::uint32_t key_id,
                                   std::uint32_t original_size);

// Fails with a message for values that are not ours or are damaged.
Result<StoredValue> decode_value(std::string_view bytes);

}  // namespace clustered
