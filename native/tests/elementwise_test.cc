// Elementwise family vs plain double-precision references, on every ISA, odd sizes and tails.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "ops/elementwise.h"
#include "ops/grad_activation.h"
#include "tests/test_util.h"

using namespace convkit;

namespace {

const float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();

double ref_unary(UnaryOp op, double x, double alpha, double beta = 0) {
  switch (op) {
    case UnaryOp::relu: return x != x ? x : (x > 0 ? x : 0);
    case UnaryOp::relu6: return x != x ? x : std::min(6.0, std::max(0.0, x));
    case UnaryOp::leaky_relu: return x < 0 ? alpha * x : x;
    case UnaryOp::elu: return x < 0 ? alpha * std::expm1(x) : x;
    case UnaryOp::sigmoid: return 1 / (1 + std::exp(-x));
    case UnaryOp::tanh: return std::tanh(x);
    case UnaryOp::exp: return std::exp(x);
    case UnaryOp::log: return std::log(x);
    case UnaryOp::neg: return -x;
    case UnaryOp::abs: return std::fabs(x);
    case UnaryOp::sqrt: return std::sqrt(x);
    case UnaryOp::square: return x * x;
    case UnaryOp::softplus: return std::log1p(std::exp(-std::fabs(x))) + std::max(x, 0.0);
    case UnaryOp::swish: return x / (1 + std::exp(-x));
    case UnaryOp::reciprocal: return 1 / x;
    case UnaryOp::rsqrt: return 1 / std::sqrt(x);
    case UnaryOp::sign: return x != x ? x : (x > 0 ? 1 : x < 0 ? -1 : 0);
    case UnaryOp::step: return x > 0 ? 1 : 0;
    case UnaryOp::min_scalar: return x <= alpha ? x : alpha;
    case UnaryOp::max_scalar: return x >= alpha ? x : alpha;
    case UnaryOp::clip: return x < alpha ? alpha : x > beta ? beta : x;
    case UnaryOp::pow_scalar: return std::pow(x, alpha);
  }
  return 0;
}

// got matches want (rounded to float): same class for inf/NaN, else within atol + rtol*|want|.
bool close(float got, double want_d, double atol, double rtol) {
  float want = static_cast<float>(want_d);
  if (std::isnan(want)) return std::isnan(got);
  if (std::isinf(want)) return got == want;
  if (std::isnan(got) || std::isinf(got)) return false;
  return std::fabs(static_cast<double>(got) - want_d) <= atol + rtol * std::fabs(want_d);
}

void test_unary(Isa isa) {
  const UnaryOp ops[] = {UnaryOp::relu, UnaryOp::relu6, UnaryOp::leaky_relu, UnaryOp::elu, UnaryOp::sigmoid,
                         UnaryOp::tanh, UnaryOp::exp, UnaryOp::log, UnaryOp::neg, UnaryOp::abs, UnaryOp::sqrt,
                         UnaryOp::square, UnaryOp::softplus, UnaryOp::swish, UnaryOp::reciprocal,
                         UnaryOp::rsqrt, UnaryOp::sign, UnaryOp::step, UnaryOp::min_scalar, UnaryOp::max_scalar,
                         UnaryOp::clip, UnaryOp::pow_scalar};
  // clip's upper bound (beta); every other op ignores it.
  const float beta = 2.5f;
  for (std::size_t n : {1u, 7u, 15u, 16u, 17u, 33u, 1001u, 70001u}) {
    auto x = test::random_vector(n, static_cast<unsigned>(n) * 31 + static_cast<unsigned>(isa), -12.f, 12.f);
    for (UnaryOp op : ops) {
      std::vector<float> in = x;
      if (op == UnaryOp::log || op == UnaryOp::sqrt || op == UnaryOp::rsqrt || op == UnaryOp::pow_scalar)
        for (auto& v : in) v = std::fabs(v) * 3.f + 1e-30f;  // includes tiny values
      if (op == UnaryOp::exp)
        for (auto& v : in) v *= 8.f;  // [-96, 96]: underflow and overflow
      std::vector<float> y(n);
      unary_f32(op, in.data(), y.data(), n, 0.3f, beta);
      int bad = 0;
      for (std::size_t i = 0; i < n; ++i) {
        double want = ref_unary(op, in[i], 0.3, beta);
        // exp flushes results below FLT_MIN (1.2e-38) to zero: absolute tolerance there.
        double atol = op == UnaryOp::elu || op == UnaryOp::tanh || op == UnaryOp::softplus ? 2e-7 : 1e-37;
        if (!close(y[i], want, atol, 4e-6) && bad++ < 3)
          std::fprintf(stderr, "unary op %d x=%.9g got %.9g want %.9g\n", static_cast<int>(op), in[i], y[i], want);
      }
      CK_CHECK_MSG(bad == 0, "unary op %d n=%zu: %d mismatches", static_cast<int>(op), n, bad);
    }
  }
  // Special values through every code path (body and tail).
  std::vector<float> sp = {kInf, -kInf, kNaN, 0.f, -0.f, 1e-45f, -1.f, 88.7f, -87.0f, -88.5f, 1e-4f, -1e-4f, 20.f};
  for (UnaryOp op : ops) {
    std::vector<float> y(sp.size());
    unary_f32(op, sp.data(), y.data(), sp.size(), 0.3f, beta);
    for (std::size_t i = 0; i < sp.size(); ++i) {
      double want = ref_unary(op, sp[i], 0.3, beta);
      CK_CHECK_MSG(close(y[i], want, 1e-37, 4e-6), "special: op %d x=%g got %g want %g", static_cast<int>(op), sp[i], y[i], want);
    }
  }
}

double ref_binary(BinaryOp op, double a, double b) {
  switch (op) {
    case BinaryOp::add: return a + b;
    case BinaryOp::sub: return a - b;
    case BinaryOp::mul: return a * b;
    case BinaryOp::div: return a / b;
    case BinaryOp::maximum: return (a != a || b != b) ? NAN : std::max(a, b);
    case BinaryOp::minimum: return (a != a || b != b) ? NAN : std::min(a, b);
    case BinaryOp::squared_difference: return (a - b) * (a - b);
    case BinaryOp::greater: return a > b ? 1 : 0;
    case BinaryOp::equal: return a == b ? 1 : 0;
  }
  return 0;
}

// Index of the broadcast operand element for output multi-index idx.
std::size_t bidx(const Shape& s, const Shape& os, const std::vector<std::size_t>& idx) {
  std::size_t off = 0, r = os.size(), k = s.size();
  for (std::size_t i = 0; i < k; ++i) {
    std::size_t oi = idx[r - k + i];
    off = off * s[i] + (s[i] == 1 ? 0 : oi);
  }
  return off;
}

void test_binary(Isa isa) {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{17}, {17}},          {{2, 3, 4}, {4}},       {{2, 1, 4}, {3, 1}},   {{5, 1}, {1, 7}},
      {{}, {3, 2}},          {{1}, {1}},             {{7, 1, 33}, {7, 5, 33}}, {{3, 5, 1, 2}, {5, 9, 1}},
      {{1, 1, 300}, {40, 1}}, {{0, 3}, {3}},         {{70001}, {}},        {{2, 3}, {2, 3, 1, 1}}};
  for (auto& [as, bs] : cases) {
    Shape os = broadcast_shapes(as, bs);
    auto a = test::random_vector(shape_numel(as), 11 + static_cast<unsigned>(isa), -3.f, 3.f);
    auto b = test::random_vector(shape_numel(bs), 12, -3.f, 3.f);
    if (!b.empty()) b[0] = 0.f;  // division by zero -> inf
    if (a.size() > 2) a[2] = kNaN;
    const std::size_t n = shape_numel(os);
    for (int o = 0; o < kBinaryOpCount; ++o) {
      auto op = static_cast<BinaryOp>(o);
      std::vector<float> y(n);
      binary_f32(op, a.data(), as, b.data(), bs, y.data(), os);
      std::vector<std::size_t> idx(os.size(), 0);
      int bad = 0;
      for (std::size_t i = 0; i < n; ++i) {
        double want = ref_binary(op, a[bidx(as, os, idx)], b[bidx(bs, os, idx)]);
        if (!close(y[i], want, 0, 1e-6)) ++bad;
        for (std::size_t d = os.size(); d-- > 0;) {
          if (++idx[d] < os[d]) break;
          idx[d] = 0;
        }
      }
      CK_CHECK_MSG(bad == 0, "binary op %d %s x %s: %d mismatches", o, shape_str(as).c_str(), shape_str(bs).c_str(), bad);
    }
  }
  // Incompatible shapes and a wrong output shape are rejected.
  std::vector<float> a(6), b(4), y(24);
  bool threw = false;
  try {
    binary_f32(BinaryOp::add, a.data(), {2, 3}, b.data(), {4}, y.data(), {2, 3});
  } catch (const InvalidArgument&) {
    threw = true;
  }
  CK_CHECK(threw);
  threw = false;
  try {
    binary_f32(BinaryOp::add, a.data(), {2, 3}, b.data(), {1}, y.data(), {3, 2});
  } catch (const InvalidArgument&) {
    threw = true;
  }
  CK_CHECK(threw);
}

