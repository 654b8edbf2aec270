// The core's thread pool: a fixed set of workers that run the parallel loops of one op at a time.
//
// No OpenMP: a prebuilt binary must not depend on libgomp. The calling thread takes part in every
// parallel region, so a pool of n threads has n-1 workers. Regions from different callers (libuv
// threads running async work, worker_threads) are serialised: each op gets the whole machine rather
// than all of them oversubscribing it. A parallel_for called from inside a region runs inline.
#pragma once
#include <cstddef>
#include <type_traits>
#include <utility>

namespace convkit {

// A non-owning reference to a callable, so parallel regions allocate nothing.
template <typename Sig>
class FunctionRef;
template <typename R, typename... A>
class FunctionRef<R(A...)> {
 public:
  template <typename F, typename = std::enable_if_t<!std::is_same<std::decay_t<F>, FunctionRef>::value>>
  FunctionRef(F&& f) noexcept  // NOLINT(google-explicit-constructor)
      : obj_(const_cast<void*>(static_cast<const void*>(&f))),
        call_([](void* o, A... a) -> R { return (*static_cast<std::remove_reference_t<F>*>(o))(std::forward<A>(a)...); }) {}
  R operator()(A... a) const { return call_(obj_, std::forward<A>(a)...); }

 private:
  void* obj_;
  R (*call_)(void*, A...);
};

// Threads the pool uses (including the caller). Defaults to CONVKIT_NUM_THREADS or the core count.
int num_threads();
// Resize the pool (1..1024). Safe to call between ops; waits for a running region to finish.
void set_num_threads(int n);
// Hardware concurrency as seen by the process.
int hardware_threads();

// Runs task(i) for every i in [0, n_tasks), spread over the pool. Exceptions thrown by a task are
// caught and the first one is rethrown in the caller after all tasks have finished.
void parallel_for(std::size_t n_tasks, FunctionRef<void(std::size_t)> task);

// Splits [0, n) into about num_threads()*4 chunks of at least `grain` items each and runs
// body(begin, end) on each.
void parallel_range(std::size_t n, std::size_t grain, FunctionRef<void(std::size_t, std::size_t)> body);

// True while the current thread is running inside a parallel region.
bool in_parallel_region();

// While one lives, every parallel region the current thread starts runs inline on that thread, as
// a nested region does. For work that runs beside other work on purpose — a serving lane running
// one batch per core while another lane runs the next (lib/serving) — rather than queueing for
// the whole pool region by region.
class InlineRegions {
 public:
  InlineRegions();
  ~InlineRegions();
  InlineRegions(const InlineRegions&) = delete;
  InlineRegions& operator=(const InlineRegions&) = delete;

 private:
  bool was_;
};

}  // namespace convkit
