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
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace clustered {

inline constexpr std::uint8_t kValueFormat = 1;
inline constexpr std::size_t kValueHeaderSize = 16;

inline constexpr std::uint32_t kValueFlagForward = 1;

struct StoredValue {
  std::uint64_t version = 0;
  std::string payload;
  bool forward = false;  // payload is the session's new ID, not session data
};

std::string encode_value(std::uint64_t version, std::string_view payload, std::uint32_t flags = 0);

// Fails with a message for values that are not ours or are damaged.
Result<StoredValue> decode_value(std::string_view bytes);

}  // namespace clustered
