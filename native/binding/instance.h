// Per-environment (main thread or worker_thread) state of the addon.
#pragma once
#include <napi.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/errors.h"

namespace convkit::binding {

// Deferred execution (see recording_binding.cc): while `active`, the sync form of every def_job
// function validates its arguments and appends its work here instead of running it; a flush runs
// the list in order, on this thread or as one async work item on the libuv pool.
struct Recording {
  bool active = false;
  std::vector<std::function<void(const CancelToken&)>> jobs;
  // The binding function that queued each job (for step profiles, recording_binding.cc).
  std::vector<std::string> names;
  // The typed arrays the queued jobs read and write: held so the garbage collector cannot free
  // their memory before the jobs have run.
  std::vector<Napi::ObjectReference> refs;
  // The batch running on the libuv pool, if any (at most one: flushes are chained in JS).
  struct InFlight {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
  };
  std::shared_ptr<InFlight> in_flight;
};

struct InstanceData {
  // Tensor buffers this environment has allocated (a per-instance counter; touched only on the
  // environment's own JS thread).
  std::uint64_t allocations = 0;
  Recording recording;
};

inline InstanceData& instance(Napi::Env env) { return *env.GetInstanceData<InstanceData>(); }

// Queues `job` with the arguments of `info` kept alive, if this environment is recording; returns
// false (and does nothing) otherwise. `name` labels the job in step profiles.
bool record_if_active(const Napi::CallbackInfo& info, std::function<void(const CancelToken&)>& job,
                      std::string name = "job");
// Runs every queued job now, in order, on the calling (JS) thread, and drops their references.
void run_recorded_now(Napi::Env env);

}  // namespace convkit::binding
