#include "sid/session_id.h"

#include <sys/random.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "sid/node_id.h"

namespace clustered {
namespace {

// PHP's ext/session alphabet, in the same order so 4-, 5- and 6-bit IDs match.
constexpr std::string_view kAlphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ,-";

bool is_random_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == ',' ||
         c == '-';
}

Status fill_random(unsigned char* out, std::size_t size) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t got = getrandom(out + done, size - done, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return Error{std::string("getrandom failed: ") + std::strerror(errno)};
    }
    done += static_cast<std::size_t>(got);
  }
  return success();
}

}  // namespace

std::string SessionId::str() const { return random + "-" + store + "." + route; }

std::optional<SessionId> parse_session_id(std::string_view text) {
  const auto dot = text.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const auto dash = text.rfind('-', dot);
  if (dash == std::string_view::npos) return std::nullopt;

  SessionId id;
  const std::string_view random = text.substr(0, dash);
  const std::string_view store = text.substr(dash + 1, dot - dash - 1);
  const std::string_view route = text.substr(dot + 1);
  if (random.size() < kMinRandomLength || random.size() > kMaxRandomLength) return std::nullopt;
  for (char c : random) {
    if (!is_random_char(c)) return std::nullopt;
  }
  if (!is_valid_node_id(store) || !is_valid_node_id(route)) return std::nullopt;
  id.random = random;
  id.store = store;
  id.route = route;
  return id;
}

bool is_key_safe_session_id(std::string_view text, std::size_t max_length) {
  if (text.empty() || text.size() > max_length) return false;
  for (char c : text) {
    if (!is_random_char(c) && c != '.') return false;
  }
  return true;
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

Result<std::string> make_random_part(std::size_t length, int bits_per_character) {
  if (bits_per_character < 4 || bits_per_character > 6) {
    return Error{"sid_bits_per_character must be 4, 5 or 6, got " +
                 std::to_string(bits_per_character)};
  }
  length = effective_random_length(length, bits_per_character);
  // Like PHP: read as many random bytes as characters (more than enough bits).
  std::vector<unsigned char> bytes(length);
  if (auto filled = fill_random(bytes.data(), bytes.size()); !filled) return Error{filled.error()};

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