void test_softmax(Isa) {
  for (const Shape& s : {Shape{1, 1}, Shape{3, 17}, Shape{4, 1000}, Shape{2, 5, 3}, Shape{7}, Shape{2, 33, 4}}) {
    for (std::size_t axis = 0; axis < s.size(); ++axis) {
      auto x = test::random_vector(shape_numel(s), 5, -30.f, 30.f);
      std::vector<float> y(x.size()), ly(x.size());
      softmax_f32(x.data(), y.data(), s, axis, false);
      softmax_f32(x.data(), ly.data(), s, axis, true);
      std::size_t outer = 1, inner = 1, n = s[axis];
      for (std::size_t i = 0; i < axis; ++i) outer *= s[i];
      for (std::size_t i = axis + 1; i < s.size(); ++i) inner *= s[i];
      int bad = 0;
      for (std::size_t o = 0; o < outer; ++o)
        for (std::size_t i = 0; i < inner; ++i) {
          double m = -1e300, sum = 0;
          for (std::size_t j = 0; j < n; ++j) m = std::max(m, static_cast<double>(x[(o * n + j) * inner + i]));
          for (std::size_t j = 0; j < n; ++j) sum += std::exp(x[(o * n + j) * inner + i] - m);
          for (std::size_t j = 0; j < n; ++j) {
            std::size_t k = (o * n + j) * inner + i;
            double lw = x[k] - m - std::log(sum);
            if (!close(y[k], std::exp(lw), 1e-9, 1e-5) || !close(ly[k], lw, 1e-5, 1e-5)) ++bad;
          }
        }
      CK_CHECK_MSG(bad == 0, "softmax %s axis %zu: %d mismatches", shape_str(s).c_str(), axis, bad);
    }
  }
  // In place works, and huge logits do not overflow.
  std::vector<float> x = {1000.f, 1000.f, -1000.f};
  softmax_f32(x.data(), x.data(), {3}, 0, false);
  CK_CHECK(std::fabs(x[0] - 0.5f) < 1e-6f && std::fabs(x[1] - 0.5f) < 1e-6f && x[2] == 0.f);
}

