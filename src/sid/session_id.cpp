// SPDX-License-Identifier: BSD-3-Clause
#include "sid/session_id.h"

#include <algorithm>
#include <array>
#include <vector>

#include "util/node_id.h"

namespace clustered {
namespace {

// PHP's ext/session alphabet, in the same order so 4-, 5- and 6-bit IDs match.
constexpr std::string_view kAlphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ,-";

// Byte classes by table: IDs are checked on every request, a table lookup per
// byte is a few instructions instead of a chain of range tests.
constexpr unsigned char kRandomChar = 1;  // PHP's session-ID alphabet
constexpr unsigned char kKeyChar = 2;     // that alphabet plus our suffix's '.'

constexpr std::array<unsigned char, 256> make_char_classes() {
  std::array<unsigned char, 256> classes{};
  for (char c : kAlphabet) classes[static_cast<unsigned char>(c)] = kRandomChar | kKeyChar;
  classes[static_cast<unsigned char>('.')] = kKeyChar;
  return classes;
}
constexpr std::array<unsigned char, 256> kCharClasses = make_char_classes();

bool all_in_class(std::string_view text, unsigned char char_class) {
  unsigned char seen = char_class;
  for (char c : text) seen &= kCharClasses[static_cast<unsigned char>(c)];
  return seen != 0;
}

}  // namespace

std::string SessionId::str() const { return random + "-" + store + "." + route; }

namespace {

// <random>-<store>.<route> split from the right, each part's length and the node
// ids' grammar checked; the random part's bytes are left to the caller.
std::optional<SessionIdView> split_session_id(std::string_view text) {
  const auto dot = text.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const auto dash = text.rfind('-', dot);
  if (dash == std::string_view::npos) return std::nullopt;

  const SessionIdView id{text.substr(0, dash), text.substr(dash + 1, dot - dash - 1),
                         text.substr(dot + 1)};
  if (id.random.size() < kMinRandomLength || id.random.size() > kMaxRandomLength) {
    return std::nullopt;
  }
  if (!is_valid_node_id(id.store) || !is_valid_node_id(id.route)) return std::nullopt;
  return id;
}

}  // namespace

std::optional<SessionIdView> parse_session_id_view(std::string_view text) {
  const std::optional<SessionIdView> id = split_session_id(text);
  if (!id || !all_in_class(id->random, kRandomChar)) return std::nullopt;
  return id;
}

std::optional<SessionIdView> parse_key_safe_session_id_view(std::string_view text) {
  const std::optional<SessionIdView> id = split_session_id(text);
  if (!id || id->random.find('.') != std::string_view::npos) return std::nullopt;
  return id;
}

std::optional<SessionId> parse_session_id(std::string_view text) {
  const auto view = parse_session_id_view(text);
  if (!view) return std::nullopt;
  return SessionId{std::string(view->random), std::string(view->store), std::string(view->route)};
}

bool is_key_safe_session_id(std::string_view text, std::size_t max_length) {
  if (text.empty() || text.size() > max_length) return false;
  return all_in_class(text, kKeyChar);
}

std::size_t effective_random_length(std::size_t length, int bits_per_character) {
  // Settings outside 4..6 are refused by make_random_part(); sizing must not divide
  // by zero (or wrap) on them, so they are held to the nearest valid value here.
  const auto bits = static_cast<std::size_t>(std::clamp(bits_per_character, 4, 6));
  const std::size_t needed = (kMinRandomBits + bits - 1) / bits;
  std::size_t result = length < needed ? needed : length;
  if (result < kMinRandomLength) result = kMinRandomLength;
  if (result > kMaxRandomLength) result = kMaxRandomLength;
  return result;
}

Result<std::string> make_random_part(std::size_t length, int bits_per_character, Entropy& entropy) {
  if (bits_per_character < 4 || bits_per_character > 6) {
    return Error{"sid_bits_per_character must be 4, 5 or 6, got " +
                 std::to_string(bits_per_character)};
  }
  length = effective_random_length(length, bits_per_character);
  // Like PHP: read as many random bytes as characters (more than enough bits).
  std::vector<unsigned char> bytes(length);
  if (auto filled = entropy.fill(bytes.data(), bytes.size()); !filled) return Error{filled.error()};

  std::string out;
  out.reserve(length);
  const unsigned mask = (1U << bits_per_character) - 1;
  unsigned word = 0;
  int have = 0;
  std::size_t next = 0;
  while (out.size() < length) {
    if (have < bits_per_character) {
      word |= static_cast<unsigned>(bytes[next++]) << have;
      have += 8;
    }
    out.push_back(kAlphabet[word & mask]);
    word >>= bits_per_character;
    have -= bits_per_character;
  }
  return out;
}

}  // namespace clustered
