// SPDX-License-Identifier: BSD-3-Clause
// clustered_session_metrics(): the core snapshot in Prometheus text format
// (stats/prometheus_text.h); nothing here but the hand-over.
#include "metrics.h"

#include "stats.h"
#include "stats/prometheus_text.h"

std::string clustered_session_metrics_text() {
  return clustered::prometheus_text(clustered_session_stats_snapshot());
}