// pow_scalar's exact vector forms and its per-element fallback, on negative bases too (integer
// exponents), and the comparison masks on operands that really are equal.
void test_pow_and_masks(Isa isa) {
  for (std::size_t n : {1u, 19u, 40u}) {
    auto x = test::random_vector(n, 77 + static_cast<unsigned>(isa), -4.f, 4.f);
    for (float p : {1.f, 2.f, 3.f, -1.f, -2.f, 0.f, 4.f}) {
      std::vector<float> y(n);
      unary_f32(UnaryOp::pow_scalar, x.data(), y.data(), n, p);
      for (std::size_t i = 0; i < n; ++i)
        CK_CHECK_MSG(close(y[i], std::pow(static_cast<double>(x[i]), p), 1e-30, 2e-7), "pow %g x=%g got %g", p, x[i], y[i]);
    }
    std::vector<float> b = x;
    for (std::size_t i = 0; i < n; i += 2) b[i] += 1.f;
    if (n > 3) x[3] = b[3] = kNaN;  // NaN == NaN is false
    std::vector<float> ge(n), eq(n);
    binary_f32(BinaryOp::greater, b.data(), {n}, x.data(), {n}, ge.data(), {n});
    binary_f32(BinaryOp::equal, b.data(), {n}, x.data(), {n}, eq.data(), {n});
    for (std::size_t i = 0; i < n; ++i) {
      bool nan = std::isnan(x[i]);
      CK_CHECK(ge[i] == (!nan && i % 2 == 0 ? 1.f : 0.f));
      CK_CHECK(eq[i] == (!nan && i % 2 == 1 ? 1.f : 0.f));
    }
  }
}

