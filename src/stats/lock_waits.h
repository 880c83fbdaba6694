// SPDX-License-Identifier: BSD-3-Clause
// How long requests wait for a session's lock, and how long a waiter takes to
// run once the holder released it (docs/design.md, "Counters"): two histograms
// of lock-free atomics in the shared segment, shared by all children of a node,
// so a child killed at any point can never leave them locked.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace clustered {

// Upper bounds (µs) of the buckets; a last bucket takes everything above. From a
// wake-up of tens of microseconds to a wait near lock_timeout.
inline constexpr std::array<std::uint64_t, 10> kWaitBoundsUs = {
    50, 100, 250, 1000, 5000, 25000, 100000, 500000, 2500000, 10000000};
inline constexpr std::size_t kWaitBuckets = kWaitBoundsUs.size() + 1;

// A histogram's figures as read once: cumulative counts per bound (the last is
// every sample, Prometheus's le="+Inf"), their sum and how many there were.
struct HistogramFigures {
  std::array<std::uint64_t, kWaitBuckets> cumulative{};
  std::uint64_t sum_us = 0;
  std::uint64_t count = 0;
  // The bound (µs) under which `share` (0..1] of the samples fell; 0 without
  // samples, UINT64_MAX when it lies above the last bound.
  std::uint64_t quantile_bound_us(double share) const;
  // "none", or "12: half within 1 ms, 99 % within 25 ms (mean 3.2 ms)".
  std::string summary() const;
};

class WaitHistogram {
 public:
  void record(std::uint64_t us);
  HistogramFigures figures() const;

 private:
  std::array<std::atomic<std::uint64_t>, kWaitBuckets> buckets_{};  // each its own count
  std::atomic<std::uint64_t> sum_us_{0};
};

struct LockWaits {
  WaitHistogram wait;  // from asking for a taken lock to holding it (or timing out)
  WaitHistogram wake;  // from the holder's unlock to the waiter running
};

static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
              "lock waits live in shared memory and must be lock-free");

}  // namespace clustered
