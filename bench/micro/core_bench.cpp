// SPDX-License-Identifier: BSD-3-Clause
// Google Benchmark suite for the core's hot paths: the shared cache (get/put of a
// 4 KB session; 1 and 2 threads on one process-shared segment, and 1 process
// measured while a forked sibling works on the same segment, as two Apache prefork
// children do), the session-ID codec and the value header.
//   build-cmake/core_bench [--benchmark_filter=Cache]
#include <benchmark/benchmark.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <new>
#include <string>

#include "codec/value_header.h"
#include "shm/session_cache.h"
#include "sid/session_id.h"

namespace clustered {
namespace {

constexpr std::size_t kCacheBytes = 64 << 20;
constexpr std::size_t kSessionBytes = 4096;
constexpr std::int64_t kNow = 1'700'000'000;

// One cache for the whole run, in the same kind of mapping the extension uses.
SessionCache* shared_cache() {
  static SessionCache* cache = [] {
    void* memory =
        mmap(nullptr, kCacheBytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return SessionCache::create(memory, kCacheBytes);
  }();
  return cache;
}

CachedSession four_kb_session() {
  CachedSession session;
  session.data.assign(kSessionBytes, 'x');
  session.version = 7;
  session.expires_at = kNow + 1440;
  session.remote_touched_at = kNow;
  session.store = "n1";
  return session;
}

std::string key_for_thread(int thread) {
  return "sess.6ho1q1v5o7i0ah8tq4nsmcgp1v-n1.web1." + std::to_string(thread);
}

void BM_CacheGet4K(benchmark::State& state) {
  SessionCache* cache = shared_cache();
  const std::string key = key_for_thread(state.thread_index());
  cache->put(key, four_kb_session(), kNow);
  for (auto _ : state) {
    auto hit = cache->get(key, kNow);
    benchmark::DoNotOptimize(hit);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kSessionBytes));
}
BENCHMARK(BM_CacheGet4K)->Threads(1)->Threads(2)->UseRealTime();

void BM_CachePut4K(benchmark::State& state) {
  SessionCache* cache = shared_cache();
  const std::string key = key_for_thread(state.thread_index());
  const CachedSession session = four_kb_session();
  for (auto _ : state) benchmark::DoNotOptimize(cache->put(key, session, kNow));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kSessionBytes));
}
BENCHMARK(BM_CachePut4K)->Threads(1)->Threads(2)->UseRealTime();

void BM_CacheRefresh(benchmark::State& state) {
  SessionCache* cache = shared_cache();
  const std::string key = key_for_thread(state.thread_index());
  cache->put(key, four_kb_session(), kNow);
  for (auto _ : state) benchmark::DoNotOptimize(cache->refresh(key, kNow + 1440, kNow));
}
BENCHMARK(BM_CacheRefresh)->Threads(1)->Threads(2)->UseRealTime();

// A forked process doing `work` in a loop on the same shared segment while the
// benchmark measures this one: the two-process case of a prefork node. The child
// inherits the mapping made before fork(), like Apache children inherit MINIT's.
class BusySibling {
 public:
  template <typename Work>
  explicit BusySibling(Work work) : flags_(make_flags()) {
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive an interrupted benchmark
      flags_->ready.store(true);
      while (!flags_->stop.load(std::memory_order_relaxed)) work();
      _exit(0);
    }
    while (pid_ > 0 && !flags_->ready.load()) {
    }
  }
  BusySibling(const BusySibling&) = delete;
  BusySibling& operator=(const BusySibling&) = delete;
  ~BusySibling() {
    flags_->stop.store(true);
    if (pid_ > 0) waitpid(pid_, nullptr, 0);
    munmap(flags_, sizeof(Flags));
  }
  [[nodiscard]] bool running() const { return pid_ > 0; }

 private:
  struct Flags {
    std::atomic<bool> ready{false};
    std::atomic<bool> stop{false};
  };
  static Flags* make_flags() {
    void* memory =
        mmap(nullptr, sizeof(Flags), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return new (memory) Flags;
  }
  Flags* flags_;
  pid_t pid_ = -1;
};

void BM_CacheGet4K_SiblingProcess(benchmark::State& state) {
  SessionCache* cache = shared_cache();
  const std::string key = key_for_thread(0);
  const std::string sibling_key = key_for_thread(1);
  cache->put(key, four_kb_session(), kNow);
  cache->put(sibling_key, four_kb_session(), kNow);
  const BusySibling sibling([&] { benchmark::DoNotOptimize(cache->get(sibling_key, kNow)); });
  if (!sibling.running()) state.SkipWithError("fork failed");
  for (auto _ : state) {
    auto hit = cache->get(key, kNow);
    benchmark::DoNotOptimize(hit);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kSessionBytes));
}
BENCHMARK(BM_CacheGet4K_SiblingProcess)->UseRealTime();

void BM_CachePut4K_SiblingProcess(benchmark::State& state) {
  SessionCache* cache = shared_cache();
  const std::string key = key_for_thread(0);
  const std::string sibling_key = key_for_thread(1);
  const CachedSession session = four_kb_session();
  const BusySibling sibling(
      [&] { benchmark::DoNotOptimize(cache->put(sibling_key, session, kNow)); });
  if (!sibling.running()) state.SkipWithError("fork failed");
  for (auto _ : state) benchmark::DoNotOptimize(cache->put(key, session, kNow));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kSessionBytes));
}
BENCHMARK(BM_CachePut4K_SiblingProcess)->UseRealTime();

void BM_ParseSessionId(benchmark::State& state) {
  const std::string id = "6ho1q1v5o7i0ah8tq4nsmcgp1v-n1.web1";
  for (auto _ : state) benchmark::DoNotOptimize(parse_session_id(id));
}
BENCHMARK(BM_ParseSessionId);

void BM_MakeRandomPart(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(make_random_part(26, 5, system_entropy()));
}
BENCHMARK(BM_MakeRandomPart);

void BM_EncodeValue4K(benchmark::State& state) {
  const std::string payload(kSessionBytes, 'x');
  for (auto _ : state) benchmark::DoNotOptimize(encode_value(42, payload));
}
BENCHMARK(BM_EncodeValue4K);

void BM_DecodeValue4K(benchmark::State& state) {
  const std::string bytes = encode_value(42, std::string(kSessionBytes, 'x'));
  for (auto _ : state) benchmark::DoNotOptimize(decode_value(bytes));
}
BENCHMARK(BM_DecodeValue4K);

}  // namespace
}  // namespace clustered

BENCHMARK_MAIN();
