// Reductions, arg-reductions, transpose and casts vs plain references, on every ISA.
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "ops/reduce.h"
#include "ops/transpose.h"
#include "tests/test_util.h"

using namespace convkit;

namespace {

// Reference reduction by walking every input element and adding it to its output slot.
std::vector<double> ref_reduce(ReduceOp op, const std::vector<float>& x, const Shape& s, const std::vector<std::size_t>& axes) {
  std::vector<bool> red(s.size(), false);
  for (auto a : axes) red[a] = true;
  Shape os;
  std::size_t R = 1;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (red[i]) R *= s[i];
    else os.push_back(s[i]);
  }
  std::vector<double> out(shape_numel(os), op == ReduceOp::max ? -INFINITY : op == ReduceOp::min ? INFINITY : 0.0);
  std::vector<std::size_t> idx(s.size(), 0);
  for (std::size_t e = 0; e < x.size(); ++e) {
    std::size_t o = 0;
    for (std::size_t i = 0; i < s.size(); ++i)
      if (!red[i]) o = o * s[i] + idx[i];
    double v = x[e];
    if (op == ReduceOp::max) out[o] = std::max(out[o], v);
    else if (op == ReduceOp::min) out[o] = std::min(out[o], v);
    else out[o] += v;
    for (std::size_t d = s.size(); d-- > 0;) {
      if (++idx[d] < s[d]) break;
      idx[d] = 0;
    }
  }
  if (op == ReduceOp::mean)
    for (auto& v : out) v /= static_cast<double>(R);
  return out;
}

void test_reduce(Isa) {
  struct Case {
    Shape s;
    std::vector<std::size_t> axes;
  };
  const std::vector<Case> cases = {
      {{17}, {0}},          {{3, 1001}, {1}},        {{3, 1001}, {0}},       {{4, 5, 6}, {0, 2}},
      {{4, 5, 6}, {1}},     {{2, 3, 4, 5}, {3, 1}},  {{7, 1, 9}, {1}},       {{100003}, {0}},
      {{5, 4}, {}},         {{2, 3, 700}, {0, 1, 2}}, {{1, 33}, {0}},        {{6, 2, 1, 5}, {0, 2, 3}}};
  for (const auto& c : cases) {
    auto x = test::random_vector(shape_numel(c.s), 3, -2.f, 2.f);
    for (int o = 0; o < kReduceOpCount; ++o) {
      auto op = static_cast<ReduceOp>(o);
      auto want = ref_reduce(op, x, c.s, c.axes);
      std::vector<float> got(want.size());
      reduce_f32(op, x.data(), c.s, c.axes, got.data());
      double sum_abs = 0;
      for (float v : x) sum_abs += std::fabs(v);
      int bad = 0;
      for (std::size_t i = 0; i < want.size(); ++i)
        if (!(std::fabs(got[i] - want[i]) <= 1e-6 * (1 + std::fabs(want[i])) + 1e-7 * sum_abs / std::max<std::size_t>(1, want.size())))
          ++bad;
      CK_CHECK_MSG(bad == 0, "reduce op %d shape %s: %d mismatches", o, shape_str(c.s).c_str(), bad);
    }
  }
  // NaN propagates through max/min; empty reductions give the identity.
  std::vector<float> x = {1.f, NAN, 3.f};
  float m = 0;
  reduce_f32(ReduceOp::max, x.data(), {3}, {0}, &m);
  CK_CHECK(std::isnan(m));
  reduce_f32(ReduceOp::min, x.data(), {3}, {0}, &m);
  CK_CHECK(std::isnan(m));
  std::vector<float> e(3, 7.f);
  reduce_f32(ReduceOp::sum, nullptr, {3, 0}, {1}, e.data());
  CK_CHECK(e[0] == 0.f && e[2] == 0.f);
  reduce_f32(ReduceOp::max, nullptr, {3, 0}, {1}, e.data());
  CK_CHECK(std::isinf(e[1]) && e[1] < 0);
  bool threw = false;
  try {
    reduce_f32(ReduceOp::sum, x.data(), {3}, {1}, &m);
  } catch (const InvalidArgument&) {
    threw = true;
  }
  CK_CHECK(threw);
}

