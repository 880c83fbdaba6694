// SPDX-License-Identifier: BSD-3-Clause
#include "sid/session_id.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace clustered {
namespace {

using namespace std::string_literals;

// A random part of PHP's default length (32) in the 4-bit alphabet.
const std::string kRandom = "0123456789abcdef0123456789abcdef";

std::string id_with(const std::string& random, const std::string& store, const std::string& route) {
  return random + "-" + store + "." + route;
}

// ---------------------------------------------------------------- parse_session_id

TEST(ParseSessionId, SplitsRandomStoreAndRoute) {
  const auto id = parse_session_id(kRandom + "-n1.web1");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->random, kRandom);
  EXPECT_EQ(id->store, "n1");
  EXPECT_EQ(id->route, "web1");
  EXPECT_EQ(id->str(), kRandom + "-n1.web1");
}

TEST(ParseSessionId, StrRoundTrips) {
  const SessionId original{"abcdefghijklmnopqrstuvwxyzABCDEF-,-,", "store16charsxxxx", "r0"};
  const auto parsed = parse_session_id(original.str());
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, original);
}

TEST(ParseSessionId, RandomPartMayContainDashesAndCommas) {
  // The 6-bit alphabet has '-' and ','; parsing from the right keeps them in <random>.
  const std::string random = "ab-cd,ef-gh,ij-kl-mn-op,qr-st";
  const auto id = parse_session_id(id_with(random, "n2", "web2"));
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->random, random);
  EXPECT_EQ(id->store, "n2");
  EXPECT_EQ(id->route, "web2");
}

TEST(ParseSessionId, RandomPartEndingInDash) {
  const std::string random = "abcdefghijklmnopqrstuvwxyz0123-";
  const auto id = parse_session_id(id_with(random, "n1", "web1"));  // "...0123--n1.web1"
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->random, random);
  EXPECT_EQ(id->store, "n1");
}

TEST(ParseSessionId, ManyDashes) {
  const std::string dashes(200, '-');
  const auto id = parse_session_id(id_with(dashes, "n1", "web1"));
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->random, dashes);
  EXPECT_EQ(id->store, "n1");
  // Dashes after the store part belong to nothing valid.
  EXPECT_FALSE(parse_session_id(kRandom + "-n1-.web1"));
  EXPECT_FALSE(parse_session_id(kRandom + "--.web1"));
  EXPECT_FALSE(parse_session_id(kRandom + "-n1.web1-"));
  EXPECT_FALSE(parse_session_id(kRandom + "-n1.-web1"));
}

TEST(ParseSessionId, NodeIdGrammarIsLowercaseAlnumUpTo16) {
  EXPECT_TRUE(parse_session_id(id_with(kRandom, "0123456789abcdef", "web1")));
  EXPECT_TRUE(parse_session_id(id_with(kRandom, "n1", "0123456789abcdef")));
  EXPECT_TRUE(parse_session_id(id_with(kRandom, "z", "9")));
  EXPECT_FALSE(parse_session_id(id_with(kRandom, "0123456789abcdefg", "web1")));  // 17
  EXPECT_FALSE(parse_session_id(id_with(kRandom, "n1", "0123456789abcdefg")));    // 17
  EXPECT_FALSE(parse_session_id(id_with(kRandom, "N1", "web1")));
  EXPECT_FALSE(parse_session_id(id_with(kRandom, "n1", "Web1")));
  EXPECT_FALSE(parse_session_id(id_with(kRandom, "n1", "WEB1")));
  EXPECT_FALSE(parse_session_id(id_with(kRandom, "n_1", "web1")));
  EXPECT_FALSE(parse_session_id(id_with(kRandom, "n1", "web,1")));
}

TEST(ParseSessionId, EmptyPartsAreRefused) {
  EXPECT_FALSE(parse_session_id("-n1.web1"));
  EXPECT_FALSE(parse_session_id("abc-.web1"));
  EXPECT_FALSE(parse_session_id("abc-n1."));
  // Same with a random part that would otherwise be long enough.
  EXPECT_FALSE(parse_session_id(kRandom + "-.web1"));
  EXPECT_FALSE(parse_session_id(kRandom + "-n1."));
  EXPECT_FALSE(parse_session_id(kRandom + "-."));
  EXPECT_FALSE(parse_session_id(""));
  EXPECT_FALSE(parse_session_id("-"));
  EXPECT_FALSE(parse_session_id("."));
  EXPECT_FALSE(parse_session_id("-."));
}

