// SPDX-License-Identifier: BSD-3-Clause
// Fuzz target: the session-ID codec (src/sid/session_id.h).
//
//   - parse_session_id() never crashes; when it accepts, every part is in its grammar
//     and str() gives back exactly the input (nothing is normalised or dropped);
//   - is_key_safe_session_id() agrees with a plain reference implementation, and
//     accepts every ID that parses;
//   - effective_random_length()/make_random_part() stay in PHP's limits for any
//     settings, and what make_random_part() returns parses as part of an ID.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "sid/session_id.h"
#include "util/node_id.h"

namespace {

using namespace clustered;

bool in_random_alphabet(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == ',' ||
         c == '-';
}

bool reference_key_safe(std::string_view text, std::size_t max_length) {
  if (text.empty() || text.size() > max_length) return false;
  for (char c : text) {
    if (!in_random_alphabet(c) && c != '.') return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (const auto id = parse_session_id(text)) {
    FUZZ_REQUIRE(id->str() == text, "parse -> str() must give back the input");
    FUZZ_REQUIRE(id->random.size() >= kMinRandomLength && id->random.size() <= kMaxRandomLength,
                 "random part outside PHP's sid_length limits");
    for (char c : id->random) FUZZ_REQUIRE(in_random_alphabet(c), "random part outside alphabet");
    FUZZ_REQUIRE(is_valid_node_id(id->store), "store is not a node id");
    FUZZ_REQUIRE(is_valid_node_id(id->route), "route is not a node id");
    FUZZ_REQUIRE(parse_session_id(id->str()) == id, "parse is not stable");
    FUZZ_REQUIRE(is_key_safe_session_id(text, text.size()), "a parsed id is not key-safe");
  }

  for (std::size_t max_length : {std::size_t{0}, size / 2, size, size + 1, std::size_t{250}}) {
    FUZZ_REQUIRE(is_key_safe_session_id(text, max_length) == reference_key_safe(text, max_length),
                 "is_key_safe_session_id disagrees with the reference");
  }

  // Settings from the first bytes (sid_length, sid_bits_per_character as PHP passes
  // them: any zend_long the INI layer let through).
  if (size >= 5) {
    const std::size_t length = static_cast<std::size_t>(data[0]) | (std::size_t{data[1]} << 8);
    const int bits = static_cast<int>(static_cast<std::int8_t>(data[2]));
    const std::size_t effective = effective_random_length(length, bits);
    FUZZ_REQUIRE(effective >= kMinRandomLength && effective <= kMaxRandomLength,
                 "effective_random_length outside PHP's limits");
    if (data[3] == 'R') {  // getrandom() per input would slow the rest down
      auto made = make_random_part(length, bits, system_entropy());
      FUZZ_REQUIRE(made.ok() == (bits >= 4 && bits <= 6), "make_random_part bits check");
      if (made.ok()) {
        FUZZ_REQUIRE(made->size() == effective, "make_random_part length");
        const auto id = parse_session_id(*made + "-n1.web1");
        FUZZ_REQUIRE(id && id->random == *made, "made random part does not parse");
      }
    }
  }
  return 0;
}
