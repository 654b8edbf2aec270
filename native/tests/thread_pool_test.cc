#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include "runtime/thread_pool.h"
#include "tests/test_util.h"

using namespace convkit;

int main() {
  for (int threads : {1, 2, 3, 8}) {
    set_num_threads(threads);
    CK_CHECK(num_threads() == threads);
    // Every task runs exactly once.
    for (std::size_t n : {0u, 1u, 2u, 7u, 1000u}) {
      std::vector<std::atomic<int>> hits(n);
      parallel_for(n, [&](std::size_t i) { hits[i].fetch_add(1); });
      for (std::size_t i = 0; i < n; ++i) CK_CHECK(hits[i].load() == 1);
    }
    // Ranges cover [0, n) without overlap.
    std::vector<std::atomic<int>> cover(1003);
    parallel_range(cover.size(), 10, [&](std::size_t b, std::size_t e) {
      for (std::size_t i = b; i < e; ++i) cover[i].fetch_add(1);
    });
    for (auto& c : cover) CK_CHECK(c.load() == 1);
    // Nested regions run inline and still cover everything.
    std::atomic<int> nested{0};
    parallel_for(4, [&](std::size_t) { parallel_for(5, [&](std::size_t) { nested.fetch_add(1); }); });
    CK_CHECK(nested.load() == 20);
    // Exceptions propagate to the caller after the region finishes.
    bool caught = false;
    try {
      parallel_for(16, [&](std::size_t i) {
        if (i == 7) throw std::runtime_error("boom");
      });
    } catch (const std::runtime_error&) {
      caught = true;
    }
    CK_CHECK(caught);
    // Concurrent callers from several threads are serialised, never lose work.
    std::atomic<long> total{0};
    std::vector<std::thread> callers;
    for (int t = 0; t < 6; ++t)
      callers.emplace_back([&] {
        for (int rep = 0; rep < 200; ++rep) parallel_for(9, [&](std::size_t) { total.fetch_add(1); });
      });
    for (auto& c : callers) c.join();
    CK_CHECK(total.load() == 6L * 200 * 9);
    // Under InlineRegions every region runs on the calling thread only, and is marked as one;
    // the scope restores the previous state. Two callers so scoped run at the same time (a region
    // each waits on the other's progress, which would deadlock if either queued for the pool).
    CK_CHECK(!in_parallel_region());
    {
      InlineRegions scope;
      CK_CHECK(in_parallel_region());
      const auto me = std::this_thread::get_id();
      std::atomic<int> elsewhere{0}, ran{0};
      parallel_for(64, [&](std::size_t) {
        if (std::this_thread::get_id() != me) elsewhere.fetch_add(1);
        ran.fetch_add(1);
      });
      CK_CHECK(elsewhere.load() == 0 && ran.load() == 64);
    }
    CK_CHECK(!in_parallel_region());
    std::atomic<int> stage{0};
    auto lane = [&] {
      InlineRegions scope;
      parallel_for(2, [&](std::size_t i) {
        if (i != 0) return;
        stage.fetch_add(1);
        for (int spins = 0; stage.load() < 2 && spins < 200000000; ++spins) std::this_thread::yield();
      });
    };
    std::thread a(lane), b(lane);
    a.join();
    b.join();
    CK_CHECK(stage.load() == 2);
  }
  set_num_threads(hardware_threads());
  return test::finish("thread_pool_test");
}
