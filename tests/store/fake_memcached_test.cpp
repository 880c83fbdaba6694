// SPDX-License-Identifier: BSD-3-Clause
// MemcachedNode and RemoteStore against a FAKE memcached (tests/support/
// fake_memcached.h) that answers what no healthy memcached would: garbage, a
// VA header promising more bytes than follow, a value for another key, another
// command's reply, a reply trickled byte by byte, or nothing at all. Whatever
// comes back, the client must report a failure (or a refusal), never hand out
// another key's value, never take an error for "not found" (that would start an
// empty session over the real one), never crash, and return within io_timeout +
// a margin. After the failure the connection is dropped, and the next operation
// on a healthy reply works on a fresh one.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "codec/value_header.h"
#include "remote/remote_store.h"
#include "session/session_handler.h"
#include "stats/counters.h"
#include "store/memcached_node.h"
#include "store/memcached_reply.h"
#include "support/fake_memcached.h"
#include "support/manual_clock.h"
#include "util/clock.h"
#include "util/entropy.h"

namespace clustered {
namespace {

using clustered::testing::FakeMemcached;
using Action = FakeMemcached::Action;
using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto kIoTimeout = 250ms;
// What a failed operation may take beyond io_timeout (a noisy 2-core machine).
constexpr auto kMargin = 750ms;

Timeouts test_timeouts() {
  Timeouts timeouts;
  timeouts.connect = 100ms;
  timeouts.io = kIoTimeout;
  return timeouts;
}

double seconds_since(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

constexpr double kDeadline =
    std::chrono::duration<double>(kIoTimeout + kMargin).count();  // seconds

std::string name_of(Cause code) { return std::string(describe(code)); }

// An error: the node failed, or it refused this item. Not one of the ordinary
// answers about an item (ok, not found, not stored, exists), which a reply that
// does not fit the request must never be read as.
bool is_failure(Cause code) {
  return node_failed(code) || code == Cause::kRefused || code == Cause::kTooLarge ||
         code == Cause::kOutOfMemory;
}

// Waits until exactly `count` connections to the fake are open (the client closed the others).
bool wait_open_connections(const FakeMemcached& fake, std::size_t count) {
  for (int i = 0; i < 200; ++i) {
    if (fake.connections_open() == count) return true;
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

class FakeMemcachedNodeTest : public ::testing::Test {
 protected:
  // "get k", answered with what the test pushed: a node failure (`expected`:
  // closed, silent or out of step) without a value, within the deadline.
  void expect_get_fails_within_deadline(Cause expected) {
    const auto start = SteadyClock::now();
    StoreReply got = node_.get("k");
    EXPECT_TRUE(node_failed(got.cause())) << name_of(got.cause());
    EXPECT_EQ(got.cause(), expected) << name_of(got.cause()) << ": " << got.error();
    EXPECT_FALSE((got.ok() && got->value.has_value()));
    EXPECT_LT(seconds_since(start), kDeadline);
  }

  // The node is usable again: a healthy "get k" afterwards is a hit.
  void expect_next_get_is_a_hit() {
    fake_.put("k", "good");
    StoreReply next = node_.get("k");
    ASSERT_EQ(next.cause(), Cause::kOk) << next.error();
    EXPECT_EQ(*next->value, "good");
  }

  FakeMemcached fake_;
  MemcachedNode node_{fake_.address("n1"), test_timeouts()};
};

// ------------------------------------------------------------ the fake itself

TEST_F(FakeMemcachedNodeTest, HealthyFakeAnswersLikeMemcached) {
  EXPECT_EQ(node_.get("k").cause(), Cause::kNotFound);
  ASSERT_EQ(node_.set("k", "value", 60).cause(), Cause::kOk);
  StoreReply got = node_.get("k");
  ASSERT_EQ(got.cause(), Cause::kOk) << got.error();
  EXPECT_EQ(*got->value, "value");
  EXPECT_EQ(node_.touch("k", 60).cause(), Cause::kOk);
  EXPECT_EQ(node_.remove("k").cause(), Cause::kOk);
  EXPECT_EQ(node_.remove("k").cause(), Cause::kNotFound);
  EXPECT_EQ(node_.touch("k", 60).cause(), Cause::kNotFound);
  EXPECT_EQ(fake_.connections_accepted(), 1u);  // one connection, kept across operations
  EXPECT_EQ(fake_.item_commands().size(), 7u);
}

TEST_F(FakeMemcachedNodeTest, EmptyValueIsAHitNotAMiss) {
  fake_.put("k", "");
  StoreReply got = node_.get("k");
  ASSERT_EQ(got.cause(), Cause::kOk) << got.error();
  EXPECT_EQ(*got->value, "");
}

// ------------------------------------------------------------ garbage to a get

struct BadReply {
  const char* name;
  std::string bytes;
};

void PrintTo(const BadReply& reply, std::ostream* out) { *out << reply.name; }

std::string operator""_bytes(const char* text, std::size_t size) { return {text, size}; }

// Every reply here is wrong for "get k": none may be read as a hit or a miss.
std::vector<BadReply> bad_replies_to_get() {
  return {
      {"garbage_line", "HELLO GARBAGE\r\n"},
      {"binary_bytes", "\x00\x01\xff\xfe\x80\r\n"_bytes},
      {"ERROR", "ERROR\r\n"},
      {"SERVER_ERROR_out_of_memory", "SERVER_ERROR out of memory writing get response\r\n"},
      {"SERVER_ERROR", "SERVER_ERROR something broke\r\n"},
      {"CLIENT_ERROR", "CLIENT_ERROR bad command line format\r\n"},
      {"STORED", "STORED\r\n"},
      {"DELETED", "DELETED\r\n"},
      {"TOUCHED", "TOUCHED\r\n"},
      {"OK", "OK\r\n"},
      {"VERSION", "VERSION 1.6.18\r\n"},
      {"EXISTS", "EXISTS\r\n"},
      {"NOT_STORED", "NOT_STORED\r\n"},
      {"STAT", "STAT pid 1\r\nEND\r\n"},
      {"number", "42\r\n"},
      {"HD", "HD\r\n"},
      {"HD_with_token", "HD c1\r\n"},
      {"NF", "NF\r\n"},
      {"NS", "NS\r\n"},
      {"EX", "EX\r\n"},
      {"MN", "MN\r\n"},
      {"END", "END\r\n"},
      {"miss_of_another_key", "EN kother\r\n"},
      // The classic protocol's value: not an answer to "mg".
      {"classic_value", "VALUE k 0 5\r\nhello\r\nEND\r\n"},
      {"classic_value_length_2pow64_minus_1", "VALUE k 0 18446744073709551615\r\nhello\r\nEND\r\n"},
      {"value_length_not_a_number", "VA abc kk c1\r\nhello\r\n"},
      {"value_header_without_length", "VA kk c1\r\n"},
      {"value_without_flags", "VA 5\r\nhello\r\n"},
      {"value_without_token", "VA 5 kk\r\nhello\r\n"},
      {"value_without_key", "VA 5 c1\r\nhello\r\n"},
      {"value_with_a_flag_not_asked_for", "VA 5 kk c1 t60\r\nhello\r\n"},
      {"value_length_negative", "VA -5 kk c1\r\nhello\r\n"},
      {"value_length_2pow64_minus_1", "VA 18446744073709551615 kk c1\r\nhello\r\n"},
      {"value_length_2pow64_minus_2", "VA 18446744073709551614 kk c1\r\nhello\r\n"},
      {"value_length_2pow63", "VA 9223372036854775808 kk c1\r\nhello\r\n"},
      {"value_length_over_1_GiB", "VA 1073741825 kk c1\r\nhello\r\n"},
      {"value_length_over_the_item_size_limit", "VA 1048577 kk c1\r\nhello\r\n"},
      {"value_length_overflows", "VA 99999999999999999999999 kk c1\r\nhello\r\n"},
      {"value_without_crlf", "VA 5 kk c1\r\nhelloEN\r\n"},
      {"value_then_garbage", "VA 5 kk c1\r\nhello\r\nGARBAGE\r\n"},
      {"value_then_second_value", "VA 5 kk c1\r\nhello\r\nVA 5 kk c1\r\nworld\r\n"},
      {"value_then_miss", "VA 5 kk c1\r\nhello\r\nEN\r\n"},
      {"line_longer_than_any_reply", std::string(100000, 'x') + "\r\n"},
      {"valid_start_longer_than_any_reply", "VA 5 kk c1" + std::string(100000, '1') + "\r\n"},
  };
}

class GarbageReplyToGet : public ::testing::TestWithParam<BadReply> {};

TEST_P(GarbageReplyToGet, IsAFailureThenAFreshConnectionWorks) {
  FakeMemcached fake;
  MemcachedNode node(fake.address("n1"), test_timeouts());
  fake.push(Action::reply(GetParam().bytes));
  const auto start = SteadyClock::now();
  StoreReply got = node.get("k");
  const double took = seconds_since(start);
  EXPECT_TRUE(is_failure(got.cause())) << GetParam().name << ": " << name_of(got.cause());
  EXPECT_FALSE((got.ok() && got->value.has_value()));
  EXPECT_FALSE(got.error().empty());
  EXPECT_LT(took, kDeadline);
  EXPECT_EQ(fake.item_commands().size(), 1u);  // a fresh connection is not retried

  // The connection that carried the garbage is closed; the next get (healthy
  // reply) works on a new one.
  EXPECT_TRUE(wait_open_connections(fake, 0)) << "connection kept after " << GetParam().name;
  fake.put("k", "good");
  StoreReply next = node.get("k");
  ASSERT_EQ(next.cause(), Cause::kOk) << GetParam().name << ": " << next.error();
  EXPECT_EQ(*next->value, "good");
  EXPECT_EQ(fake.connections_accepted(), 2u);
}

INSTANTIATE_TEST_SUITE_P(FakeMemcached, GarbageReplyToGet,
                         ::testing::ValuesIn(bad_replies_to_get()),
                         [](const auto& info) { return std::string(info.param.name); });

// A kept-alive connection that carries garbage is retried once on a fresh
// connection (as after a restart); garbage there too is a failure.
TEST_F(FakeMemcachedNodeTest, GarbageOnAReusedConnectionIsRetriedOnceThenFails) {
  ASSERT_EQ(node_.get("warm").cause(), Cause::kNotFound);
  fake_.push(Action::reply("HELLO GARBAGE\r\n"));
  fake_.push(Action::reply("ERROR\r\n"));
  StoreReply got = node_.get("k");
  EXPECT_TRUE(node_failed(got.cause())) << name_of(got.cause());
  EXPECT_EQ(got.cause(), Cause::kBadReply) << name_of(got.cause()) << ": " << got.error();
  EXPECT_EQ(fake_.item_commands().size(), 3u);  // warm-up, first try, one retry
  EXPECT_EQ(fake_.connections_accepted(), 2u);

  expect_next_get_is_a_hit();
}

// ------------------------------------------------------------ another key's value

TEST_F(FakeMemcachedNodeTest, ValueForAnotherKeyIsNeverReturned) {
  fake_.push(Action::reply("VA 6 ksess.victim c1\r\nsecret\r\n"));
  StoreReply got = node_.get("sess.mine");
  // The stream is out of step: a bad reply (the connection is dropped).
  EXPECT_EQ(got.cause(), Cause::kBadReply) << name_of(got.cause());
  EXPECT_TRUE(node_failed(got.cause()));
  EXPECT_FALSE((got.ok() && got->value.has_value()));
  EXPECT_NE(got.error().find("another key"), std::string::npos) << got.error();
}

TEST_F(FakeMemcachedNodeTest, ValueForAnotherKeyOnAReusedConnectionIsRetriedNeverReturned) {
  ASSERT_EQ(node_.get("warm").cause(), Cause::kNotFound);
  fake_.push(Action::reply("VA 6 ksess.victim c1\r\nsecret\r\n"));
  StoreReply got = node_.get("sess.mine");
  // The retry on a fresh connection gets the healthy answer: not there.
  EXPECT_EQ(got.cause(), Cause::kNotFound) << name_of(got.cause()) << " " << got.error();
  EXPECT_FALSE((got.ok() && got->value.has_value()));
  EXPECT_EQ(fake_.connections_accepted(), 2u);
}

TEST_F(FakeMemcachedNodeTest, KeyThatOnlyStartsLikeOursIsAnotherKey) {
  fake_.push(Action::reply("VA 6 ksess.mine2 c1\r\nsecret\r\n"));
  StoreReply got = node_.get("sess.mine");
  EXPECT_EQ(got.cause(), Cause::kBadReply) << name_of(got.cause()) << ": " << got.error();
  EXPECT_FALSE((got.ok() && got->value.has_value()));
  fake_.push(Action::reply("VA 6 ksess.min c1\r\nsecret\r\n"));
  got = node_.get("sess.mine");
  EXPECT_EQ(got.cause(), Cause::kBadReply) << name_of(got.cause()) << ": " << got.error();
  EXPECT_FALSE((got.ok() && got->value.has_value()));
}

TEST_F(FakeMemcachedNodeTest, AnotherKeyBeforeOursIsRefusedAsAWhole) {
  fake_.push(Action::reply("VA 6 ksess.victim c1\r\nsecret\r\nVA 4 ksess.mine c2\r\nmine\r\n"));
  StoreReply got = node_.get("sess.mine");
  EXPECT_EQ(got.cause(), Cause::kBadReply) << name_of(got.cause()) << ": " << got.error();
  EXPECT_FALSE((got.ok() && got->value.has_value()));
}

TEST_F(FakeMemcachedNodeTest, AnotherKeyAfterOursIsRefusedAsAWhole) {
  fake_.push(Action::reply("VA 4 ksess.mine c1\r\nmine\r\nVA 6 ksess.victim c2\r\nsecret\r\n"));
  StoreReply got = node_.get("sess.mine");
  EXPECT_EQ(got.cause(), Cause::kBadReply) << name_of(got.cause()) << ": " << got.error();
  EXPECT_FALSE((got.ok() && got->value.has_value()));
}

// A late reply (a valid one for the key asked next) arrives after the timeout:
// the connection it comes on was dropped, so it never answers the next request.
TEST_F(FakeMemcachedNodeTest, LateReplyNeverAnswersTheNextRequest) {
  fake_.push(Action::delayed("VA 5 ksecond c1\r\nstale\r\n", kIoTimeout + 150ms));
  EXPECT_EQ(node_.get("first").cause(), Cause::kTimeout);
  std::this_thread::sleep_for(300ms);  // the late reply has been sent by now
  fake_.put("second", "fresh");
  StoreReply got = node_.get("second");
  ASSERT_EQ(got.cause(), Cause::kOk) << got.error();
  EXPECT_EQ(*got->value, "fresh");
}

// ------------------------------------------------------------ truncated replies

// The server closes the connection in the middle of a value.
TEST_F(FakeMemcachedNodeTest, TruncatedValueThenCloseFails) {
  fake_.push(Action::reply_then_close("VA 100 kk c1\r\nonly ten b"));
  const StoreReply got = node_.get("k");
  EXPECT_EQ(got.cause(), Cause::kDown) << name_of(got.cause());
  EXPECT_EQ(got.error(), "connection closed by the server in the middle of a reply");
  EXPECT_FALSE((got.ok() && got->value.has_value()));
  expect_next_get_is_a_hit();
}

TEST_F(FakeMemcachedNodeTest, TruncatedValueThenSilenceFailsWithinTheIoTimeout) {
  fake_.push(Action::reply("VA 100 kk c1\r\nonly ten b"));
  expect_get_fails_within_deadline(Cause::kTimeout);
  expect_next_get_is_a_hit();
  EXPECT_EQ(fake_.connections_accepted(), 2u);
}

TEST_F(FakeMemcachedNodeTest, CompleteValueWithoutItsCrlfIsNotTrusted) {
  fake_.push(Action::reply("VA 5 kk c1\r\nhello"));  // no CRLF after the value, then silence
  expect_get_fails_within_deadline(Cause::kTimeout);
}

TEST_F(FakeMemcachedNodeTest, ConnectionClosedWithoutAReplyFails) {
  fake_.push(Action::close());
  StoreReply got = node_.get("k");
  EXPECT_EQ(got.cause(), Cause::kDown) << name_of(got.cause()) << ": " << got.error();
  fake_.put("k", "good");
  EXPECT_EQ(node_.get("k").cause(), Cause::kOk);
}

// ------------------------------------------------------------ no reply at all

TEST_F(FakeMemcachedNodeTest, HangingReplyFailsEveryOperationWithinTheIoTimeout) {
  struct Operation {
    const char* name;
    std::function<StoreReply()> run;
  };
  const std::vector<Operation> operations = {
      {"get", [&] { return node_.get("k"); }},
      {"set", [&] { return node_.set("k", "v", 60); }},
      {"touch", [&] { return node_.touch("k", 60); }},
      {"delete", [&] { return node_.remove("k"); }},
      {"add", [&] { return node_.add("k", "v", 60); }},
      {"cas", [&] { return node_.cas("k", "v", 60, 1); }},
      {"append", [&] { return node_.append("k", "v"); }},
  };
  for (const auto& operation : operations) {
    fake_.push(Action::hang());
    const auto start = SteadyClock::now();
    StoreReply result = operation.run();
    const double took = seconds_since(start);
    EXPECT_EQ(result.cause(), Cause::kTimeout) << operation.name << ": " << name_of(result.cause());
    EXPECT_LT(took, kDeadline) << operation.name;
    EXPECT_GT(took, 0.1) << operation.name << " did not wait for the reply at all";
  }
  // One new connection per failure; every hung one was dropped by the client.
  EXPECT_TRUE(wait_open_connections(fake_, 0));
  EXPECT_EQ(fake_.connections_accepted(), operations.size());
  expect_next_get_is_a_hit();
}

TEST_F(FakeMemcachedNodeTest, HangOnAReusedConnectionIsNotRetried) {
  ASSERT_EQ(node_.get("warm").cause(), Cause::kNotFound);
  fake_.push(Action::hang());
  fake_.push(Action::hang());
  const auto start = SteadyClock::now();
  EXPECT_EQ(node_.get("k").cause(), Cause::kTimeout);
  EXPECT_LT(seconds_since(start), kDeadline);  // one io_timeout, not two
  EXPECT_EQ(fake_.item_commands().size(), 2u);
}

// ------------------------------------------------------------ wrong replies to writes

TEST_F(FakeMemcachedNodeTest, WrongRepliesToSetAreNeverStored) {
  // Each reply as a set ("ms") reads it (Cause): memcached's refusals, and
  // anything else a bad reply.
  const std::vector<std::pair<const char*, Cause>> replies = {
      {"HELLO GARBAGE\r\n", Cause::kBadReply},
      {"ERROR\r\n", Cause::kBadReply},
      {"SERVER_ERROR out of memory storing object\r\n", Cause::kOutOfMemory},
      {"SERVER_ERROR object too large for cache\r\n", Cause::kTooLarge},
      {"SERVER_ERROR busy\r\n", Cause::kRefused},
      {"CLIENT_ERROR bad data chunk\r\n", Cause::kRefused},
      {"NOT_STORED\r\n", Cause::kBadReply},
      {"EXISTS\r\n", Cause::kBadReply},
      {"NOT_FOUND\r\n", Cause::kBadReply},
      {"NS\r\n", Cause::kBadReply},
  };
  for (const auto& [reply, expected] : replies) {
    fake_.push(Action::reply(reply));
    StoreReply set = node_.set("k", "v", 60);
    EXPECT_NE(set.cause(), Cause::kOk) << "set answered with " << reply;
    EXPECT_EQ(set.cause(), expected) << "set answered with " << reply << ": "
                                     << name_of(set.cause()) << " (" << set.error() << ")";
  }
  // Cut short: the kept-alive connection is retried once, on a fresh one.
  ASSERT_EQ(node_.set("k", "v", 60).cause(), Cause::kOk);
  fake_.push(Action::reply_then_close("H"));
  fake_.push(Action::reply_then_close("H"));
  const StoreReply cut = node_.set("k", "v", 60);
  EXPECT_TRUE(node_failed(cut.cause())) << name_of(cut.cause());
  EXPECT_EQ(cut.cause(), Cause::kDown) << name_of(cut.cause()) << ": " << cut.error();
  EXPECT_EQ(node_.set("k", "v", 60).cause(), Cause::kOk);  // healthy again
}

TEST_F(FakeMemcachedNodeTest, WrongRepliesToTouchAreNotSuccess) {
  for (const char* reply :
       {"HELLO GARBAGE\r\n", "ERROR\r\n", "STORED\r\n", "DELETED\r\n", "END\r\n",
        "VALUE k 0 5\r\nhello\r\nEND\r\n", "SERVER_ERROR out of memory\r\n"}) {
    fake_.push(Action::reply(reply));
    StoreReply touched = node_.touch("k", 60);
    EXPECT_TRUE(is_failure(touched.cause()))
        << "touch answered with " << reply << ": " << name_of(touched.cause());
  }
  fake_.put("k", "v");
  EXPECT_EQ(node_.touch("k", 60).cause(), Cause::kOk);
}

TEST_F(FakeMemcachedNodeTest, WrongRepliesToDeleteAreNotSuccess) {
  for (const char* reply : {"HELLO GARBAGE\r\n", "ERROR\r\n", "STORED\r\n", "END\r\n",
                            "VALUE k 0 5\r\nhello\r\nEND\r\n", "SERVER_ERROR busy\r\n"}) {
    fake_.push(Action::reply(reply));
    StoreReply removed = node_.remove("k");
    EXPECT_TRUE(is_failure(removed.cause()))
        << "delete answered with " << reply << ": " << name_of(removed.cause());
  }
  fake_.put("k", "v");
  EXPECT_EQ(node_.remove("k").cause(), Cause::kOk);
}

// ------------------------------------------------------------ announced lengths

// A value's announced length is refused from its header alone: nothing waits
// for (or allocates) the bytes it promises.
TEST_F(FakeMemcachedNodeTest, HugeAnnouncedLengthIsRefusedAtOnce) {
  for (const char* header : {"VA 18446744073709551614 kk c1\r\n", "VA 1073741825 kk c1\r\n",
                             "VA 1048577 kk c1\r\n"}) {  // the fake's item_size_max is 1 MiB
    fake_.push(Action::reply(header));                   // and then silence: no value follows
    const std::int64_t start = system_clock().monotonic_ms();
    const StoreReply got = node_.get("k");
    EXPECT_EQ(got.cause(), Cause::kBadReply) << header << got.error();
    EXPECT_NE(got.error().find("announced a value of"), std::string::npos) << got.error();
    EXPECT_FALSE((got.ok() && got->value.has_value()));
    // Well before io_timeout: the header alone decided.
    EXPECT_LT(system_clock().monotonic_ms() - start, kIoTimeout.count()) << header;
  }
  expect_next_get_is_a_hit();
}

// ------------------------------------------------------------ every other command's reply

// Each store, touch and delete answered with every other command's reply (and
// garbage): only its own replies read as what they say; everything else is a bad
// reply and drops the connection. Each case on a fresh fake and node, so that no
// retry on a new connection hides the reply.
TEST(FakeMemcachedWrongReplies, EachCommandReadsOnlyItsOwnReplies) {
  struct Operation {
    const char* name;
    std::function<StoreReply(MemcachedNode&)> run;
    std::vector<std::pair<std::string, Cause>> own;  // its replies and what they mean
  };
  const std::vector<Operation> operations = {
      {"set", [](MemcachedNode& node) { return node.set("k", "v", 60); }, {{"HD\r\n", Cause::kOk}}},
      {"append",
       [](MemcachedNode& node) { return node.append("k", "v"); },
       {{"STORED\r\n", Cause::kOk}, {"NOT_STORED\r\n", Cause::kNotStored}}},
      {"add",
       [](MemcachedNode& node) { return node.add("k", "v", 60); },
       {{"STORED\r\n", Cause::kOk}, {"NOT_STORED\r\n", Cause::kNotStored}}},
      {"touch",
       [](MemcachedNode& node) { return node.touch("k", 60); },
       {{"HD\r\n", Cause::kOk}, {"EN\r\n", Cause::kNotFound}}},
      {"delete",
       [](MemcachedNode& node) { return node.remove("k"); },
       {{"HD\r\n", Cause::kOk}, {"NF\r\n", Cause::kNotFound}}},
  };
  const std::vector<std::string> replies = {
      "DELETED\r\n",
      "VALUE k 0 1\r\nx\r\nEND\r\n",
      "VALUE k 0 1 7\r\nx\r\nEND\r\n",
      "VA 1 kk c1\r\nx\r\n",
      "HD\r\n",
      "HD c7\r\n",
      "EN\r\n",
      "NF\r\n",
      "NS\r\n",
      "EX\r\n",
      "MN\r\n",
      "STORED\r\n",
      "NOT_STORED\r\n",
      "EXISTS\r\n",
      "NOT_FOUND\r\n",
      "TOUCHED\r\n",
      "END\r\n",
      "OK\r\n",
      "VERSION 1.6.18\r\n",
      "STAT pid 1\r\nEND\r\n",
      "HELLO GARBAGE\r\n",
      "\x00\xff\r\n"_bytes,
  };
  for (const Operation& operation : operations) {
    for (const std::string& reply : replies) {
      FakeMemcached fake;
      MemcachedNode node(fake.address("n1"), test_timeouts());
      fake.push(Action::reply(reply));
      const StoreReply result = operation.run(node);
      const auto own = std::find_if(operation.own.begin(), operation.own.end(),
                                    [&](const auto& entry) { return entry.first == reply; });
      const Cause expected = own != operation.own.end() ? own->second : Cause::kBadReply;
      EXPECT_EQ(result.cause(), expected)
          << operation.name << " answered " << quote_reply(reply) << ": " << name_of(result.cause())
          << " (" << result.error() << ")";
      EXPECT_EQ(fake.item_commands().size(), 1u) << operation.name << " " << quote_reply(reply);
      if (expected == Cause::kBadReply) {
        EXPECT_TRUE(wait_open_connections(fake, 0)) << operation.name << " " << quote_reply(reply);
      }
    }
  }
}

// ------------------------------------------------------------ trickled replies

// A reply that comes one byte every 50 ms holds a call no longer than io_timeout:
// the call is cut then (the reply would take seconds), and the connection dropped.
// Measured on the clock the node runs on.
class FakeMemcachedTrickleTest : public ::testing::Test {
 protected:
  static constexpr std::int64_t kSmallMarginMs = 250;

  void expect_cut_at_io_timeout(const std::string& reply,
                                const std::function<StoreReply()>& operation) {
    ASSERT_EQ(node_.ping().cause(), Cause::kOk);  // connected: only the call is measured
    fake_.push(Action::trickle(reply, 50ms));
    const std::int64_t start = clock_.monotonic_ms();
    const StoreReply result = operation();
    const std::int64_t took = clock_.monotonic_ms() - start;
    EXPECT_EQ(result.cause(), Cause::kTimeout) << name_of(result.cause()) << ": " << result.error();
    EXPECT_EQ(result.error(), "no complete reply within clustered_session.io_timeout (250 ms)");
    EXPECT_LE(took, kIoTimeout.count() + kSmallMarginMs);
    EXPECT_TRUE(wait_open_connections(fake_, 0));
    expect_healthy_afterwards();
  }
  void expect_healthy_afterwards() {
    fake_.put("k", "good");
    StoreReply next = node_.get("k");
    ASSERT_EQ(next.cause(), Cause::kOk) << next.error();
    EXPECT_EQ(*next->value, "good");
  }

  SystemClock clock_;
  FakeMemcached fake_;
  MemcachedNode node_{fake_.address("n1"), test_timeouts(), clock_};
};

TEST_F(FakeMemcachedTrickleTest, GetIsCutAtIoTimeout) {
  // 55 bytes: 2.75 s at this pace, every byte a valid start of the reply.
  const std::string value(40, 'v');
  expect_cut_at_io_timeout("VA 40 kk c1\r\n" + value + "\r\n", [&] { return node_.get("k"); });
}

TEST_F(FakeMemcachedTrickleTest, SetIsCutAtIoTimeout) {
  expect_cut_at_io_timeout("SERVER_ERROR out of memory storing object\r\n",
                           [&] { return node_.set("k", "v", 60); });
}

// A node whose clock does not move (a test's stopped clock, libfaketime in the
// phpt tests) still ends a call that gets no answer: a poll that waited out what
// was left of the deadline is the deadline passed. It waited forever before (the
// deadline was only ever read from the clock), holding the worker.
TEST(FakeMemcachedStoppedClock, SilentNodeTimesOutThoughTheClockStands) {
  testing::ManualClock stopped;  // never advanced
  FakeMemcached fake;
  MemcachedNode node(fake.address("n1"), test_timeouts(), stopped);
  ASSERT_EQ(node.ping().cause(), Cause::kOk);
  fake.push(Action::hang());
  const auto start = SteadyClock::now();
  const StoreReply got = node.get("k");
  EXPECT_EQ(got.cause(), Cause::kTimeout) << name_of(got.cause()) << ": " << got.error();
  EXPECT_LT(seconds_since(start), kDeadline);
}

// ------------------------------------------------------------ CAS tokens

// A token of 0 on a stored item is a server without CAS tokens (memcached -C),
// even when "stats settings" said otherwise: conditional writes are refused from
// then on without being sent.
TEST_F(FakeMemcachedNodeTest, ZeroTokenMarksTheServerCasLess) {
  ASSERT_EQ(node_.ping().cause(), Cause::kOk);
  EXPECT_EQ(node_.cas_supported(), true);  // the fake's "stats settings": cas_enabled yes
  fake_.push(Action::reply("VA 5 kk c0\r\nhello\r\n"));
  StoreReply got = node_.get("k");
  ASSERT_EQ(got.cause(), Cause::kOk) << got.error();  // a read still works
  EXPECT_EQ(*got->value, "hello");
  EXPECT_EQ(node_.cas_supported(), false);
  const std::size_t sent = fake_.item_commands().size();
  EXPECT_EQ(node_.set_checked("k", "v", 60, 0).cause(), Cause::kNoCas);
  EXPECT_EQ(node_.cas("k", "v", 60, 5).cause(), Cause::kNoCas);
  EXPECT_EQ(fake_.item_commands().size(), sent);  // neither was sent
  EXPECT_EQ(node_.set("k", "v", 60).cause(), Cause::kOk);
}

TEST_F(FakeMemcachedNodeTest, StoredWithATokenOfZeroIsNoCas) {
  fake_.push(Action::reply("HD c0\r\n"));
  StoreReply stored = node_.set_checked("k", "v", 60, 0);
  EXPECT_EQ(stored.cause(), Cause::kNoCas) << stored.error();
  EXPECT_FALSE(node_failed(stored.cause()));
  EXPECT_NE(stored.error().find("stored without one"), std::string::npos) << stored.error();
  EXPECT_EQ(node_.cas_supported(), false);
}

// A new connection learns again what its server says (a restart may change it).
TEST_F(FakeMemcachedNodeTest, ConnectionsCountsReconnects) {
  EXPECT_EQ(node_.connections(), 0u);
  ASSERT_EQ(node_.get("k").cause(), Cause::kNotFound);
  EXPECT_EQ(node_.connections(), 1u);
  fake_.push(Action::reply("HELLO GARBAGE\r\n"));
  fake_.push(Action::reply("HELLO GARBAGE\r\n"));
  EXPECT_EQ(node_.get("k").cause(), Cause::kBadReply);  // and its one retry
  EXPECT_EQ(node_.connections(), 2u);
  EXPECT_EQ(node_.get("k").cause(), Cause::kNotFound);
  EXPECT_EQ(node_.connections(), 3u);
  EXPECT_EQ(fake_.connections_accepted(), 3u);
}

// ------------------------------------------------------------ RemoteStore

class FakeRemoteStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<RemoteStore> make_store(std::size_t count, unsigned replicas = 0,
                                          std::int64_t retry_ms = 2000) {
    while (fakes_.size() < count) fakes_.push_back(std::make_unique<FakeMemcached>());
    std::vector<NodeAddress> nodes;
    for (std::size_t i = 0; i < count; ++i) {
      nodes.push_back(fakes_[i]->address("n" + std::to_string(i + 1)));
    }
    RemoteOptions options;
    options.retry_interval_ms = retry_ms;
    options.replicas = replicas;
    return std::make_unique<RemoteStore>(memcached_nodes(std::move(nodes), test_timeouts()),
                                         options, &health_, counters_, system_clock(),
                                         system_entropy());
  }
  FakeMemcached& fake(std::size_t index) { return *fakes_[index]; }

  NodeHealthTable health_;
  Counters counters_;
  std::vector<std::unique_ptr<FakeMemcached>> fakes_;
};

TEST_F(FakeRemoteStoreTest, ErrorRepliesAreAFailedReadNeverAMiss) {
  auto store = make_store(1, 0, /*retry_ms=*/1);
  for (const char* reply :
       {"HELLO GARBAGE\r\n", "ERROR\r\n", "SERVER_ERROR out of memory writing get response\r\n",
        "STORED\r\n", "VALUE sess.k 0 3\r\nabc\r\n"}) {
    std::this_thread::sleep_for(5ms);  // past the 1 ms retry interval
    fake(0).push(Action::reply(reply));
    const auto read = store->read(0, "sess.k");
    ASSERT_FALSE(read.ok()) << "read answered with " << reply << " as "
                            << (read->has_value() ? "a copy" : "missing");
    EXPECT_NE(read.failure().cause, Cause::kNotFound) << "read answered with " << reply;
    EXPECT_NE(read.error().find("memcached node n1"), std::string::npos) << read.error();
  }
}

TEST_F(FakeRemoteStoreTest, AnotherKeysValueIsAFailedReadNotThatSession) {
  auto store = make_store(1);
  const std::string victim = encode_value(7, "user|s:5:\"alice\";");
  fake(0).push(Action::reply("VA " + std::to_string(victim.size()) + " ksess.victim c1\r\n" +
                             victim + "\r\n"));
  const auto read = store->read(0, "sess.mine");
  ASSERT_FALSE(read.ok()) << (read->has_value() ? (*read)->value.payload : "missing");
  EXPECT_EQ(read.failure().cause, Cause::kBadReply) << read.error();
  EXPECT_EQ(read.error().find("alice"), std::string::npos) << read.error();
  EXPECT_FALSE(store->is_up(0));  // a node that answers for other keys is not trusted
}

TEST_F(FakeRemoteStoreTest, HangingNodeFailsWithinTheIoTimeoutAndIsSkippedUntilRetry) {
  auto store = make_store(1, 0, /*retry_ms=*/300);
  fake(0).put("sess.k", encode_value(3, "data"));
  fake(0).push(Action::hang());
  auto start = SteadyClock::now();
  auto read = store->read(0, "sess.k");
  EXPECT_LT(seconds_since(start), kDeadline);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.failure().cause, Cause::kTimeout) << read.error();
  EXPECT_FALSE(store->is_up(0));
  EXPECT_EQ(store->failures(0), 1u);

  // Marked down: the next read does not even ask the node.
  const std::size_t asked = fake(0).item_commands().size();
  start = SteadyClock::now();
  read = store->read(0, "sess.k");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.failure().cause, Cause::kDown) << read.error();
  EXPECT_NE(read.error().find("marked down"), std::string::npos) << read.error();
  EXPECT_LT(seconds_since(start), 0.05);
  EXPECT_EQ(fake(0).item_commands().size(), asked);

  // After the retry interval: a fresh connection, a healthy answer.
  std::this_thread::sleep_for(350ms);
  read = store->read(0, "sess.k");
  ASSERT_TRUE(read.ok()) << read.error();
  ASSERT_TRUE(read->has_value());
  EXPECT_EQ((*read)->value.payload, "data");
  EXPECT_TRUE(store->is_up(0));
  EXPECT_EQ(fake(0).connections_accepted(), 2u);
}

TEST_F(FakeRemoteStoreTest, GarbageOnThePrimaryFallsBackToTheReplica) {
  auto store = make_store(2, /*replicas=*/1);
  fake(1).put("sess.k", encode_value(5, "from the replica"));
  fake(0).push(Action::reply("HELLO GARBAGE\r\n"));
  const auto read = store->read(0, "sess.k");
  ASSERT_TRUE(read.ok()) << read.error();
  ASSERT_TRUE(read->has_value());
  EXPECT_EQ((*read)->value.payload, "from the replica");
  EXPECT_EQ((*read)->node, 1u);
}

TEST_F(FakeRemoteStoreTest, AnotherKeyOnThePrimaryNeverBeatsTheReplica) {
  auto store = make_store(2, /*replicas=*/1);
  const std::string victim = encode_value(999, "victim data, newer version");
  fake(0).push(Action::reply("VA " + std::to_string(victim.size()) + " ksess.victim c1\r\n" +
                             victim + "\r\n"));
  fake(1).put("sess.k", encode_value(5, "mine"));
  const auto read = store->read(0, "sess.k");
  ASSERT_TRUE(read.ok()) << read.error();
  ASSERT_TRUE(read->has_value());
  EXPECT_EQ((*read)->value.payload, "mine");
  EXPECT_EQ((*read)->node, 1u);
}

TEST_F(FakeRemoteStoreTest, WriteToAHangingNodeIsNotStoredAndReturnsInTime) {
  auto store = make_store(1);
  fake(0).push(Action::hang());
  const auto start = SteadyClock::now();
  const auto written = store->write(0, "sess.k", 1, "data", 60);
  EXPECT_LT(seconds_since(start), kDeadline);
  ASSERT_FALSE(written.ok());
  // A timeout, not "too large": the caller must not give up on the value.
  EXPECT_EQ(written.failure().cause, Cause::kTimeout) << written.error();
  EXPECT_FALSE(written.error().empty());
}

TEST_F(FakeRemoteStoreTest, TouchAnsweredWithGarbageIsAFailure) {
  auto store = make_store(1);
  fake(0).push(Action::reply("HELLO GARBAGE\r\n"));
  const auto touched = store->touch(0, "sess.k", 60);
  ASSERT_FALSE(touched.ok()) << "touch answered with garbage read as "
                             << (*touched ? "touched" : "gone");
  EXPECT_TRUE(node_failed(touched.failure().cause)) << touched.error();
  EXPECT_FALSE(touched.error().empty());
}

// ------------------------------------------------------------ SessionHandler

// Regression: memcached_get() took "SERVER_ERROR out of memory writing get
// response" (which a real memcached sends under memory pressure) and garbage for
// "not found"; the session then started empty and its first write replaced the
// real one. A read that cannot be answered must fail session_start().
class FakeSessionHandlerTest : public ::testing::TestWithParam<bool> {};

TEST_P(FakeSessionHandlerTest, ErrorReplyFailsTheReadInsteadOfStartingEmpty) {
  const bool strict = GetParam();
  FakeMemcached fake;
  HandlerConfig config;
  config.route = "web1";
  config.strict_mode = strict;
  config.io_timeout = kIoTimeout;
  config.retry_interval_ms = 100;
  auto made = make_memcached_handler(config, {fake.address("n1")}, nullptr);
  SessionHandler& handler = *made;
  const std::string id = "0123456789abcdef0123456789abcdef-n1.web1";
  for (const char* reply :
       {"SERVER_ERROR out of memory writing get response\r\n", "HELLO GARBAGE\r\n"}) {
    fake.put("sess." + id, encode_value(9, "user|s:5:\"alice\";"));
    fake.push(Action::reply(reply));
    ASSERT_TRUE(handler.open().ok());
    if (strict) {
      // Kept (not replaced by a fresh, empty session): read() reports the failure.
      EXPECT_TRUE(handler.validate_sid(id)) << reply;
    }
    auto read = handler.read(id);
    EXPECT_FALSE(read.ok()) << reply << " read as "
                            << (read.ok() ? "\"" + std::string(*read) + "\"" : "");
    (void)handler.close();
    std::this_thread::sleep_for(config.retry_interval_ms * 1ms + 50ms);  // node retried
  }
  EXPECT_EQ(fake.item_commands().size(), 2u);  // one get each, no set
}

// Regression: a well-formed ID whose key cannot exist (random part of 238..256
// characters, key over 250 bytes) passed validate_sid(), the get was refused by
// libmemcached and session_start() failed on every request carrying it. It is
// refused like any unknown ID, before any network call: a fresh ID.
TEST(FakeSessionHandler, IdTooLongForAKeyIsRefusedWithoutAGet) {
  FakeMemcached fake;
  HandlerConfig config;
  config.route = "web1";
  config.strict_mode = true;
  auto made = make_memcached_handler(config, {fake.address("n1")}, nullptr);
  SessionHandler& handler = *made;
  ASSERT_TRUE(handler.open().ok());
  for (std::size_t length : {238u, 240u, 256u}) {
    const std::string id = std::string(length, 'a') + "-n1.web1";
    EXPECT_FALSE(handler.validate_sid(id)) << length;
  }
  const std::string fits = std::string(237, 'a') + "-n1.web1";  // key of exactly 250 bytes
  EXPECT_FALSE(handler.validate_sid(fits));                     // unknown: one get
  (void)handler.close();
  EXPECT_EQ(fake.item_commands().size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(FakeMemcached, FakeSessionHandlerTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "strict" : "not_strict"; });

// ------------------------------------------------------------ replies that crashed libmemcached
//
// These replies crashed the process inside libmemcached 1.1.4, the client used
// before this one: an assert in memcached_send_ascii() for a set answered with
// any success line but STORED, and a write through a wrapped length for
// "VALUE k 0 18446744073709551614". Each runs in a forked child so a crash could
// not take the test binary with it; the child exits 0 only when the call came
// back as a failure.

// Runs `operation` against a fake answering `reply`, in a child; true when the
// child ran to the end (no crash, no abort) and the call failed.
bool survives(const std::string& reply,
              const std::function<StoreReply(MemcachedNode&)>& operation) {
  const pid_t child = fork();
  if (child == 0) {
    bool failed = false;
    {
      FakeMemcached fake;
      MemcachedNode node(fake.address("n1"), test_timeouts());
      fake.push(Action::reply(reply));
      failed = !operation(node).ok();
    }
    _exit(failed ? 0 : 3);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

TEST(FakeMemcachedFormerLibmemcachedCrash, SetAnsweredWithDeleted) {
  EXPECT_TRUE(survives("DELETED\r\n", [](MemcachedNode& node) { return node.set("k", "v", 60); }));
}

TEST(FakeMemcachedFormerLibmemcachedCrash, SetAnsweredWithAValue) {
  EXPECT_TRUE(survives("VALUE k 0 1\r\nx\r\nEND\r\n",
                       [](MemcachedNode& node) { return node.set("k", "v", 60); }));
}

TEST(FakeMemcachedFormerLibmemcachedCrash, ValueLength2Pow64Minus2) {
  EXPECT_TRUE(survives("VALUE k 0 18446744073709551614\r\nhello\r\nEND\r\n",
                       [](MemcachedNode& node) { return node.get("k"); }));
  EXPECT_TRUE(survives("VA 18446744073709551614 kk c1\r\nhello\r\n",
                       [](MemcachedNode& node) { return node.get("k"); }));
}

}  // namespace
}  // namespace clustered
