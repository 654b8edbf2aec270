// The core's two kinds of failure, kept apart all the way to JavaScript (the binding maps them):
//  - InvalidArgument: the caller's fault (shapes, sizes, options). Becomes a RangeError/TypeError.
//  - Unsupported: a valid request convkit does not do (e.g. Winograd for a 5x5 stride-2 conv).
//    Becomes an Error with code 'ERR_CONVKIT_UNSUPPORTED'.
//  - Cancelled: the caller's AbortSignal fired; becomes an AbortError.
#pragma once
#include <stdexcept>
#include <string>

namespace convkit {

struct InvalidArgument : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};
struct Unsupported : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct Cancelled : std::runtime_error {
  Cancelled() : std::runtime_error("the operation was aborted") {}
};

// A flag an async caller may set to ask long-running work to stop at the next tile boundary.
// Reads are relaxed atomics on a plain int owned by the caller (an Int32Array cell in JS).
struct CancelToken {
  const volatile int* flag = nullptr;
  bool requested() const { return flag && __atomic_load_n(const_cast<const int*>(flag), __ATOMIC_RELAXED) != 0; }
  void check() const {
    if (requested()) throw Cancelled();
  }
};

}  // namespace convkit