// Activation derivatives dx = dy * f'(in) against double references; inputs include the kinks
// (0, 6, the clip bounds) and NaN, on sizes with tails.
double ref_act_grad(grad::ActGrad k, double x, double alpha, double beta) {
  using grad::ActGrad;
  auto sg = [](double v) { return 1 / (1 + std::exp(-v)); };
  switch (k) {
    case ActGrad::relu: return x > 0 ? 1 : 0;
    case ActGrad::relu6: return x > 0 && x < 6 ? 1 : 0;
    case ActGrad::leaky_relu: return x > 0 ? 1 : alpha;
    case ActGrad::elu: return x > 0 ? 1 : alpha * std::exp(x);
    case ActGrad::sigmoid: return x * (1 - x);
    case ActGrad::tanh: return 1 - x * x;
    case ActGrad::softplus: return sg(x);
    case ActGrad::swish: return sg(x) + x * sg(x) * (1 - sg(x));
    case ActGrad::clip: return x >= alpha && x <= beta ? 1 : 0;
  }
  return 0;
}

void test_act_grad(Isa isa) {
  using grad::ActGrad;
  const ActGrad kinds[] = {ActGrad::relu, ActGrad::relu6, ActGrad::leaky_relu, ActGrad::elu, ActGrad::sigmoid,
                           ActGrad::tanh, ActGrad::softplus, ActGrad::swish, ActGrad::clip};
  for (std::size_t n : {1u, 5u, 16u, 23u, 1000u, 40001u}) {
    auto x = test::random_vector(n, 91 + static_cast<unsigned>(isa) + static_cast<unsigned>(n), -8.f, 8.f);
    auto dy = test::random_vector(n, 92, -2.f, 2.f);
    const float kinks[] = {0.f, -0.f, 6.f, -1.5f, 2.5f, kNaN, 1e-30f, -1e-30f};
    for (std::size_t i = 0; i < n && i < 8; ++i) x[i * (n / 8 + 1) % n] = kinks[i];
    for (ActGrad k : kinds) {
      // alpha: the slope/scale, or clip's lower bound (its upper bound is 2.5).
      const float a = k == ActGrad::clip ? -1.5f : 0.3f;
      std::vector<float> dx(n);
      grad::activation_grad(k, x.data(), dy.data(), dx.data(), n, a, 2.5f);
      int bad = 0;
      for (std::size_t i = 0; i < n; ++i) {
        if (std::isnan(x[i]) && k != ActGrad::relu && k != ActGrad::relu6 && k != ActGrad::leaky_relu &&
            k != ActGrad::clip)
          continue;  // smooth derivatives of NaN are NaN whatever the branch; checked by class below
        double want = static_cast<double>(dy[i]) * ref_act_grad(k, x[i], a, 2.5);
        if (std::isnan(x[i]) && k == ActGrad::leaky_relu) want = static_cast<double>(dy[i]) * a;
        if (!close(dx[i], want, 1e-7, 4e-6) && bad++ < 3)
          std::fprintf(stderr, "act_grad %d x=%.9g dy=%.9g got %.9g want %.9g\n", static_cast<int>(k), x[i], dy[i], dx[i], want);
      }
      CK_CHECK_MSG(bad == 0, "act_grad kind %d n=%zu: %d mismatches", static_cast<int>(k), n, bad);
    }
  }
}

void test_int32() {
  std::vector<std::int32_t> a = {1, -2, 2147483647}, b = {10}, y(3);
  binary_i32(BinaryOp::add, a.data(), {3}, b.data(), {1}, y.data(), {3});
  CK_CHECK(y[0] == 11 && y[1] == 8 && y[2] == -2147483639);  // wraps
  binary_i32(BinaryOp::maximum, a.data(), {3}, b.data(), {1}, y.data(), {3});
  CK_CHECK(y[0] == 10 && y[1] == 10 && y[2] == 2147483647);
}

}  // namespace

int main() {
  test::for_each_isa([](Isa isa) {
    test_unary(isa);
    test_binary(isa);
    test_pow_and_masks(isa);
    test_act_grad(isa);
    test_softmax(isa);
  });
  test_int32();
  return test::finish("elementwise_test");
}
