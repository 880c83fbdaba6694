// SPDX-License-Identifier: BSD-3-Clause
// Fuzz target: the reader of memcached's replies (parse_reply,
// src/store/memcached_reply.h), for every command it reads replies to.
//
// Input: byte 0 picks the command, byte 1 the item size limit (none, 1 KiB or
// 10 bytes) and where the reply is cut for the prefix checks; the rest is what
// the server sent. Checked, besides never crashing:
//   - a reply is complete, bad (kBadReply, with a message) or asks for more;
//   - a value comes only with a get's hit, never larger than the limit, and a
//     complete reply (not an error line) is exactly the bytes received;
//   - messages are bounded, printable, without < or > (they become PHP warnings);
//   - reading a prefix first changes nothing: what is bad stays bad with more
//     bytes, and a reply complete early is complete or bad (more than one
//     reply) once the rest arrives.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "store/memcached_reply.h"

using namespace clustered;

namespace {

constexpr ReplyTo kCommands[] = {
    ReplyTo::kGet, ReplyTo::kTouch,  ReplyTo::kSet, ReplyTo::kSetChecked, ReplyTo::kSetCompare,
    ReplyTo::kAdd, ReplyTo::kAppend, ReplyTo::kCas, ReplyTo::kDelete,     ReplyTo::kStats};
constexpr std::uint64_t kLimits[] = {kMaxValueBytes, 1024, 10};

void check_reply(const ParsedReply& parsed, ReplyTo command, std::uint64_t limit,
                 std::string_view received) {
  const StoreReply& reply = parsed.reply;
  if (parsed.status == ParsedReply::Status::kIncomplete) {
    FUZZ_REQUIRE(reply.ok() && reply.error().empty(), "an unfinished reply says something");
    return;
  }
  FUZZ_REQUIRE(parsed.bad() == (reply.cause() == Cause::kBadReply), "bad and kBadReply disagree");
  const bool has_value = reply.ok() && reply->value.has_value();
  FUZZ_REQUIRE(!has_value || (command == ReplyTo::kGet && parsed.complete()),
               "a value outside a get's hit");
  FUZZ_REQUIRE(!has_value || reply->value->size() <= limit, "a value over the limit");
  FUZZ_REQUIRE(!parsed.bad() || !reply.error().empty(), "a bad reply without a message");
  FUZZ_REQUIRE(reply.error().size() <= 300, "unbounded message");
  for (const char c : reply.error()) {
    FUZZ_REQUIRE(c >= 0x20 && c < 0x7f && c != '<' && c != '>', "a message with a raw byte");
  }
  FUZZ_REQUIRE(reply.ok() || !reply.failure().stored_copy_dropped,
               "the parser decides what memcached dropped");
  if (parsed.complete() && !parsed.error_line && reply.ok() && command == ReplyTo::kGet) {
    FUZZ_REQUIRE(has_value, "a get's hit without its value");
    FUZZ_REQUIRE(received.size() >= reply->value->size() + 4, "a value longer than the reply");
  }
  FUZZ_REQUIRE(parsed.stats.empty() || command == ReplyTo::kStats, "stats for another command");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const ReplyTo command = kCommands[data[0] % std::size(kCommands)];
  const std::uint64_t limit = kLimits[data[1] % std::size(kLimits)];
  const std::string_view received(reinterpret_cast<const char*>(data + 2), size - 2);

  const ParsedReply whole = parse_reply(command, "k", received, limit);
  check_reply(whole, command, limit, received);

  const std::size_t cut = received.empty() ? 0 : (data[1] / 3) % received.size();
  const ParsedReply prefix = parse_reply(command, "k", received.substr(0, cut), limit);
  check_reply(prefix, command, limit, received.substr(0, cut));
  if (prefix.bad()) FUZZ_REQUIRE(whole.bad(), "more bytes made a bad reply good");
  if (prefix.complete() && prefix.error_line) {
    FUZZ_REQUIRE(whole.complete() && whole.reply.cause() == prefix.reply.cause(),
                 "more bytes changed what an error line means");
  } else if (prefix.complete()) {
    FUZZ_REQUIRE(whole.bad(), "a complete reply followed by more bytes read as one reply");
  }
  return 0;
}
