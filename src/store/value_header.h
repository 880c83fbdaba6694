// SPDX-License-Identifier: BSD-3-Clause
// What goes to memcached: a small versioned header, then the opaque session bytes.
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
// A sealed value (seal/sealer.h) sets bit 1 (encrypted) or bit 2 (authenticated
// only) and has a 24-byte header:
//         16  key id  u32 LE which of the secret_file's keys sealed it
//         20  0       u32    reserved
//         24  sealed payload (encrypted: nonce, ciphertext, tag; authenticated:
//             the payload, then its MAC); the whole header is authenticated too.
// A reader older than sealing refuses both bits (unknown flags): it fails the
// read rather than take ciphertext for session data.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace clustered {

inline constexpr std::uint8_t kValueFormat = 1;
inline constexpr std::size_t kValueHeaderSize = 16;

inline constexpr std::size_t kSealedHeaderSize = 24;

inline constexpr std::uint32_t kValueFlagForward = 1;
inline constexpr std::uint32_t kValueFlagEncrypted = 2;
inline constexpr std::uint32_t kValueFlagAuthenticated = 4;
inline constexpr std::uint32_t kValueFlagsSealed = kValueFlagEncrypted | kValueFlagAuthenticated;

struct StoredValue {
  std::uint64_t version = 0;
  std::string payload;       // for a sealed value: still sealed (seal/sealer.h opens it)
  bool forward = false;      // payload is the session's new ID, not session data
  std::uint32_t sealed = 0;  // kValueFlagEncrypted or kValueFlagAuthenticated; 0: plain
  std::uint32_t key_id = 0;  // sealed: the id of the key that sealed it
  std::size_t header_length = kValueHeaderSize;
};

// A logged-out session: a forward to no ID (format 1, so a release that does not
// know tombstones reads it as a forward it cannot follow: a new ID, as after a
// delete). It occupies the key, so a write conditional on the copy a request
// read before the logout finds another token and is refused, never stored over
// an empty key (docs/design.md, "Conditional writes").
inline bool is_tombstone(const StoredValue& value) {
  return value.forward && value.payload.empty();
}

std::string encode_value(std::uint64_t version, std::string_view payload, std::uint32_t flags = 0);
// The 24-byte header of a sealed value; `flags` includes the seal bit.
std::string encode_sealed_header(std::uint64_t version, std::uint32_t flags, std::uint32_t key_id);

// Fails with a message for values that are not ours or are damaged.
Result<StoredValue> decode_value(std::string_view bytes);

}  // namespace clustered
