// SPDX-License-Identifier: BSD-3-Clause
// The Prometheus text of a snapshot: every counter of the one list, once, with its
// help; values as taken; memcached nodes labelled.
#include "stats/prometheus_text.h"

#include <gtest/gtest.h>

#include <string>

namespace clustered {
namespace {

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t count = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++count;
  }
  return count;
}

std::size_t counter_index(std::string_view name) {
  for (std::size_t i = 0; i < kCounterCount; ++i) {
    if (name == kCounterList[i].name) return i;
  }
  ADD_FAILURE() << "no counter " << name;
  return 0;
}

// Plain figures, as the handler hands them (session/stats_reading.h).
StatsSnapshot sample_snapshot() {
  StatsSnapshot snapshot;
  for (std::size_t i = 0; i < kCounterCount; ++i) {
    snapshot.counters[i] = {kCounterList[i].name, kCounterList[i].help, 0};
  }
  snapshot.counters[counter_index("local_hits")].value = 42;
  snapshot.counters[counter_index("lock_timeouts")].value = 3;
  snapshot.route = "web1";
  snapshot.nodes = {{"n1", "127.0.0.1:11211", "active", true, 0},
                    {"n2", "10.0.0.2:11211", "drain", false, 5}};
  return snapshot;
}

TEST(PrometheusText, EveryCounterOnceWithItsHelpAndType) {
  const std::string text = prometheus_text(sample_snapshot());
  for (const CounterInfo& info : kCounterList) {
    const std::string name = std::string("clustered_session_") + info.name + "_total";
    EXPECT_EQ(occurrences(text, "# HELP " + name + " " + info.help + "\n"), 1u) << name;
    EXPECT_EQ(occurrences(text, "# TYPE " + name + " counter\n"), 1u) << name;
    EXPECT_EQ(occurrences(text, "\n" + name + "{"), 1u) << name;
  }
}

TEST(PrometheusText, ValuesAreTheSnapshots) {
  const std::string text = prometheus_text(sample_snapshot());
  EXPECT_NE(text.find("\nclustered_session_local_hits_total{route=\"web1\"} 42\n"),
            std::string::npos);
  EXPECT_NE(text.find("\nclustered_session_lock_timeouts_total{route=\"web1\"} 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("\nclustered_session_errors_total{route=\"web1\"} 0\n"), std::string::npos);
  // No cache in the snapshot: not trusted, cache families present with zeros.
  EXPECT_NE(text.find("\nclustered_session_trusted{route=\"web1\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("\nclustered_session_cache_entries{route=\"web1\"} 0\n"), std::string::npos);
}

TEST(PrometheusText, CacheFiguresAndTrust) {
  StatsSnapshot snapshot = sample_snapshot();
  snapshot.trusted = true;
  snapshot.cache = CacheFigures{1024, 512, 3, 100, 9, 1};
  const std::string text = prometheus_text(snapshot);
  EXPECT_NE(text.find("\nclustered_session_trusted{route=\"web1\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("\nclustered_session_cache_capacity_bytes{route=\"web1\"} 1024\n"),
            std::string::npos);
  EXPECT_NE(text.find("\nclustered_session_cache_used_bytes{route=\"web1\"} 512\n"),
            std::string::npos);
  EXPECT_NE(text.find("\nclustered_session_cache_entries{route=\"web1\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("\nclustered_session_cache_evictions_total{route=\"web1\"} 9\n"),
            std::string::npos);
  EXPECT_NE(text.find("\nclustered_session_cache_repairs_total{route=\"web1\"} 1\n"),
            std::string::npos);
}

TEST(PrometheusText, LockWaitsAreHistogramsInSeconds) {
  StatsSnapshot snapshot = sample_snapshot();
  WaitHistogram waits;
  waits.record(40);
  waits.record(3000);
  snapshot.lock_wait = waits.figures();
  const std::string text = prometheus_text(snapshot);
  EXPECT_NE(text.find("# TYPE clustered_session_lock_wait_seconds histogram\n"), std::string::npos);
  EXPECT_NE(
      text.find("\nclustered_session_lock_wait_seconds_bucket{route=\"web1\",le=\"0.00005\"} 1\n"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find("\nclustered_session_lock_wait_seconds_bucket{route=\"web1\",le=\"0.005\"} 2\n"),
      std::string::npos);
  EXPECT_NE(
      text.find("\nclustered_session_lock_wait_seconds_bucket{route=\"web1\",le=\"+Inf\"} 2\n"),
      std::string::npos);
  EXPECT_NE(text.find("\nclustered_session_lock_wait_seconds_sum{route=\"web1\"} 0.00304\n"),
            std::string::npos);
  EXPECT_NE(text.find("\nclustered_session_lock_wait_seconds_count{route=\"web1\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("\nclustered_session_lock_wake_seconds_count{route=\"web1\"} 0\n"),
            std::string::npos);
}

TEST(PrometheusText, NodeLinesCarryRouteNodeAndAddress) {
  const std::string text = prometheus_text(sample_snapshot());
  EXPECT_NE(text.find("\nclustered_session_memcached_up{route=\"web1\",node=\"n1\","
                      "address=\"127.0.0.1:11211\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("\nclustered_session_memcached_up{route=\"web1\",node=\"n2\","
                      "address=\"10.0.0.2:11211\"} 0\n"),
            std::string::npos);
  EXPECT_NE(text.find("\nclustered_session_memcached_failures_total{route=\"web1\",node=\"n2\","
                      "address=\"10.0.0.2:11211\"} 5\n"),
            std::string::npos);
  // Each family's samples follow its own TYPE line.
  EXPECT_LT(text.find("# TYPE clustered_session_memcached_failures_total counter"),
            text.find("\nclustered_session_memcached_failures_total{"));
  EXPECT_GT(text.find("# TYPE clustered_session_memcached_failures_total counter"),
            text.find("\nclustered_session_memcached_up{route=\"web1\",node=\"n2\""));
}

TEST(PrometheusText, ANodeLoggedDownSaysSinceWhen) {
  StatsSnapshot snapshot = sample_snapshot();
  snapshot.nodes[1].down_since_s = 1796551200;
  snapshot.nodes[1].down_cause = "no connection";
  const std::string text = prometheus_text(snapshot);
  EXPECT_NE(text.find("\nclustered_session_memcached_down_since_seconds{route=\"web1\",node=\"n2\","
                      "address=\"10.0.0.2:11211\"} 1796551200\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\nclustered_session_memcached_down_since_seconds{route=\"web1\",node=\"n1\","
                      "address=\"127.0.0.1:11211\"} 0\n"),
            std::string::npos);
  EXPECT_EQ(snapshot.nodes[0].state(), "up");
  snapshot.nodes[0].without_cas = true;
  EXPECT_EQ(snapshot.nodes[0].state(), "up, no CAS tokens (memcached -C): stores no session");
  EXPECT_NE(
      prometheus_text(snapshot).find("\nclustered_session_memcached_cas_tokens{route=\"web1\","
                                     "node=\"n1\",address=\"127.0.0.1:11211\"} 0\n"),
      std::string::npos);
  EXPECT_EQ(snapshot.nodes[1].state(), "down since 2026-12-06 10:00:00 UTC (no connection)");
}

TEST(PrometheusText, LabelValuesAreEscaped) {
  EXPECT_EQ(prometheus_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  StatsSnapshot snapshot = sample_snapshot();
  snapshot.route = "we\"b";
  EXPECT_NE(prometheus_text(snapshot).find("{route=\"we\\\"b\"}"), std::string::npos);
}

}  // namespace
}  // namespace clustered
