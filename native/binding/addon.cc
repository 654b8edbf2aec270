// The addon entry. N-API modules are context-aware: Init runs once per Node environment (the main
// thread and every worker_thread that loads the addon) and keeps per-instance state in the
// environment's instance data, never in globals. The core's process-wide state (thread pool, ISA
// choice, tensor memory registry) is thread-safe and shared by all instances.
#include <napi.h>

#include "binding/binding.h"
#include "binding/instance.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new convkit::binding::InstanceData());
  convkit::binding::register_all(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(convkit, Init)