void test_argmax() {
  Shape s = {3, 4, 5};
  auto x = test::random_vector(60, 9);
  for (std::size_t axis = 0; axis < 3; ++axis)
    for (bool mx : {true, false}) {
      std::size_t outer = 1, inner = 1, n = s[axis];
      for (std::size_t i = 0; i < axis; ++i) outer *= s[i];
      for (std::size_t i = axis + 1; i < 3; ++i) inner *= s[i];
      std::vector<std::int32_t> got(outer * inner);
      arg_reduce_f32(mx, x.data(), s, axis, got.data());
      for (std::size_t o = 0; o < outer; ++o)
        for (std::size_t i = 0; i < inner; ++i) {
          std::size_t best = 0;
          for (std::size_t j = 1; j < n; ++j) {
            float v = x[(o * n + j) * inner + i], b = x[(o * n + best) * inner + i];
            if (mx ? v > b : v < b) best = j;
          }
          CK_CHECK(got[o * inner + i] == static_cast<std::int32_t>(best));
        }
    }
}

void test_transpose() {
  const std::vector<std::pair<Shape, std::vector<std::size_t>>> cases = {
      {{3, 5}, {1, 0}},        {{2, 3, 4}, {2, 0, 1}}, {{2, 3, 4}, {0, 2, 1}}, {{2, 3, 4, 5}, {3, 1, 0, 2}},
      {{1, 7, 1, 3}, {3, 2, 1, 0}}, {{4, 4}, {0, 1}},  {{33, 65}, {1, 0}},    {{2, 1, 3}, {1, 0, 2}}};
  for (auto& [s, perm] : cases) {
    std::size_t n = shape_numel(s);
    std::vector<float> x(n), y(n);
    for (std::size_t i = 0; i < n; ++i) x[i] = static_cast<float>(i);
    transpose_4b(x.data(), s, perm, y.data());
    auto st = shape_strides(s);
    Shape os(s.size());
    for (std::size_t k = 0; k < s.size(); ++k) os[k] = s[perm[k]];
    std::vector<std::size_t> idx(s.size(), 0);
    int bad = 0;
    for (std::size_t i = 0; i < n; ++i) {
      std::size_t src = 0;
      for (std::size_t k = 0; k < s.size(); ++k) src += idx[k] * st[perm[k]];
      if (y[i] != x[src]) ++bad;
      for (std::size_t d = os.size(); d-- > 0;) {
        if (++idx[d] < os[d]) break;
        idx[d] = 0;
      }
    }
    CK_CHECK_MSG(bad == 0, "transpose %s: %d mismatches", shape_str(s).c_str(), bad);
  }
  std::vector<float> x(6), y(6);
  bool threw = false;
  try {
    transpose_4b(x.data(), {2, 3}, {0, 0}, y.data());
  } catch (const InvalidArgument&) {
    threw = true;
  }
  CK_CHECK(threw);
}

void test_cast() {
  std::vector<float> f = {1.9f, -1.9f, 0.f, NAN, 3e9f, -3e9f, 2147483520.f, -2147483648.f, INFINITY};
  std::vector<std::int32_t> i(f.size());
  cast_f32_i32(f.data(), i.data(), f.size());
  CK_CHECK(i[0] == 1 && i[1] == -1 && i[2] == 0 && i[3] == 0);
  CK_CHECK(i[4] == std::numeric_limits<std::int32_t>::max() && i[5] == std::numeric_limits<std::int32_t>::min());
  CK_CHECK(i[6] == 2147483520 && i[7] == std::numeric_limits<std::int32_t>::min());
  CK_CHECK(i[8] == std::numeric_limits<std::int32_t>::max());
  std::vector<float> back(i.size());
  cast_i32_f32(i.data(), back.data(), i.size());
  CK_CHECK(back[0] == 1.f && back[1] == -1.f);
}

}  // namespace

int main() {
  test::for_each_isa([](Isa isa) { test_reduce(isa); });
  test_argmax();
  test_transpose();
  test_cast();
  return test::finish("reduce_test");
}