TEST(ParseSessionId, MissingSeparatorsAreRefused) {
  EXPECT_FALSE(parse_session_id("a-1-2"));
  EXPECT_FALSE(parse_session_id(kRandom));                                    // PHP's own plain ID
  EXPECT_FALSE(parse_session_id(kRandom + "-n1web1"));                        // no dot
  EXPECT_FALSE(parse_session_id(kRandom + "n1.web1"));                        // no dash
  EXPECT_FALSE(parse_session_id(kRandom + ".n1-web1"));                       // wrong order
  EXPECT_FALSE(parse_session_id(kRandom + "-n1.web1.x"));                     // a dot too many
  EXPECT_FALSE(parse_session_id("ab.cdefghijklmnopqrstuvwxyz0123-n1.web1"));  // dot in random
}

TEST(ParseSessionId, RandomLengthFollowsPhpLimits) {
  EXPECT_FALSE(parse_session_id(id_with(std::string(kMinRandomLength - 1, 'a'), "n1", "w")));
  EXPECT_TRUE(parse_session_id(id_with(std::string(kMinRandomLength, 'a'), "n1", "w")));
  EXPECT_TRUE(parse_session_id(id_with(std::string(kMaxRandomLength, 'a'), "n1", "w")));
  EXPECT_FALSE(parse_session_id(id_with(std::string(kMaxRandomLength + 1, 'a'), "n1", "w")));
  EXPECT_FALSE(parse_session_id(id_with(std::string(100000, 'a'), "n1", "w")));
}

TEST(ParseSessionId, ControlBytesAreRefusedAnywhere) {
  for (const char bad : {'\x01', '\t', '\n', '\r', '\x1b', '\x7f', ' '}) {
    SCOPED_TRACE(static_cast<int>(bad));
    std::string random = kRandom;
    random[5] = bad;
    EXPECT_FALSE(parse_session_id(id_with(random, "n1", "web1")));
    EXPECT_FALSE(parse_session_id(id_with(kRandom, "n"s + bad, "web1")));
    EXPECT_FALSE(parse_session_id(id_with(kRandom, "n1", "web1"s + bad)));
    EXPECT_FALSE(parse_session_id(bad + id_with(kRandom, "n1", "web1")));
  }
}

TEST(ParseSessionId, NulBytesInsideTheStringAreRefused) {
  // A std::string may carry NUL; a C-string comparison would stop at it.
  std::string random = kRandom;
  random[10] = '\0';
  EXPECT_FALSE(parse_session_id(id_with(random, "n1", "web1")));
  EXPECT_FALSE(parse_session_id(id_with(kRandom, "n1\0"s, "web1")));
  EXPECT_FALSE(parse_session_id(id_with(kRandom, "n1", "web1\0"s)));
  EXPECT_FALSE(parse_session_id(id_with(kRandom, "n1", "web1\0evil"s)));
  EXPECT_FALSE(parse_session_id("\0"s + id_with(kRandom, "n1", "web1")));
}

TEST(ParseSessionId, HighBytesAreRefused) {
  for (const std::string bad : {"\x80"s, "\xff"s, "\xc3\xa9"s, "\xe2\x80\x8b"s}) {
    std::string random = kRandom;
    random.replace(3, bad.size(), bad);
    EXPECT_FALSE(parse_session_id(id_with(random, "n1", "web1")));
    EXPECT_FALSE(parse_session_id(id_with(kRandom, "n" + bad, "web1")));
    EXPECT_FALSE(parse_session_id(id_with(kRandom, "n1", "web" + bad)));
  }
}

TEST(ParseSessionId, OtherPunctuationIsRefused) {
  for (const char bad : {'/', ':', '_', '=', '%', '+', '"', '\'', '\\', '<', '*'}) {
    std::string random = kRandom;
    random[0] = bad;
    EXPECT_FALSE(parse_session_id(id_with(random, "n1", "web1"))) << bad;
  }
}

// ---------------------------------------------------------------- is_key_safe_session_id

