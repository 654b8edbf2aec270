#include "runtime/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#if defined(__linux__)
#include <sched.h>
#endif
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace convkit {
namespace {

thread_local bool t_in_region = false;

// The core the calling thread runs on, or -1 where that is not known cheaply.
int current_cpu() {
#if defined(__linux__)
  return sched_getcpu();
#else
  return -1;
#endif
}

// Workers spin this many iterations on the generation counter before sleeping: regions in small
// models come microseconds apart, and a futex wake costs more than the work of a small GEMM.
// CONVKIT_POOL_SPIN overrides it (pause iterations, 0..10^7), to measure the trade-off between
// wake-up latency and the core a spinning worker takes from the event loop.
int spin_iterations() {
  static const int n = [] {
    if (const char* e = std::getenv("CONVKIT_POOL_SPIN")) {
      char* end = nullptr;
      long v = std::strtol(e, &end, 10);
      if (end != e && *end == 0 && v >= 0 && v <= 10000000) return static_cast<int>(v);
    }
    return 20000;
  }();
  return n;
}

struct Region {
  FunctionRef<void(std::size_t)>* task;
  std::size_t n;
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> done{0};
  std::atomic<int> refs{0};  // workers currently attached to this region
  std::mutex error_mutex;
  std::exception_ptr error;

  void work() {
    for (;;) {
      std::size_t i = next.fetch_add(1, std::memory_order_relaxed);
      if (i >= n) break;
      try {
        (*task)(i);
      } catch (...) {
        std::lock_guard<std::mutex> lk(error_mutex);
        if (!error) error = std::current_exception();
      }
      done.fetch_add(1, std::memory_order_acq_rel);
    }
  }
};

class Pool {
 public:
  explicit Pool(int n) { start(n); }
  ~Pool() { stop(); }

  int size() const { return size_; }

  void resize(int n) {
    std::lock_guard<std::mutex> region(region_mutex_);
    stop();
    start(n);
  }

  void run(std::size_t n_tasks, FunctionRef<void(std::size_t)> task) {
    if (n_tasks == 0) return;
    if (t_in_region || size_ == 1 || n_tasks == 1) {
      bool was = t_in_region;
      t_in_region = true;
      struct Reset { bool v; ~Reset() { t_in_region = v; } } reset{was};
      for (std::size_t i = 0; i < n_tasks; ++i) task(i);
      return;
    }
    std::lock_guard<std::mutex> region_lock(region_mutex_);
    Region r;
    r.task = &task;
    r.n = n_tasks;
    caller_cpu_.store(current_cpu(), std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lk(mutex_);
      current_ = &r;
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    t_in_region = true;
    r.work();
    t_in_region = false;
    {
      // No worker may attach after this; those attached are counted in refs.
      std::lock_guard<std::mutex> lk(mutex_);
      current_ = nullptr;
    }
    // The join. The workers usually finish within a few microseconds of the caller (they started
    // that much later), so the caller first spins with pause before it offers its core: a
    // sched_yield is a syscall, slow in this VM, and a caller that yielded at once came back ~1.5 us
    // after a worker that finished right after it. (Back-to-back parallel_for(2) of 5-20 us tasks,
    // worker spinning: 1.7-1.9 us over the task time with an immediate yield.) The spin is bounded
    // (kJoinSpins pauses, ~2.5 us: a pause is ~19 ns on this Zen 5) so a worker that lost its core
    // to another process still gets the caller's core offered.
    constexpr int kJoinSpins = 128;
    for (int spin = 0;
         r.done.load(std::memory_order_acquire) < n_tasks || r.refs.load(std::memory_order_acquire) != 0; ++spin) {
#if defined(__x86_64__)
      if (spin < kJoinSpins) {
        __builtin_ia32_pause();
        continue;
      }
#endif
      std::this_thread::yield();
    }
    if (r.error) std::rethrow_exception(r.error);
  }

 private:
  void start(int n) {
    size_ = std::max(1, n);
    quit_ = false;
    // Workers start from the generation of their creation, so a stop() that comes before a new
    // thread first runs is still seen by it.
    unsigned gen = generation_.load(std::memory_order_acquire);
    for (int i = 1; i < size_; ++i) workers_.emplace_back([this, gen] { loop(gen); });
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lk(mutex_);
      quit_ = true;
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  void loop(unsigned seen) {
    t_in_region = true;
    for (;;) {
      unsigned g = seen;
      const int spins = spin_iterations();
      for (int spin = 0; spin < spins; ++spin) {
        g = generation_.load(std::memory_order_acquire);
        if (g != seen) break;
#if defined(__x86_64__)
        __builtin_ia32_pause();
#endif
        // Every 64 pauses (a few microseconds) the spinning worker checks whether it shares a
        // core with the thread that submits the regions, and if so offers the core. The scheduler
        // puts them together whenever another process (another session's autogroup, even a
        // nice-19 one) keeps the other cores busy: the group loads then look balanced and nothing
        // migrates. A plain pause loop then held that core until the next preemption while the
        // submitting thread, which has the real work, waited: with a busy loop of another session
        // on the other core, LeNet-5's b64 training step took 3.6-4.3 ms (single-threaded alone:
        // 2.1-2.5), and 2.1-2.3 ms with this check. sched_getcpu is a vDSO read, no syscall;
        // an unconditional sched_yield (a syscall, slow in this VM) cost 0.2 ms per step when
        // the worker had a core of its own.
        if ((spin & 63) == 63) {
          const int cpu = current_cpu();
          if (cpu >= 0 && cpu == caller_cpu_.load(std::memory_order_relaxed)) std::this_thread::yield();
        }
      }
      Region* r = nullptr;
      {
        std::unique_lock<std::mutex> lk(mutex_, std::defer_lock);
        // A worker that saw the new generation while spinning usually sees it while the caller
        // still holds mutex_ (it publishes the region under the lock). A plain lock() then sleeps
        // on the futex and needs the caller's unlock to wake it: two syscalls, ~1 us in this VM,
        // on every region. The caller holds the lock for a few instructions, so try it with pause
        // first (bounded: a caller preempted inside the lock is waited for by the futex).
        for (int i = 0; g != seen && i < 256 && !lk.try_lock(); ++i) {
#if defined(__x86_64__)
          __builtin_ia32_pause();
#endif
        }
        if (!lk.owns_lock()) lk.lock();
        if (g == seen) cv_.wait(lk, [&] { return generation_.load(std::memory_order_acquire) != seen; });
        seen = generation_.load(std::memory_order_acquire);
        if (quit_) return;
        r = current_;
        if (r) r->refs.fetch_add(1, std::memory_order_acq_rel);
      }
      if (r) {
        r->work();
        r->refs.fetch_sub(1, std::memory_order_acq_rel);
      }
    }
  }

  int size_ = 1;
  std::vector<std::thread> workers_;
  std::mutex region_mutex_;  // one region at a time
  std::mutex mutex_;         // guards current_, quit_ and the sleep/wake handshake
  std::condition_variable cv_;
  std::atomic<unsigned> generation_{0};
  std::atomic<int> caller_cpu_{-1};  // core of the thread that submitted the last region
  bool quit_ = false;
  Region* current_ = nullptr;
};

int default_threads() {
  if (const char* e = std::getenv("CONVKIT_NUM_THREADS")) {
    char* end = nullptr;
    long v = std::strtol(e, &end, 10);
    if (end != e && *end == 0 && v >= 1 && v <= 1024) return static_cast<int>(v);
  }
  return hardware_threads();
}

std::mutex g_pool_mutex;
Pool& pool() {
  // Leaked on purpose: joining threads from a static destructor at process exit can deadlock
  // when the addon is unloaded from a worker thread.
  static Pool* p = new Pool(default_threads());
  return *p;
}

}  // namespace

int hardware_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

int num_threads() { return pool().size(); }

void set_num_threads(int n) {
  std::lock_guard<std::mutex> lk(g_pool_mutex);
  if (n < 1) n = 1;
  if (n > 1024) n = 1024;
  if (n != pool().size()) pool().resize(n);
}

void parallel_for(std::size_t n_tasks, FunctionRef<void(std::size_t)> task) { pool().run(n_tasks, task); }

void parallel_range(std::size_t n, std::size_t grain, FunctionRef<void(std::size_t, std::size_t)> body) {
  if (n == 0) return;
  grain = std::max<std::size_t>(1, grain);
  std::size_t max_chunks = static_cast<std::size_t>(num_threads()) * 4;
  std::size_t chunks = std::max<std::size_t>(1, std::min(max_chunks, (n + grain - 1) / grain));
  std::size_t step = (n + chunks - 1) / chunks;
  chunks = (n + step - 1) / step;
  parallel_for(chunks, [&](std::size_t c) {
    std::size_t b = c * step, e = std::min(n, b + step);
    body(b, e);
  });
}

bool in_parallel_region() { return t_in_region; }

InlineRegions::InlineRegions() : was_(t_in_region) { t_in_region = true; }
InlineRegions::~InlineRegions() { t_in_region = was_; }

}  // namespace convkit
