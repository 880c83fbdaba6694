// SPDX-License-Identifier: BSD-3-Clause
// Session IDs of the form <random>-<store>.<route> (docs/design.md, "The model"; README "How it
// works").
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "util/entropy.h"
#include "util/result.h"

namespace clustered {

// PHP's own limits for session.sid_length and session.sid_bits_per_character.
inline constexpr std::size_t kMinRandomLength = 22;
inline constexpr std::size_t kMaxRandomLength = 256;
inline constexpr std::size_t kMinRandomBits = 128;

struct SessionId {
  std::string random;
  std::string store;  // node id in save_path that holds the remote copy
  std::string route;  // app node that owns the session

  std::string str() const;
  bool operator==(const SessionId&) const = default;
};

// The parts of an ID, pointing into the text they were parsed from (no copies:
// the handler parses the request's ID several times per request).
struct SessionIdView {
  std::string_view random;
  std::string_view store;
  std::string_view route;
};

// Parses from the right: the random part may itself contain '-' (6-bit alphabet).
// Returns nullopt for anything that is not exactly <random>-<store>.<route> with
// each part in its grammar.
std::optional<SessionIdView> parse_session_id_view(std::string_view text);
// The same for a text is_key_safe_session_id() accepted: every byte is in the
// key alphabet already, so the random part needs only to hold no '.' (one
// memchr instead of a table lookup per byte, on every request's ID).
std::optional<SessionIdView> parse_key_safe_session_id_view(std::string_view text);
std::optional<SessionId> parse_session_id(std::string_view text);

// True when every byte may appear in a memcached key and in PHP's own session-ID
// alphabet ([0-9a-zA-Z,-] plus the '.' of our suffix), length 1..max_length.
bool is_key_safe_session_id(std::string_view text, std::size_t max_length);

// The random part, made the way PHP's php_session_create_id() does it: random
// bytes from `entropy` (getrandom() in production) turned into `bits_per_character`-bit characters.
// The length is raised when needed so the part carries at least kMinRandomBits.
Result<std::string> make_random_part(std::size_t length, int bits_per_character, Entropy& entropy);

// Length make_random_part() really produces for these settings.
std::size_t effective_random_length(std::size_t length, int bits_per_character);

}  // namespace clustered
