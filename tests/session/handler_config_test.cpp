// SPDX-License-Identifier: BSD-3-Clause
#include "session/handler_config.h"

#include <gtest/gtest.h>

#include <string>

#include "sid/session_id.h"
#include "util/node_id.h"

namespace clustered {
namespace {

HandlerConfig owner_config() {
  HandlerConfig config;
  config.route = "web1";
  config.strict_mode = true;
  return config;
}

// phpinfo() and the stats say why reads go to memcached: each reason by its setting.
TEST(HandlerConfig, ModeNamesTheSettingThatStopsTrustInTheLocalCopy) {
  HandlerConfig config = owner_config();
  EXPECT_TRUE(config.trusts_local_copy());
  EXPECT_EQ(config.mode_description(),
            "owner: sessions routed to web1 are served from the local cache");

  HandlerConfig route_off = owner_config();
  route_off.trust_route = false;
  EXPECT_FALSE(route_off.trusts_local_copy());
  EXPECT_NE(route_off.mode_description().find("clustered_session.route=off"), std::string::npos);

  HandlerConfig lax = owner_config();
  lax.strict_mode = false;
  EXPECT_FALSE(lax.trusts_local_copy());
  EXPECT_NE(lax.mode_description().find("session.use_strict_mode=0"), std::string::npos);

  HandlerConfig no_cache = owner_config();
  no_cache.local_cache = false;
  EXPECT_FALSE(no_cache.trusts_local_copy());
  EXPECT_NE(no_cache.mode_description().find("clustered_session.cache_size=0"), std::string::npos);

  // route=off is the first reason given when several hold.
  route_off.strict_mode = false;
  EXPECT_NE(route_off.mode_description().find("route=off"), std::string::npos);
}

// ext/ refuses a configuration whose keys could exceed memcached's 250 bytes; the
// longest key counts every part at its longest (the store id at 16 characters).
TEST(HandlerConfig, LongestKeyCountsPrefixRandomPartLongestStoreIdAndRoute) {
  HandlerConfig config = owner_config();
  config.prefix = "sess.";
  config.sid_length = 32;
  config.sid_bits_per_character = 4;
  EXPECT_EQ(longest_key(config), 5u + 32u + 1u + kMaxNodeIdLength + 1u + 4u);
  config.sid_length = 256;
  config.prefix = std::string(10, 'p');
  EXPECT_EQ(longest_key(config),
            10u + effective_random_length(256, 4) + 1u + kMaxNodeIdLength + 1u + 4u);
  EXPECT_GT(longest_key(config), kMaxMemcachedKey);
}

TEST(HandlerConfig, ApplyTakesTheRequestsSettings) {
  HandlerConfig config = owner_config();
  RequestSettings settings;
  settings.strict_mode = false;
  settings.prefix = "app.";
  settings.sid_length = 26;
  settings.sid_bits_per_character = 5;
  settings.gc_maxlifetime_s = 60;
  config.apply(settings);
  EXPECT_FALSE(config.strict_mode);
  EXPECT_EQ(config.prefix, "app.");
  EXPECT_EQ(config.sid_length, 26u);
  EXPECT_EQ(config.sid_bits_per_character, 5);
  EXPECT_EQ(config.gc_maxlifetime_s, 60);
  EXPECT_EQ(config.route, "web1") << "a system setting changed per request";
}

}  // namespace
}  // namespace clustered