TEST(KeySafeSessionId, AcceptsPhpAlphabetAndDot) {
  EXPECT_TRUE(is_key_safe_session_id(kRandom, 300));
  EXPECT_TRUE(is_key_safe_session_id(kRandom + "-n1.web1", 300));
  EXPECT_TRUE(is_key_safe_session_id("AZaz09,-.", 300));
  EXPECT_TRUE(is_key_safe_session_id("x", 1));
}

TEST(KeySafeSessionId, LengthLimits) {
  EXPECT_FALSE(is_key_safe_session_id("", 300));
  EXPECT_TRUE(is_key_safe_session_id(std::string(250, 'a'), 250));
  EXPECT_FALSE(is_key_safe_session_id(std::string(251, 'a'), 250));
  EXPECT_FALSE(is_key_safe_session_id("ab", 1));
  EXPECT_FALSE(is_key_safe_session_id("a", 0));
}

TEST(KeySafeSessionId, RefusesEveryByteOutsideTheAlphabet) {
  std::set<int> accepted;
  for (int c = 0; c < 256; ++c) {
    const std::string text = "abc" + std::string(1, static_cast<char>(c)) + "def";
    if (is_key_safe_session_id(text, 100)) accepted.insert(c);
  }
  std::set<int> expected;
  for (char c : std::string("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ,-.")) {
    expected.insert(static_cast<unsigned char>(c));
  }
  EXPECT_EQ(accepted, expected);
}

// resolve() parses IDs is_key_safe_session_id() accepted with the shortcut: on
// those it must answer exactly as the full parse does.
TEST(KeySafeSessionId, ShortcutParseAgreesWithTheFullOneOnKeySafeIds) {
  const std::string key_chars = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ,-.";
  std::vector<std::string> ids = {kRandom + "-n1.web1",
                                  kRandom + ".x-n1.web1",
                                  kRandom + "-n1.web1.",
                                  kRandom + "--n1.web1",
                                  "-n1.web1",
                                  kRandom + "-N1.web1",
                                  kRandom + "-n.1.web1",
                                  kRandom.substr(0, 21) + "-n1.web1"};
  // Each key character in each place of a well-formed ID.
  const std::string base = kRandom + "-n1.web1";
  for (std::size_t at = 0; at < base.size(); ++at) {
    for (char c : key_chars) {
      std::string id = base;
      id[at] = c;
      ids.push_back(id);
    }
  }
  for (const std::string& id : ids) {
    ASSERT_TRUE(is_key_safe_session_id(id, 300)) << id;
    const auto full = parse_session_id_view(id);
    const auto shortcut = parse_key_safe_session_id_view(id);
    ASSERT_EQ(full.has_value(), shortcut.has_value()) << id;
    if (!full) continue;
    EXPECT_EQ(full->random, shortcut->random) << id;
    EXPECT_EQ(full->store, shortcut->store) << id;
    EXPECT_EQ(full->route, shortcut->route) << id;
  }
}

TEST(KeySafeSessionId, NulInsideIsRefused) {
  EXPECT_FALSE(is_key_safe_session_id("abc\0def"s, 100));
  EXPECT_FALSE(is_key_safe_session_id("\0"s, 100));
}

// ---------------------------------------------------------------- make_random_part

std::string alphabet_for(int bits) {
  const std::string all = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ,-";
  return all.substr(0, std::size_t{1} << bits);
}

TEST(MakeRandomPart, LengthIsAsAskedWhenItCarriesEnoughBits) {
  for (int bits : {4, 5, 6}) {
    for (std::size_t length : {32u, 48u, 100u, 256u}) {
      auto part = make_random_part(length, bits, system_entropy());
      ASSERT_TRUE(part.ok()) << part.error();
      EXPECT_EQ(part->size(), length) << "bits " << bits;
      EXPECT_EQ(effective_random_length(length, bits), length);
    }
  }
}

