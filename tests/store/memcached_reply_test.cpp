// SPDX-License-Identifier: BSD-3-Clause
// The reply parser (store/memcached_reply.h) on its own: every reply memcached
// 1.6.18 gives to each command reads as what it means, every other reply --
// another command's, a second one, garbage, a line longer than any reply -- is a
// bad reply, and a value's announced length is refused before its bytes are
// waited for. The socket side is in fake_memcached_test.cpp.
#include "store/memcached_reply.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace clustered {
namespace {

using namespace std::string_literals;
using Status = ParsedReply::Status;

ParsedReply parse(ReplyTo command, std::string_view received, std::string_view key = "k",
                  std::uint64_t max_value = kMaxValueBytes) {
  return parse_reply(command, key, received, max_value);
}

std::string name_of(const ParsedReply& parsed) {
  switch (parsed.status) {
    case Status::kIncomplete:
      return "incomplete";
    case Status::kComplete:
      return "complete: " + std::string(describe(parsed.reply.cause())) + " " +
             parsed.reply.error();
    case Status::kBad:
      return "bad: " + parsed.reply.error();
  }
  return "?";
}

// Every proper prefix of a complete reply asks for more: none reads as complete
// or bad (a reply trickled byte by byte is read the same as one in one piece).
void expect_prefixes_incomplete(ReplyTo command, const std::string& reply) {
  for (std::size_t size = 0; size < reply.size(); ++size) {
    const ParsedReply parsed = parse(command, std::string_view(reply).substr(0, size));
    EXPECT_EQ(parsed.status, Status::kIncomplete)
        << "prefix of " << size << " bytes of " << quote_reply(reply) << ": " << name_of(parsed);
  }
}

TEST(MemcachedReply, GetHitCarriesTheValueAndItsToken) {
  const std::string reply = "VA 5 kk c7\r\nhello\r\n";
  const ParsedReply parsed = parse(ReplyTo::kGet, reply);
  ASSERT_TRUE(parsed.complete()) << name_of(parsed);
  ASSERT_EQ(parsed.reply.cause(), Cause::kOk);
  EXPECT_EQ(parsed.reply->value, "hello");
  EXPECT_EQ(parsed.reply->cas, 7u);
  EXPECT_EQ(parsed.token, 7u);
  expect_prefixes_incomplete(ReplyTo::kGet, reply);
  // The flags in either order (memcached returns them as asked).
  EXPECT_EQ(parse(ReplyTo::kGet, "VA 5 c7 kk\r\nhello\r\n").reply->value, "hello");
}

TEST(MemcachedReply, GetOfEmptyAndBinaryValues) {
  const ParsedReply empty = parse(ReplyTo::kGet, "VA 0 kk c1\r\n\r\n");
  ASSERT_TRUE(empty.complete()) << name_of(empty);
  EXPECT_EQ(empty.reply->value, "");
  const std::string binary = "\0\r\nEN\r\nVA 1 kk c1\r\n\xff"s;
  const ParsedReply parsed =
      parse(ReplyTo::kGet, "VA " + std::to_string(binary.size()) + " kk c3\r\n" + binary + "\r\n");
  ASSERT_TRUE(parsed.complete()) << name_of(parsed);
  EXPECT_EQ(parsed.reply->value, binary);
}

TEST(MemcachedReply, GetMissWithOrWithoutTheKey) {
  EXPECT_EQ(parse(ReplyTo::kGet, "EN\r\n").reply.cause(), Cause::kNotFound);
  const ParsedReply miss = parse(ReplyTo::kGet, "EN kk\r\n");
  ASSERT_TRUE(miss.complete()) << name_of(miss);
  EXPECT_EQ(miss.reply.cause(), Cause::kNotFound);
  EXPECT_FALSE(miss.reply.ok());
  EXPECT_TRUE(parse(ReplyTo::kGet, "EN kother\r\n").bad());
}

TEST(MemcachedReply, AnnouncedLengthIsCheckedBeforeTheValueArrives) {
  // Refused from the header alone: nothing after it is waited for.
  for (const char* header :
       {"VA 18446744073709551614 kk c1\r\n", "VA 18446744073709551615 kk c1\r\n",
        "VA 9223372036854775808 kk c1\r\n", "VA 1073741825 kk c1\r\n"}) {
    const ParsedReply parsed = parse(ReplyTo::kGet, header);
    ASSERT_TRUE(parsed.bad()) << header << ": " << name_of(parsed);
    EXPECT_NE(parsed.reply.error().find("announced a value of"), std::string::npos)
        << parsed.reply.error();
    EXPECT_NE(parsed.reply.error().find("1 GiB"), std::string::npos) << parsed.reply.error();
  }
  const ParsedReply over_limit = parse(ReplyTo::kGet, "VA 2000 kk c1\r\n", "k", 1024);
  ASSERT_TRUE(over_limit.bad()) << name_of(over_limit);
  EXPECT_NE(over_limit.reply.error().find("item size limit of 1024 bytes"), std::string::npos)
      << over_limit.reply.error();
  EXPECT_EQ(parse(ReplyTo::kGet, "VA 1000 kk c1\r\n", "k", 1024).status, Status::kIncomplete);
  // Not a number: too many digits, a sign, nothing.
  for (const char* header : {"VA 99999999999999999999999 kk c1\r\n", "VA -5 kk c1\r\n",
                             "VA +5 kk c1\r\n", "VA kk c1\r\n", "VA\r\n", "VA 5x kk c1\r\n"}) {
    EXPECT_TRUE(parse(ReplyTo::kGet, header).bad()) << header;
  }
}

TEST(MemcachedReply, ValueOfAnotherKeyIsBad) {
  for (const char* reply :
       {"VA 6 ksess.victim c1\r\nsecret\r\n", "VA 6 ksess.mine2 c1\r\nsecret\r\n",
        "VA 6 ksess.min c1\r\nsecret\r\n"}) {
    const ParsedReply parsed = parse(ReplyTo::kGet, reply, "sess.mine");
    ASSERT_TRUE(parsed.bad()) << reply;
    EXPECT_NE(parsed.reply.error().find("another key"), std::string::npos) << parsed.reply.error();
    EXPECT_EQ(parsed.reply.error().find("secret"), std::string::npos) << parsed.reply.error();
  }
}

TEST(MemcachedReply, FlagsMustBeTheOnesAskedFor) {
  for (const char* reply :
       {"VA 5 kk\r\nhello\r\n", "VA 5 c1\r\nhello\r\n", "VA 5 kk c1 c2\r\nhello\r\n",
        "VA 5 kk kk c1\r\nhello\r\n", "VA 5 kk c1 f0\r\nhello\r\n", "VA 5 kk cx\r\nhello\r\n",
        "VA 5 kk c\r\nhello\r\n", "VA 5  kk c1\r\nhello\r\n", "VA 5 kk c1 \r\nhello\r\n",
        "VA 5 k c1\r\nhello\r\n"}) {
    EXPECT_TRUE(parse(ReplyTo::kGet, reply).bad()) << reply;
  }
  EXPECT_TRUE(parse(ReplyTo::kSet, "HD c5\r\n").bad());
  EXPECT_TRUE(parse(ReplyTo::kSetChecked, "HD k c7 O1\r\n").bad());
  EXPECT_TRUE(parse(ReplyTo::kDelete, "HD kk\r\n").bad());
  EXPECT_TRUE(parse(ReplyTo::kTouch, "EN kk\r\n").bad());
}

TEST(MemcachedReply, ValueMustEndWithCrlfAndNothingMayFollow) {
  EXPECT_TRUE(parse(ReplyTo::kGet, "VA 5 kk c1\r\nhelloEN\r\n").bad());
  EXPECT_TRUE(parse(ReplyTo::kGet, "VA 5 kk c1\r\nhelloX").bad());  // before the rest arrives
  EXPECT_EQ(parse(ReplyTo::kGet, "VA 5 kk c1\r\nhello\r").status, Status::kIncomplete);
  EXPECT_TRUE(parse(ReplyTo::kGet, "VA 5 kk c1\r\nhello\rX").bad());
  const ParsedReply second = parse(ReplyTo::kGet, "VA 5 kk c1\r\nhello\r\nVA 5 kk c1\r\nworld\r\n");
  ASSERT_TRUE(second.bad());
  EXPECT_NE(second.reply.error().find("more than the one reply"), std::string::npos)
      << second.reply.error();
  EXPECT_TRUE(parse(ReplyTo::kGet, "VA 5 kk c1\r\nhello\r\nGARBAGE\r\n").bad());
  EXPECT_TRUE(parse(ReplyTo::kDelete, "HD\r\nHD\r\n").bad());
  EXPECT_TRUE(parse(ReplyTo::kDelete, "HD\r\nX").bad());
}

TEST(MemcachedReply, GarbageIsBadAtItsFirstImpossibleByte) {
  // "H" may begin HD, "HE" nothing a get is answered with.
  EXPECT_EQ(parse(ReplyTo::kTouch, "H").status, Status::kIncomplete);
  EXPECT_TRUE(parse(ReplyTo::kGet, "H").bad());
  EXPECT_TRUE(parse(ReplyTo::kGet, "HELLO").bad());
  EXPECT_TRUE(parse(ReplyTo::kGet, "x").bad());
  EXPECT_TRUE(parse(ReplyTo::kGet, "\x00"s).bad());
  EXPECT_TRUE(parse(ReplyTo::kGet, "E\n").bad());
  EXPECT_TRUE(parse(ReplyTo::kGet, "EN\n").bad());     // LF without CR
  EXPECT_TRUE(parse(ReplyTo::kGet, "EN\rX\n").bad());  // CR without LF
  EXPECT_TRUE(parse(ReplyTo::kGet, "VALUE").bad());    // the classic protocol's word
  EXPECT_TRUE(parse(ReplyTo::kGet, "END\r\n").bad());
  EXPECT_EQ(parse(ReplyTo::kGet, "SERVER_ERR").status, Status::kIncomplete);
  EXPECT_EQ(parse(ReplyTo::kGet, "").status, Status::kIncomplete);
}

TEST(MemcachedReply, LineLongerThanAnyReplyIsBad) {
  const ParsedReply long_line =
      parse(ReplyTo::kGet, "VA 5 kk c1" + std::string(kMaxReplyLine, '1'));
  ASSERT_TRUE(long_line.bad()) << name_of(long_line);
  EXPECT_NE(long_line.reply.error().find("more than 2048 bytes"), std::string::npos)
      << long_line.reply.error();
  const ParsedReply error = parse(ReplyTo::kSet, "SERVER_ERROR " + std::string(5000, 'x'));
  EXPECT_TRUE(error.bad()) << name_of(error);
  // A key of 250 bytes fits a VA line easily.
  const std::string key(250, 'k');
  EXPECT_TRUE(
      parse(ReplyTo::kGet, "VA 1 k" + key + " c18446744073709551615\r\nv\r\n", key).complete());
}

TEST(MemcachedReply, ErrorLinesReadAsRefusalsOfTheItem) {
  const ParsedReply oom_set = parse(ReplyTo::kSet, "SERVER_ERROR out of memory storing object\r\n");
  ASSERT_TRUE(oom_set.complete());
  EXPECT_EQ(oom_set.reply.cause(), Cause::kOutOfMemory);
  EXPECT_TRUE(oom_set.error_line);
  EXPECT_EQ(
      oom_set.reply.error().rfind("out of memory: SERVER_ERROR out of memory storing object", 0),
      0u)
      << oom_set.reply.error();
  const ParsedReply large =
      parse(ReplyTo::kSetChecked, "SERVER_ERROR object too large for cache\r\n");
  EXPECT_EQ(large.reply.cause(), Cause::kTooLarge);
  EXPECT_EQ(large.reply.error(),
            "too large: SERVER_ERROR object too large for cache (memcached -I)");
  // To a read, "out of memory" concerns the reply, not a stored item.
  EXPECT_EQ(
      parse(ReplyTo::kGet, "SERVER_ERROR out of memory writing get response\r\n").reply.cause(),
      Cause::kRefused);
  EXPECT_EQ(parse(ReplyTo::kAdd, "CLIENT_ERROR bad data chunk\r\n").reply.cause(), Cause::kRefused);
  EXPECT_EQ(parse(ReplyTo::kDelete, "SERVER_ERROR busy\r\n").reply.error(), "SERVER_ERROR busy");
  // An error line may be followed by memcached's answer to the data block it
  // then read as a command: the connection is dropped, the refusal stands.
  const ParsedReply chunk = parse(ReplyTo::kSet, "CLIENT_ERROR bad data chunk\r\nERROR\r\n");
  EXPECT_TRUE(chunk.complete());
  EXPECT_EQ(chunk.reply.cause(), Cause::kRefused);
  const ParsedReply unknown = parse(ReplyTo::kGet, "ERROR\r\n");
  ASSERT_TRUE(unknown.bad());
  EXPECT_NE(unknown.reply.error().find("does not know the command"), std::string::npos);
}

TEST(MemcachedReply, StoresReadAsWhatTheyMean) {
  EXPECT_EQ(parse(ReplyTo::kSet, "HD\r\n").reply.cause(), Cause::kOk);
  const ParsedReply checked = parse(ReplyTo::kSetChecked, "HD c42\r\n");
  EXPECT_EQ(checked.reply.cause(), Cause::kOk);
  EXPECT_EQ(checked.reply->cas, 42u);
  EXPECT_EQ(checked.token, 42u);
  EXPECT_TRUE(parse(ReplyTo::kSetChecked, "HD\r\n").bad());  // the token it was asked for
  EXPECT_TRUE(parse(ReplyTo::kSetChecked, "HD cx\r\n").bad());
  EXPECT_TRUE(parse(ReplyTo::kSetChecked, "EX c0\r\n").bad());  // no token was compared
  EXPECT_EQ(parse(ReplyTo::kSetCompare, "HD c43\r\n").reply->cas, 43u);
  EXPECT_EQ(parse(ReplyTo::kSetCompare, "EX c0\r\n").reply.cause(), Cause::kExists);
  EXPECT_EQ(parse(ReplyTo::kSetCompare, "EX\r\n").reply.cause(), Cause::kExists);
  EXPECT_EQ(parse(ReplyTo::kSetCompare, "NF c0\r\n").reply.cause(), Cause::kNotFound);
  EXPECT_TRUE(parse(ReplyTo::kSetCompare, "NS c0\r\n").bad());
  EXPECT_EQ(parse(ReplyTo::kSetAdd, "HD c44\r\n").reply->cas, 44u);
  EXPECT_EQ(parse(ReplyTo::kSetAdd, "NS c0\r\n").reply.cause(), Cause::kNotStored);
  EXPECT_EQ(parse(ReplyTo::kSetAdd, "NS\r\n").reply.cause(), Cause::kNotStored);
  EXPECT_TRUE(parse(ReplyTo::kSetAdd, "EX c0\r\n").bad());  // no token was compared
  EXPECT_TRUE(parse(ReplyTo::kSetAdd, "HD\r\n").bad());     // the token it was asked for
  EXPECT_EQ(parse(ReplyTo::kAdd, "STORED\r\n").reply.cause(), Cause::kOk);
  EXPECT_EQ(parse(ReplyTo::kAdd, "NOT_STORED\r\n").reply.cause(), Cause::kNotStored);
  EXPECT_EQ(parse(ReplyTo::kAppend, "NOT_STORED\r\n").reply.cause(), Cause::kNotStored);
  EXPECT_EQ(parse(ReplyTo::kCas, "EXISTS\r\n").reply.cause(), Cause::kExists);
  EXPECT_EQ(parse(ReplyTo::kCas, "NOT_FOUND\r\n").reply.cause(), Cause::kNotFound);
  EXPECT_EQ(parse(ReplyTo::kCas, "STORED\r\n").reply.cause(), Cause::kOk);
  EXPECT_TRUE(parse(ReplyTo::kAdd, "STORED c1\r\n").bad());
  EXPECT_EQ(parse(ReplyTo::kDelete, "HD\r\n").reply.cause(), Cause::kOk);
  EXPECT_EQ(parse(ReplyTo::kDelete, "NF\r\n").reply.cause(), Cause::kNotFound);
  EXPECT_EQ(parse(ReplyTo::kTouch, "HD\r\n").reply.cause(), Cause::kOk);
  EXPECT_EQ(parse(ReplyTo::kTouch, "EN\r\n").reply.cause(), Cause::kNotFound);
  expect_prefixes_incomplete(ReplyTo::kSetChecked, "HD c18446744073709551615\r\n");
  expect_prefixes_incomplete(ReplyTo::kAppend, "NOT_STORED\r\n");
}

// Each command answered with every other command's reply: only its own replies
// read as anything but a bad reply.
TEST(MemcachedReply, EveryOtherCommandsReplyIsBad) {
  const std::vector<std::string> replies = {
      "HD\r\n",
      "HD c5\r\n",
      "EN\r\n",
      "NF\r\n",
      "NS\r\n",
      "EX\r\n",
      "MN\r\n",
      "VA 1 kk c1\r\nx\r\n",
      "STORED\r\n",
      "NOT_STORED\r\n",
      "EXISTS\r\n",
      "NOT_FOUND\r\n",
      "DELETED\r\n",
      "TOUCHED\r\n",
      "END\r\n",
      "OK\r\n",
      "VERSION 1.6.18\r\n",
      "STAT pid 1\r\nEND\r\n",
      "VALUE k 0 1\r\nx\r\nEND\r\n",
      "VALUE k 0 1 5\r\nx\r\nEND\r\n",
      "42\r\n",
      "HELLO GARBAGE\r\n",
  };
  const std::vector<std::pair<ReplyTo, std::vector<std::string>>> own = {
      {ReplyTo::kGet, {"EN\r\n", "VA 1 kk c1\r\nx\r\n"}},
      {ReplyTo::kTouch, {"HD\r\n", "EN\r\n"}},
      {ReplyTo::kSet, {"HD\r\n"}},
      {ReplyTo::kSetChecked, {"HD c5\r\n"}},
      {ReplyTo::kSetCompare, {"HD c5\r\n", "NF\r\n", "EX\r\n"}},
      {ReplyTo::kSetAdd, {"HD c5\r\n", "NS\r\n"}},
      {ReplyTo::kAdd, {"STORED\r\n", "NOT_STORED\r\n"}},
      {ReplyTo::kAppend, {"STORED\r\n", "NOT_STORED\r\n"}},
      {ReplyTo::kCas, {"STORED\r\n", "EXISTS\r\n", "NOT_FOUND\r\n"}},
      {ReplyTo::kDelete, {"HD\r\n", "NF\r\n"}},
      {ReplyTo::kStats, {"STAT pid 1\r\nEND\r\n", "END\r\n"}},
  };
  for (const auto& [command, valid] : own) {
    for (const std::string& reply : replies) {
      const bool is_own = std::find(valid.begin(), valid.end(), reply) != valid.end();
      const ParsedReply parsed = parse(command, reply);
      EXPECT_EQ(parsed.complete(), is_own)
          << "command " << static_cast<int>(command) << " answered " << quote_reply(reply) << ": "
          << name_of(parsed);
      if (!is_own) {
        EXPECT_EQ(parsed.reply.cause(), Cause::kBadReply) << quote_reply(reply);
      }
    }
  }
}

TEST(MemcachedReply, StatsAreReadToTheirEnd) {
  const std::string reply =
      "STAT pid 42\r\nSTAT version 1.6.18\r\nSTAT inter 127.0.0.1 x\r\nEND\r\n";
  const ParsedReply parsed = parse(ReplyTo::kStats, reply, "");
  ASSERT_TRUE(parsed.complete()) << name_of(parsed);
  ASSERT_EQ(parsed.stats.size(), 3u);
  EXPECT_EQ(parsed.stats[0], (std::pair<std::string, std::string>{"pid", "42"}));
  EXPECT_EQ(parsed.stats[2].second, "127.0.0.1 x");
  expect_prefixes_incomplete(ReplyTo::kStats, reply);
  EXPECT_EQ(parse(ReplyTo::kStats, "END\r\n").stats.size(), 0u);
  for (const char* bad :
       {"STAT pid\r\nEND\r\n", "STAT  pid 1\r\nEND\r\n", "STAT pid 1\r\nHD\r\n", "STAT pid 1\r\nX",
        "STAT pid 1\r\nEND\r\nEND\r\n", "STAT pid 1\r\nSERVER_ERROR x\r\n"}) {
    EXPECT_TRUE(parse(ReplyTo::kStats, bad, "").bad()) << bad;
  }
  EXPECT_EQ(parse(ReplyTo::kStats, "CLIENT_ERROR no\r\n", "").reply.cause(), Cause::kRefused);
  std::string endless;
  while (endless.size() <= kMaxStatsReply) endless += "STAT name value\r\n";
  const ParsedReply too_long = parse(ReplyTo::kStats, endless + "END\r\n", "");
  ASSERT_TRUE(too_long.bad());
  EXPECT_NE(too_long.reply.error().find("64 KiB"), std::string::npos) << too_long.reply.error();
}

TEST(MemcachedReply, MessagesArePlainAndBounded) {
  const std::string hostile = "<script>alert(1)</script> -> \x01\x7f\"\\&" + std::string(500, 'x');
  for (const ParsedReply& parsed :
       {parse(ReplyTo::kGet, "VA 1 k" + hostile.substr(0, 30) + " c1\r\nx\r\n"),
        parse(ReplyTo::kDelete, "SERVER_ERROR " + hostile.substr(0, 40) + "\r\n"),
        parse(ReplyTo::kSet, hostile),
        // Found by fuzz_meta_reply: every byte of the server's words escaped
        // (four characters each) made a message of over 400.
        parse(ReplyTo::kSet, "SERVER_ERROR object" + std::string(77, '\\') + " too larger\r\n"),
        parse(ReplyTo::kGet, "ERROR " + std::string(200, '&') + "\r\n")}) {
    const std::string& message = parsed.reply.error();
    EXPECT_FALSE(message.empty());
    EXPECT_LE(message.size(), 300u) << message;
    EXPECT_EQ(message.find('<'), std::string::npos) << message;
    EXPECT_EQ(message.find('>'), std::string::npos) << message;
    for (const char c : message) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << message;
  }
  EXPECT_EQ(quote_reply("a\r\n<b>"), "\"a\\x0d\\x0a\\x3cb\\x3e\"");
  EXPECT_EQ(quote_reply(std::string(70, 'x')), "\"" + std::string(60, 'x') + "\"...");
}

}  // namespace
}  // namespace clustered
