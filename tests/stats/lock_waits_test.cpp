// SPDX-License-Identifier: BSD-3-Clause
// Lock-wait histograms: each sample in the first bucket whose bound holds it,
// read back cumulative (as Prometheus has them), with quantile bounds and a
// summary an operator can read.
#include "stats/lock_waits.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace clustered {
namespace {

TEST(LockWaits, SamplesLandInTheFirstBucketThatHoldsThemAndReadBackCumulative) {
  WaitHistogram histogram;
  histogram.record(0);
  histogram.record(50);        // on a bound: that bucket
  histogram.record(51);        // just over: the next
  histogram.record(20000);     // 25 ms bucket
  histogram.record(99999999);  // over the last bound
  const HistogramFigures figures = histogram.figures();
  EXPECT_EQ(figures.count, 5u);
  EXPECT_EQ(figures.sum_us, 0u + 50 + 51 + 20000 + 99999999);
  EXPECT_EQ(figures.cumulative[0], 2u);                         // <= 50 µs
  EXPECT_EQ(figures.cumulative[1], 3u);                         // <= 100 µs
  EXPECT_EQ(figures.cumulative[5], 4u);                         // <= 25 ms
  EXPECT_EQ(figures.cumulative[kWaitBoundsUs.size() - 1], 4u);  // <= 10 s
  EXPECT_EQ(figures.cumulative.back(), 5u);                     // everything
}

TEST(LockWaits, QuantileBoundsAndSummary) {
  WaitHistogram histogram;
  EXPECT_EQ(histogram.figures().summary(), "none");
  EXPECT_EQ(histogram.figures().quantile_bound_us(0.5), 0u);
  for (int i = 0; i < 98; ++i) histogram.record(800);
  histogram.record(20000);
  histogram.record(20000000);
  const HistogramFigures figures = histogram.figures();
  EXPECT_EQ(figures.quantile_bound_us(0.5), 1000u);
  EXPECT_EQ(figures.quantile_bound_us(0.99), 25000u);
  EXPECT_EQ(figures.quantile_bound_us(1.0), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(figures.summary(), "100: half within 1 ms, 99 % within 25 ms (mean 201 ms)");
}

}  // namespace
}  // namespace clustered
