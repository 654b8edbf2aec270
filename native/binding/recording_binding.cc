// Deferred execution: record a sequence of native ops, then run it as one unit of work.
//
// A training step is dozens of small native calls. Run one by one from JavaScript, every kernel
// runs on the JS thread and blocks Node's event loop for the whole step. While recording, the sync
// form of each def_job / conv function still validates its arguments at once (errors surface at
// the call site, as before) but appends its work to a per-environment queue; recordFlushAsync()
// then runs the queue, in order, as one async work item on the libuv pool, so the event loop is
// free while the kernels run. The queue holds references to the typed arrays its jobs touch, so
// nothing they use can be garbage-collected before they have run. The JavaScript side
// (lib/engine/deferred.ts) decides what may be recorded and flushes before any JavaScript read of
// tensor memory.
//
//   recordBegin()                 start queueing (Error if already recording)
//   recordEnd() -> number         stop queueing; returns the number of queued jobs
//   recordPending() -> number     queued jobs not yet run
//   recordFlush()                 run the queue now on this thread (after any batch in flight)
//   recordFlushAsync() -> Promise run the queue on the libuv pool, after any batch in flight
//   recordWait()                  block until every batch in flight has finished
//
// Step capture (lib/training/step_capture.ts) reuses a recording: once a training step is known to
// queue the same jobs every time, its jobs are kept and queued again for the following steps, so
// the JavaScript that produced them (the tape, shapes, allocations) does not run again.
//   recordSnapshot(begin, end) -> handle   copies of queued jobs [begin, end) and references to
//                                          every typed array the queue holds (a superset)
//   recordReplay(handle)                   while recording: queue the snapshot's jobs again, as one job
//   recordProfile(handle, on)              time each job of the snapshot's replays (on clears totals)
//   recordProfileReport(handle)            {names, ms, runs}: the binding function behind each job
//                                          and its summed wall time
// (A new batch is fed into a captured input buffer by copyBuffer, itself a queued job.)
#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <utility>

#include "binding/binding.h"
#include "binding/instance.h"