TEST(MakeRandomPart, AtLeast128BitsAreEnforced) {
  // PHP allows sid_length 22 with 4 bits per character: only 88 bits.
  EXPECT_EQ(effective_random_length(22, 4), 32u);
  EXPECT_EQ(effective_random_length(22, 5), 26u);
  EXPECT_EQ(effective_random_length(22, 6), 22u);
  EXPECT_EQ(effective_random_length(0, 4), 32u);
  EXPECT_EQ(effective_random_length(1, 6), 22u);
  for (int bits : {4, 5, 6}) {
    for (std::size_t length = 0; length <= 300; ++length) {
      const std::size_t effective = effective_random_length(length, bits);
      EXPECT_GE(effective * static_cast<std::size_t>(bits), kMinRandomBits);
      EXPECT_GE(effective, kMinRandomLength);
      EXPECT_LE(effective, kMaxRandomLength);
      if (length <= kMaxRandomLength) {
        EXPECT_GE(effective, length);
      }
    }
  }
  auto part = make_random_part(22, 4, system_entropy());
  ASSERT_TRUE(part.ok());
  EXPECT_EQ(part->size(), 32u);
  part = make_random_part(22, 5, system_entropy());
  ASSERT_TRUE(part.ok());
  EXPECT_EQ(part->size(), 26u);
}

TEST(MakeRandomPart, LengthIsCappedAtPhpMaximum) {
  EXPECT_EQ(effective_random_length(1000, 4), kMaxRandomLength);
  auto part = make_random_part(1000, 6, system_entropy());
  ASSERT_TRUE(part.ok());
  EXPECT_EQ(part->size(), kMaxRandomLength);
}

TEST(MakeRandomPart, AlphabetPerBitsAndEveryCharacterUsed) {
  for (int bits : {4, 5, 6}) {
    SCOPED_TRACE(bits);
    const std::string alphabet = alphabet_for(bits);
    std::map<char, int> seen;
    int total = 0;
    while (total < 64 * 1000) {
      auto part = make_random_part(256, bits, system_entropy());
      ASSERT_TRUE(part.ok()) << part.error();
      for (char c : *part) {
        ASSERT_NE(alphabet.find(c), std::string::npos) << "'" << c << "' outside the alphabet";
        ++seen[c];
        ++total;
      }
    }
    // Every symbol appears, and roughly uniformly (an expected count of 1000 to
    // 4000 per symbol; these bounds are many standard deviations wide).
    ASSERT_EQ(seen.size(), alphabet.size());
    const double expected = static_cast<double>(total) / static_cast<double>(alphabet.size());
    for (const auto& [c, count] : seen) {
      EXPECT_GT(count, expected * 0.75) << c;
      EXPECT_LT(count, expected * 1.25) << c;
    }
  }
}

TEST(MakeRandomPart, TwoCallsDiffer) {
  for (int bits : {4, 5, 6}) {
    auto a = make_random_part(32, bits, system_entropy());
    auto b = make_random_part(32, bits, system_entropy());
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_NE(*a, *b);
  }
  std::set<std::string> many;
  for (int i = 0; i < 1000; ++i) many.insert(*make_random_part(22, 6, system_entropy()));
  EXPECT_EQ(many.size(), 1000u);
}

TEST(MakeRandomPart, BadBitsAreRefused) {
  for (int bits : {-1, 0, 1, 3, 7, 8, 64}) {
    auto part = make_random_part(32, bits, system_entropy());
    ASSERT_FALSE(part.ok()) << bits;
    EXPECT_NE(part.error().find("sid_bits_per_character"), std::string::npos) << part.error();
    EXPECT_NE(part.error().find(std::to_string(bits)), std::string::npos) << part.error();
  }
}

// Regression: effective_random_length(length, 0) divided by zero (SIGFPE). It is
// public and used to size keys from configuration, so it must not crash on a bad
// setting that make_random_part() would refuse.
TEST(MakeRandomPart, EffectiveLengthSurvivesBadBits) {
  for (int bits : {-1, 0, 1, 3, 7}) {
    const std::size_t effective = effective_random_length(32, bits);
    EXPECT_GE(effective, 32u) << bits;
    EXPECT_LE(effective, kMaxRandomLength) << bits;
  }
}

TEST(MakeRandomPart, ResultParsesAsPartOfAnId) {
  for (int bits : {4, 5, 6}) {
    for (int i = 0; i < 200; ++i) {
      auto part = make_random_part(32, bits, system_entropy());
      ASSERT_TRUE(part.ok());
      const auto id = parse_session_id(id_with(*part, "n1", "web1"));
      ASSERT_TRUE(id.has_value()) << *part;
      EXPECT_EQ(id->random, *part);
      EXPECT_TRUE(is_key_safe_session_id(id->str(), 300));
    }
  }
}

}  // namespace
}  // namespace clustered
