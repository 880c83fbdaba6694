// SPDX-License-Identifier: BSD-3-Clause
// Sealer: what it seals opens only under the same key and header, with a key
// this node holds; notice records only in their list and kind. The value format
// around a sealed payload is the codec's (tests/codec/sealed_values_test.cpp).
#include "seal/sealer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace clustered {
namespace {

using namespace std::string_literals;

const std::string kKeyA = "first-key-of-the-secret-file-0123456789";
const std::string kKeyB = "second-key-of-the-secret-file-abcdefghij";
const std::string kData = "user|s:5:\"alice\";cart|a:1:{i:0;i:42;}";

std::shared_ptr<const Sealer> sealer(std::vector<std::string> keys,
                                     SealMode mode = SealMode::kEncrypt,
                                     bool accept_unsealed = false) {
  auto made = Sealer::with_secrets(std::move(keys), mode, accept_unsealed);
  EXPECT_TRUE(made.ok()) << made.error();
  return *made;
}

TEST(Sealer, PayloadOpensOnlyUnderItsKeyAndHeader) {
  const auto s = sealer({kKeyA});
  const std::string body = s->seal_payload("sess.k", "header", kData);
  auto opened = s->open_payload("sess.k", s->sealing_key_id(), s->encrypts(), "header", body);
  ASSERT_TRUE(opened.ok()) << opened.error();
  EXPECT_EQ(*opened, kData);
  EXPECT_EQ(s->open_payload("sess.x", s->sealing_key_id(), true, "header", body).cause(),
            Cause::kRejected);
  EXPECT_EQ(s->open_payload("sess.k", s->sealing_key_id(), true, "headex", body).cause(),
            Cause::kRejected);
  EXPECT_EQ(Sealer().open_payload("sess.k", s->sealing_key_id(), true, "header", body).cause(),
            Cause::kUnreadable);
}

TEST(Sealer, NoticeRecordsOpenOnlyInTheirListAndKind) {
  const auto s = sealer({kKeyA});
  const std::string record = s->seal_record("clustered_session.moved:web1", 'l', "12345678");
  EXPECT_EQ(s->open_record("clustered_session.moved:web1", 'l', record), "12345678");
  EXPECT_FALSE(s->open_record("clustered_session.moved:web2", 'l', record));
  EXPECT_FALSE(s->open_record("clustered_session.moved:web1", 'h', record));
  EXPECT_FALSE(s->open_record("clustered_session.moved:web1", 'l', record.substr(2)));
  EXPECT_FALSE(s->open_record("clustered_session.moved:web1", 'l', "*"));
  EXPECT_FALSE(sealer({kKeyB})->open_record("clustered_session.moved:web1", 'l', record));
}

TEST(Sealer, DescriptionSaysWhetherValuesAreSealed) {
  EXPECT_NE(Sealer().description().find("not sealed"), std::string::npos);
  EXPECT_EQ(sealer({kKeyA})->description().rfind("encrypt, key ", 0), 0u)
      << sealer({kKeyA})->description();
  EXPECT_NE(
      sealer({kKeyA, kKeyB}, SealMode::kAuthenticate, true)->description().find("2 keys open"),
      std::string::npos);
}

}  // namespace
}  // namespace clustered
