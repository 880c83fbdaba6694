// SPDX-License-Identifier: BSD-3-Clause
// Sealer: what it seals opens only under the same key and header, with a key
// this node holds; notice records only in their list and kind. The value format
// around a sealed payload is the codec's (tests/codec/sealed_values_test.cpp).
#include "seal/sealer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/test_sealers.h"

namespace clustered {
namespace {

using namespace std::string_literals;

using testing::kData;
using testing::kKeyA;
using testing::kKeyB;
using testing::test_sealer;

TEST(Sealer, PayloadOpensOnlyUnderItsKeyAndHeader) {
  const auto s = test_sealer({kKeyA});
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
  const auto s = test_sealer({kKeyA});
  const std::string record = s->seal_record("clustered_session.moved:web1", 'l', "12345678");
  EXPECT_EQ(s->open_record("clustered_session.moved:web1", 'l', record), "12345678");
  EXPECT_FALSE(s->open_record("clustered_session.moved:web2", 'l', record));
  EXPECT_FALSE(s->open_record("clustered_session.moved:web1", 'h', record));
  EXPECT_FALSE(s->open_record("clustered_session.moved:web1", 'l', record.substr(2)));
  EXPECT_FALSE(s->open_record("clustered_session.moved:web1", 'l', "*"));
  EXPECT_FALSE(test_sealer({kKeyB})->open_record("clustered_session.moved:web1", 'l', record));
}

TEST(Sealer, DescriptionSaysWhetherValuesAreSealed) {
  EXPECT_NE(Sealer().description().find("not sealed"), std::string::npos);
  EXPECT_EQ(test_sealer({kKeyA})->description().rfind("encrypt, key ", 0), 0u)
      << test_sealer({kKeyA})->description();
  EXPECT_NE(
      test_sealer({kKeyA, kKeyB}, SealMode::kAuthenticate, true)->description().find("2 keys open"),
      std::string::npos);
}

}  // namespace
}  // namespace clustered
