// SPDX-License-Identifier: BSD-3-Clause
// Fuzz target: the reader of memcached's reply to a meta set
// (parse_meta_set_reply, src/store/meta_connection.h).
//
// Never crashes; a reply that reads as stored carries a token; every message is
// bounded (it may become a PHP warning).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "store/meta_connection.h"

using namespace clustered;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  const StoreReply reply = parse_meta_set_reply(line);
  if (reply.ok()) FUZZ_REQUIRE(line.starts_with("HD"), "a reply other than HD read as stored");
  if (!reply.ok()) FUZZ_REQUIRE(reply.cas == 0, "a refusal carries a token");
  FUZZ_REQUIRE(reply.message.size() <= 300, "unbounded message");
  FUZZ_REQUIRE(!reply.value.has_value(), "a set reply carries a value");
  return 0;
}
