// SPDX-License-Identifier: BSD-3-Clause
// Sealed values (docs/design.md, "Sealed values"; SECURITY.md): with
// clustered_session.secret_file, an attacker with full access to every memcached
// node can neither read a session, nor make PHP unserialize data of their
// choosing, nor move a user into another session, nor make a node drop its cache.
// What does not open is absent (counted, one warning per request).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "session/handler_rig.h"
#include "session/takeover_notices.h"

namespace clustered::testing {
namespace {

const std::string kSecret = "a-secret-of-the-test-cluster-0123456789";

class SealedSessionsTest : public ModelHandlerTest {
 protected:
  SealedSessionsTest() { sealer_ = make_sealer(SealMode::kEncrypt, false); }

  static std::shared_ptr<const Sealer> make_sealer(SealMode mode, bool accept_unsealed,
                                                   std::vector<std::string> keys = {kSecret}) {
    auto made = Sealer::with_secrets(std::move(keys), mode, accept_unsealed);
    EXPECT_TRUE(made.ok()) << made.error();
    return *made;
  }
  static std::uint64_t rejected(SessionHandler& handler) {
    return handler.counters().rejected_values.load();
  }
};

TEST_F(SealedSessionsTest, StoredSessionIsEncryptedAndOpensOnAnotherNode) {
  AppNode web1 = make_node(config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string id = new_session(*web1.handler, "user|s:5:\"alice\";");
  const auto raw = server_of(id).peek("sess." + id);
  ASSERT_TRUE(raw.has_value());
  EXPECT_EQ(raw->find("alice"), std::string::npos) << "memcached holds the session in clear";
  const Started taken = session_start(*web2.handler, id);
  ASSERT_TRUE(taken.ok) << taken.error;
  EXPECT_EQ(taken.data, "user|s:5:\"alice\";");
  EXPECT_EQ(rejected(*web2.handler), 0u);
}

TEST_F(SealedSessionsTest, ForgedObjectInjectionValueIsAbsentNeverData) {
  AppNode web1 = make_node(config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string id = new_session(*web1.handler, "user|s:5:\"alice\";");
  // What an attacker writes: our plain header and a serialized object.
  const std::string payload = "x|O:7:\"Exploit\":1:{s:4:\"file\";s:9:\"/tmp/pwnd\";}";
  server_of(id).poke("sess." + id, encode_value(stored_version(id) + 1000, payload), 3600);
  const Started started = session_start(*web2.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_EQ(started.data, "") << "the forged value reached PHP";
  EXPECT_NE(started.id, id) << "strict mode: the ID of an absent session is replaced";
  EXPECT_EQ(rejected(*web2.handler), 1u);
  const auto warnings = web2.handler->take_handled();
  EXPECT_TRUE(has_warning(warnings, "is not sealed")) << ::testing::PrintToString(warnings);
  (void)web2.handler->close();
}

// A copy that does not open on the store node while the replica, which may hold
// the good one, does not answer: the read fails (session_start() warns) instead
// of starting a new, empty session over the user's.
TEST_F(SealedSessionsTest, UnopenedCopyBesideAnUnreachableReplicaFailsTheRead) {
  HandlerConfig with_replica = config("web1");
  with_replica.replicas = 1;
  AppNode web1 = make_node(with_replica);
  const std::string id =
      new_session_on(*web1.handler, n1_, "user|s:5:\"alice\";");  // replica on n2
  HandlerConfig other = with_replica;
  other.route = "web2";
  AppNode web2 = make_node(other);
  n1_.poke("sess." + id, encode_value(stored_version(id) + 1000, "x|i:1;"), 3600);
  n2_.stop();
  const Started started = session_start(*web2.handler, id);
  EXPECT_FALSE(started.ok) << "started " << started.id << " with \"" << started.data << "\"";
  EXPECT_NE(started.error.find("n2"), std::string::npos) << started.error;
  (void)web2.handler->close();
}

TEST_F(SealedSessionsTest, ForgedForwardDoesNotMoveTheVictimIntoTheAttackersSession) {
  AppNode web1 = make_node(config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string victim = new_session(*web1.handler, "user|s:6:\"victim\";");
  const std::string attacker = new_session(*web1.handler, "user|s:8:\"attacker\";");
  // A plain forward, and the attacker's own sealed value copied under the victim's key.
  server_of(victim).poke("sess." + victim, encode_value(1ULL << 60, attacker, kValueFlagForward),
                         3600);
  Started started = session_start(*web2.handler, victim);
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_NE(started.id, attacker);
  EXPECT_EQ(started.data, "");
  (void)web2.handler->close();
  const auto attackers_bytes = server_of(attacker).peek("sess." + attacker);
  ASSERT_TRUE(attackers_bytes.has_value());
  server_of(victim).poke("sess." + victim, *attackers_bytes, 3600);
  started = session_start(*web2.handler, victim);
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_NE(started.data, "user|s:8:\"attacker\";") << "a value moved between keys opened";
  EXPECT_EQ(started.data, "");
  EXPECT_EQ(rejected(*web2.handler), 2u);
  (void)web2.handler->close();
}

TEST_F(SealedSessionsTest, TruncatedOrBitFlippedValueIsAbsent) {
  AppNode web1 = make_node(config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string id = new_session(*web1.handler, "v|i:1;");
  const std::string bytes = *server_of(id).peek("sess." + id);
  for (const std::string& damaged :
       {bytes.substr(0, bytes.size() - 1), bytes.substr(0, 20),
        bytes.substr(0, 30) + static_cast<char>(bytes[30] ^ 1) + bytes.substr(31)}) {
    server_of(id).poke("sess." + id, damaged, 3600);
    const Started started = session_start(*web2.handler, id);
    ASSERT_TRUE(started.ok) << started.error;
    EXPECT_EQ(started.data, "");
    (void)web2.handler->close();
  }
  EXPECT_EQ(rejected(*web2.handler), 3u);
}

TEST_F(SealedSessionsTest, RejectedValuesWarnOncePerRequest) {
  HandlerConfig web1_config = config("web1");
  HandlerConfig web2_config = config("web2");
  web1_config.replicas = web2_config.replicas = 1;
  AppNode web1 = make_node(web1_config);
  AppNode web2 = make_node(web2_config);
  const std::string id = new_session(*web1.handler, "v|i:1;");
  n1_.poke("sess." + id, "forged one", 3600);
  n2_.poke("sess." + id, "forged two", 3600);
  const Started started = session_start(*web2.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_EQ(rejected(*web2.handler), 2u);
  const auto warnings = web2.handler->take_handled();
  std::size_t about_rejects = 0;
  for (const std::string& warning : warnings) {
    if (warning.find("ignored what memcached holds") != std::string::npos) ++about_rejects;
  }
  EXPECT_EQ(about_rejects, 1u) << ::testing::PrintToString(warnings);
  EXPECT_TRUE(has_warning(warnings, "and 1 more")) << ::testing::PrintToString(warnings);
  (void)web2.handler->close();
}

TEST_F(SealedSessionsTest, PoisonedNoticeListDropsNoCachedCopy) {
  AppNode web1 = make_node(checking_config("web1"));
  const std::string a = new_session(*web1.handler, "a|i:1;");
  const std::string b = new_session(*web1.handler, "b|i:1;");
  // "*" (distrust everything), a plain hash of a's key, and garbage.
  const std::string poison = std::string(kNoticeEverything) +
                             notice_line(SessionCache::hash_of("sess." + a)) + "S nonsense\n";
  n1_.poke(notice_key("web1"), notice_list_head(7) + poison, 180);
  n2_.poke(notice_key("web1"), poison, 180);
  clock_.advance_s(1);
  const Started started = session_start(*web1.handler, a);
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_EQ(started.data, "a|i:1;");
  (void)web1.handler->close();
  EXPECT_EQ(web1.handler->counters().takeover_notices.load(), 0u) << "the poison dropped copies";
  EXPECT_TRUE(web1.cache().get("sess." + a, clock_.wall_s()).has_value());
  EXPECT_TRUE(web1.cache().get("sess." + b, clock_.wall_s()).has_value());
  EXPECT_GE(rejected(*web1.handler), 6u);
}

TEST_F(SealedSessionsTest, SealedNoticeOfARealTakeoverStillDropsTheOldCopy) {
  AppNode web1 = make_node(checking_config("web1"));
  AppNode web2 = make_node(config("web2"));
  const std::string id = served_session(*web1.handler, "v|i:1;");
  const Started moved = session_start(*web2.handler, id);
  ASSERT_TRUE(moved.ok) << moved.error;
  ASSERT_TRUE(session_write_close(*web2.handler, moved, "v|i:2;").ok());
  const auto list = n1_.peek(notice_key("web1"));
  ASSERT_TRUE(list.has_value());
  EXPECT_EQ(list->rfind("S ", 0), 0u) << "the list head is not sealed: " << *list;
  clock_.advance_ms(1100);  // past web1's next check
  const Started old_cookie = session_start(*web1.handler, id);
  ASSERT_TRUE(old_cookie.ok) << old_cookie.error;
  EXPECT_EQ(old_cookie.data, "v|i:2;") << "the old owner served its copy of a taken-over session";
  EXPECT_NE(old_cookie.id, id);
  EXPECT_EQ(web1.handler->counters().takeover_notices.load(), 1u);
  (void)web1.handler->close();
  EXPECT_EQ(rejected(*web1.handler), 0u);
}

TEST_F(SealedSessionsTest, PlainSessionsAreReadWhileSwitchingOverAndWrittenSealed) {
  sealer_.reset();
  AppNode plain = make_node(config("web1"));
  const std::string id = new_session(*plain.handler, "v|i:1;");
  sealer_ = make_sealer(SealMode::kEncrypt, true);
  AppNode web2 = make_node(config("web2"));
  const Started started = session_start(*web2.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_EQ(started.data, "v|i:1;");
  ASSERT_TRUE(session_write_close(*web2.handler, started, "v|i:2;").ok());
  const auto raw = server_of(started.id).peek("sess." + started.id);
  ASSERT_TRUE(raw.has_value());
  auto decoded = decode_value(*raw);
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded->sealed, kValueFlagEncrypted);
  EXPECT_EQ(stored_payload(started.id), "v|i:2;");
}

TEST_F(SealedSessionsTest, NodeWithoutTheKeyFailsTheReadRatherThanOverwriteASealedSession) {
  AppNode web1 = make_node(config("web1"));
  const std::string id = new_session(*web1.handler, "v|i:1;");
  sealer_.reset();
  AppNode unsealed = make_node(config("web2"));
  const Started started = session_start(*unsealed.handler, id);
  EXPECT_FALSE(started.ok);
  EXPECT_NE(started.error.find("no clustered_session.secret_file"), std::string::npos)
      << started.error;
  sealer_ = make_sealer(SealMode::kEncrypt, false);
  EXPECT_EQ(stored_payload(id), "v|i:1;");
}

// Replay: the attacker saved an older sealed copy of the session and writes it
// back. It opens (it is genuine), but the owner caches a newer version: it must
// keep its own and write it over the replay, not take the replay as another
// node's newer write (which refused the write and then served the old copy).
TEST_F(SealedSessionsTest, ReplayedOlderSealedCopyIsRefusedByTheNodeThatCachesANewerOne) {
  AppNode web1 = make_node(config("web1"));
  const std::string id = new_session(*web1.handler, "cart|i:1;");
  const std::string old_bytes = *server_of(id).peek("sess." + id);
  Started started = session_start(*web1.handler, id);
  ASSERT_TRUE(session_write_close(*web1.handler, started, "cart|i:2;").ok());
  server_of(id).poke("sess." + id, old_bytes, 3600);  // the replay

  started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_EQ(started.data, "cart|i:2;");
  const Status saved = session_write_close(*web1.handler, started, "cart|i:3;");
  EXPECT_TRUE(saved.ok()) << saved.error();
  const auto warnings = web1.handler->take_handled();
  EXPECT_TRUE(has_warning(warnings, "older than this node's"))
      << ::testing::PrintToString(warnings);
  EXPECT_EQ(rejected(*web1.handler), 1u);
  EXPECT_EQ(stored_payload(id), "cart|i:3;") << "the replayed copy stayed in memcached";
  started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_EQ(started.data, "cart|i:3;") << "the session was rolled back to the replayed copy";
  (void)web1.handler->close();
}

// The same replay while the owner has read no takeover notices for longer than
// the gap: it compares its copy with memcached before serving it, and an older
// version there (versions only grow) is a replay, not another node's write.
TEST_F(SealedSessionsTest, ReplayedOlderSealedCopyIsRefusedByAnOwnerPastTheNoticeGap) {
  AppNode web1 = make_node(checking_config("web1"));
  const std::string id = new_session(*web1.handler, "cart|i:1;");
  const std::string old_bytes = *server_of(id).peek("sess." + id);
  Started started = session_start(*web1.handler, id);
  ASSERT_TRUE(session_write_close(*web1.handler, started, "cart|i:2;").ok());
  server_of(id).poke("sess." + id, old_bytes, 3600);  // the replay
  clock_.advance_s(kNoticeGapSeconds + 10);

  started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_EQ(started.data, "cart|i:2;") << "the session was rolled back to the replayed copy";
  EXPECT_TRUE(session_write_close(*web1.handler, started, started.data).ok());
  EXPECT_EQ(stored_payload(id), "cart|i:2;") << "the replayed copy stayed in memcached";
}

// Garbage written over a session its owner holds: the owner's conditional write
// met another token and was refused as "changed on another node", and the owner
// dropped its valid copy, so the garbage acted as a deletion. What does not open
// is absent: the owner stores its copy over it.
TEST_F(SealedSessionsTest, GarbageOverAnOwnedSessionIsReplacedByTheOwnersWrite) {
  AppNode web1 = make_node(config("web1"));
  const std::string id = served_session(*web1.handler, "cart|i:1;");
  server_of(id).poke("sess." + id, "garbage from outside", 3600);
  Started started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_EQ(started.data, "cart|i:1;");
  const Status saved = session_write_close(*web1.handler, started, "cart|i:2;");
  EXPECT_TRUE(saved.ok()) << saved.error();
  EXPECT_EQ(stored_payload(id), "cart|i:2;");
  EXPECT_EQ(rejected(*web1.handler), 1u);
  EXPECT_EQ(web1.handler->counters().write_conflicts.load(), 0u);
  started = session_start(*web1.handler, id);
  ASSERT_TRUE(started.ok) << started.error;
  EXPECT_EQ(started.data, "cart|i:2;");
  (void)web1.handler->close();
}

// A key rotation (or a switch-over) on a node whose sessions are only read: an
// unchanged request used to touch memcached's copy, which stayed sealed with the
// old key forever, and was lost once that key was removed. A copy sealed
// otherwise than the node now seals is written again at its next request.
TEST_F(SealedSessionsTest, SessionThatIsOnlyReadIsResealedWithTheNewKeyAfterARotation) {
  const std::string key_b = "the-new-key-of-the-test-cluster-abcdefghij";
  AppNode web1 = make_node(config("web1"));
  const std::string id = served_session(*web1.handler, "v|i:1;");
  const std::uint32_t old_key = decode_value(*server_of(id).peek("sess." + id))->key_id;
  // Step 2 of the rotation: the node's new processes seal with B (same segment).
  sealer_ = make_sealer(SealMode::kEncrypt, false, {key_b, kSecret});
  web1.handler.reset();
  web1.handler = process(web1, config("web1"));
  const Started read_only = session_start(*web1.handler, id);
  ASSERT_TRUE(read_only.ok) << read_only.error;
  ASSERT_TRUE(session_write_close(*web1.handler, read_only, read_only.data).ok());
  const std::uint32_t now_sealed_with = decode_value(*server_of(id).peek("sess." + id))->key_id;
  EXPECT_NE(now_sealed_with, old_key) << "an unchanged request left the old key on the copy";
  // Step 3: only B. Another node still opens the session.
  sealer_ = make_sealer(SealMode::kEncrypt, false, {key_b});
  AppNode web2 = make_node(config("web2"));
  const Started taken = session_start(*web2.handler, id);
  ASSERT_TRUE(taken.ok) << taken.error;
  EXPECT_EQ(taken.data, "v|i:1;");
  EXPECT_EQ(rejected(*web2.handler), 0u);
  (void)web2.handler->close();
}

}  // namespace
}  // namespace clustered::testing