namespace convkit::binding {

namespace {

void wait_in_flight(Recording& r) {
  if (!r.in_flight) return;
  auto f = r.in_flight;
  std::unique_lock<std::mutex> lk(f->mu);
  f->cv.wait(lk, [&] { return f->done; });
}

}  // namespace

bool record_if_active(const Napi::CallbackInfo& info, std::function<void(const CancelToken&)>& job, std::string name) {
  Recording& r = instance(info.Env()).recording;
  if (!r.active) return false;
  for (std::size_t i = 0; i < info.Length(); ++i)
    if (info[i].IsObject()) r.refs.push_back(Napi::Persistent(info[i].As<Napi::Object>()));
  r.jobs.push_back(std::move(job));
  r.names.push_back(std::move(name));
  return true;
}

void run_recorded_now(Napi::Env env) {
  Recording& r = instance(env).recording;
  wait_in_flight(r);
  auto jobs = std::move(r.jobs);
  auto refs = std::move(r.refs);
  r.jobs.clear();
  r.names.clear();
  r.refs.clear();
  for (auto& j : jobs) j(CancelToken{});  // an exception drops the rest, as eager code would stop there
}

namespace {

// A reusable list of recorded jobs. The jobs capture raw pointers, so the list holds references to
// the typed arrays they point into; the JavaScript side keeps every other buffer they touch alive
// (step_capture.ts holds the frees of a captured step's temporaries until the capture is dropped).
struct JobList {
  std::vector<Job> jobs;
  std::vector<std::string> names;
  std::vector<Napi::ObjectReference> refs;
  // Step profile (recordProfile): when on, each replay adds each job's wall time here. Written
  // only by the thread running the batch, read on the JS thread between batches (recordWait first).
  std::atomic<bool> profile{false};
  std::vector<double> ms;
  std::uint64_t runs = 0;
};
const napi_type_tag kJobListTag = {0x636f6e766b697472ULL, 0x65636f7264000001ULL};  // "convkitrecord"

Napi::Value record_snapshot(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Recording& r = instance(env).recording;
  auto n = static_cast<std::int64_t>(r.jobs.size());
  std::int64_t begin = arg_int(info, 0, "begin", 0, n);
  std::int64_t end = arg_int(info, 1, "end", begin, n);
  auto* list = new JobList;
  list->jobs.assign(r.jobs.begin() + begin, r.jobs.begin() + end);
  list->names.assign(r.names.begin() + begin, r.names.begin() + end);
  list->ms.assign(list->jobs.size(), 0.0);
  list->refs.reserve(r.refs.size());
  for (auto& ref : r.refs) list->refs.push_back(Napi::Persistent(ref.Value()));
  auto ext = Napi::External<JobList>::New(env, list, [](Napi::Env, JobList* p) { delete p; });
  ext.TypeTag(&kJobListTag);
  return ext;
}

Napi::Value record_replay(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Recording& r = instance(env).recording;
  if (info.Length() < 1 || !info[0].IsExternal() || !info[0].As<Napi::External<JobList>>().CheckTypeTag(&kJobListTag))
    throw_type_error(env, "recordReplay: handle must be a recording snapshot from recordSnapshot()");
  if (!r.active) throw Napi::Error::New(env, "convkit: recordReplay() outside a recording");
  JobList* list = info[0].As<Napi::External<JobList>>().Data();
  // The handle itself goes into the queue's references, so the list outlives the batch that runs it.
  r.refs.push_back(Napi::Persistent(info[0].As<Napi::Object>()));
  r.jobs.push_back([list](const CancelToken& c) {
    if (!list->profile.load(std::memory_order_relaxed)) {
      for (const Job& j : list->jobs) j(c);
      return;
    }
    using clock = std::chrono::steady_clock;
    for (std::size_t i = 0; i < list->jobs.size(); ++i) {
      auto t0 = clock::now();
      list->jobs[i](c);
      list->ms[i] += std::chrono::duration<double, std::milli>(clock::now() - t0).count();
    }
    list->runs++;
  });
  r.names.push_back("replay");
  return env.Undefined();
}

JobList* job_list(const Napi::CallbackInfo& info, const char* who) {
  if (info.Length() < 1 || !info[0].IsExternal() || !info[0].As<Napi::External<JobList>>().CheckTypeTag(&kJobListTag))
    throw_type_error(info.Env(), std::string(who) + ": handle must be a recording snapshot from recordSnapshot()");
  return info[0].As<Napi::External<JobList>>().Data();
}

// recordProfile(handle, on): start (clearing the totals) or stop timing each job of the snapshot's replays.
Napi::Value record_profile(const Napi::CallbackInfo& info) {
  JobList* list = job_list(info, "recordProfile");
  bool on = arg_bool(info, 1, "on");
  wait_in_flight(instance(info.Env()).recording);
  if (on) {
    std::fill(list->ms.begin(), list->ms.end(), 0.0);
    list->runs = 0;
  }
  list->profile.store(on, std::memory_order_relaxed);
  return info.Env().Undefined();
}

// recordProfileReport(handle) -> {names: string[], ms: Float64Array (summed over runs), runs}
Napi::Value record_profile_report(const Napi::CallbackInfo& info) {
  JobList* list = job_list(info, "recordProfileReport");
  Napi::Env env = info.Env();
  wait_in_flight(instance(env).recording);
  Napi::Object out = Napi::Object::New(env);
  Napi::Array names = Napi::Array::New(env, list->names.size());
  for (std::size_t i = 0; i < list->names.size(); ++i) names.Set(static_cast<uint32_t>(i), list->names[i]);
  Napi::Float64Array ms = Napi::Float64Array::New(env, list->ms.size());
  std::copy(list->ms.begin(), list->ms.end(), ms.Data());
  out.Set("names", names);
  out.Set("ms", ms);
  out.Set("runs", Napi::Number::New(env, static_cast<double>(list->runs)));
  return out;
}

Napi::Value record_begin(const Napi::CallbackInfo& info) {
  Recording& r = instance(info.Env()).recording;
  if (r.active) throw Napi::Error::New(info.Env(), "convkit: recordBegin() while already recording");
  r.active = true;
  return info.Env().Undefined();
}

Napi::Value record_end(const Napi::CallbackInfo& info) {
  Recording& r = instance(info.Env()).recording;
  r.active = false;
  return Napi::Number::New(info.Env(), static_cast<double>(r.jobs.size()));
}

Napi::Value record_pending(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(instance(info.Env()).recording.jobs.size()));
}

Napi::Value record_flush(const Napi::CallbackInfo& info) {
  run_recorded_now(info.Env());
  return info.Env().Undefined();
}

Napi::Value record_wait(const Napi::CallbackInfo& info) {
  wait_in_flight(instance(info.Env()).recording);
  return info.Env().Undefined();
}

Napi::Value record_flush_async(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Recording& r = instance(env).recording;
  auto jobs = std::make_shared<std::vector<std::function<void(const CancelToken&)>>>(std::move(r.jobs));
  r.jobs.clear();
  r.names.clear();
  std::vector<Napi::Value> keep;
  keep.reserve(r.refs.size());
  for (auto& ref : r.refs) keep.push_back(ref.Value());
  // Batches run in the order they were flushed: a batch flushed while the previous one is still
  // running waits for it on its pool thread (the libuv queue is FIFO, so the one it waits for
  // already has a thread; no deadlock). This lets JavaScript record the next batch meanwhile.
  std::shared_ptr<Recording::InFlight> prev = r.in_flight;
  auto flight = std::make_shared<Recording::InFlight>();
  r.in_flight = flight;
  Napi::Promise p = run_async(
      env, keep,
      [jobs, flight, prev] {
        // Mark the batch finished however it ends, so recordWait() and later batches never block forever.
        struct Done {
          std::shared_ptr<Recording::InFlight> f;
          ~Done() {
            {
              std::lock_guard<std::mutex> lk(f->mu);
              f->done = true;
            }
            f->cv.notify_all();
          }
        } done{flight};
        if (prev) {
          std::unique_lock<std::mutex> lk(prev->mu);
          prev->cv.wait(lk, [&] { return prev->done; });
        }
        for (auto& j : *jobs) j(CancelToken{});
      },
      [flight](Napi::Env e) -> Napi::Value {
        Recording& rr = instance(e).recording;
        if (rr.in_flight == flight) rr.in_flight.reset();
        return e.Undefined();
      });
  r.refs.clear();  // run_async holds its own references until the work completes
  return p;
}

}  // namespace

CONVKIT_BINDING(recording) {
  def(env, exports, "recordBegin", &record_begin);
  def(env, exports, "recordEnd", &record_end);
  def(env, exports, "recordPending", &record_pending);
  def(env, exports, "recordFlush", &record_flush);
  def(env, exports, "recordFlushAsync", &record_flush_async);
  def(env, exports, "recordWait", &record_wait);
  def(env, exports, "recordSnapshot", &record_snapshot);
  def(env, exports, "recordReplay", &record_replay);
  def(env, exports, "recordProfile", &record_profile);
  def(env, exports, "recordProfileReport", &record_profile_report);
}

}  // namespace convkit::binding
