// SPDX-License-Identifier: BSD-3-Clause
#include "stats/lock_waits.h"

#include <algorithm>
#include <cstdio>
#include <limits>

namespace clustered {

void WaitHistogram::record(std::uint64_t us) {
  const auto bound = std::lower_bound(kWaitBoundsUs.begin(), kWaitBoundsUs.end(), us);
  buckets_[static_cast<std::size_t>(bound - kWaitBoundsUs.begin())].fetch_add(
      1, std::memory_order_relaxed);
  sum_us_.fetch_add(us, std::memory_order_relaxed);
}

HistogramFigures WaitHistogram::figures() const {
  // Read without a lock while others record: the buckets are made cumulative
  // from one reading each, and count is their total, so the figures agree with
  // each other (the sum may be a sample ahead or behind).
  HistogramFigures figures;
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < kWaitBuckets; ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    figures.cumulative[i] = running;
  }
  figures.count = running;
  figures.sum_us = sum_us_.load(std::memory_order_relaxed);
  return figures;
}

std::uint64_t HistogramFigures::quantile_bound_us(double share) const {
  if (count == 0) return 0;
  const double wanted = share * static_cast<double>(count);
  for (std::size_t i = 0; i < kWaitBoundsUs.size(); ++i) {
    if (static_cast<double>(cumulative[i]) >= wanted) return kWaitBoundsUs[i];
  }
  return std::numeric_limits<std::uint64_t>::max();
}

namespace {

std::string duration(double us) {
  char text[32];
  if (us < 1000) {
    std::snprintf(text, sizeof text, "%.0f µs", us);
  } else if (us < 1000000) {
    std::snprintf(text, sizeof text, "%.3g ms", us / 1000);
  } else {
    std::snprintf(text, sizeof text, "%.3g s", us / 1000000);
  }
  return text;
}

std::string within(std::uint64_t bound_us) {
  if (bound_us == std::numeric_limits<std::uint64_t>::max()) {
    return "over " + duration(static_cast<double>(kWaitBoundsUs.back()));
  }
  return "within " + duration(static_cast<double>(bound_us));
}

}  // namespace

std::string HistogramFigures::summary() const {
  if (count == 0) return "none";
  return std::to_string(count) + ": half " + within(quantile_bound_us(0.5)) + ", 99 % " +
         within(quantile_bound_us(0.99)) + " (mean " +
         duration(static_cast<double>(sum_us) / static_cast<double>(count)) + ")";
}

}  // namespace clustered
