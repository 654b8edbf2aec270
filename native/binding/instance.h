// Per-environment (main thread or worker_thread) state of the addon.
#pragma once
#include <napi.h>

#include <cstdint>

namespace convkit::binding {

struct InstanceData {
  // Tensor buffers this environment has allocated (a per-instance counter; touched only on the
  // environment's own JS thread).
  std::uint64_t allocations = 0;
};

inline InstanceData& instance(Napi::Env env) { return *env.GetInstanceData<InstanceData>(); }

}  // namespace convkit::binding
