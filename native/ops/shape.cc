#include "ops/shape.h"

#include "runtime/errors.h"

namespace convkit {

std::size_t shape_numel(const Shape& s) {
  std::size_t n = 1;
  for (std::size_t d : s) n *= d;
  return n;
}

std::string shape_str(const Shape& s) {
  std::string r = "[";
  for (std::size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}

std::vector<std::size_t> shape_strides(const Shape& s) {
  std::vector<std::size_t> st(s.size());
  std::size_t k = 1;
  for (std::size_t i = s.size(); i-- > 0;) {
    st[i] = k;
    k *= s[i];
  }
  return st;
}

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  std::size_t r = std::max(a.size(), b.size());
  Shape out(r);
  for (std::size_t i = 0; i < r; ++i) {
    std::size_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    std::size_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (da != db && da != 1 && db != 1)
      throw InvalidArgument("shapes " + shape_str(a) + " and " + shape_str(b) + " cannot be broadcast together (dimension " +
                            std::to_string(i) + ": " + std::to_string(da) + " vs " + std::to_string(db) + ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

void check_shape_eq(const Shape& got, const Shape& want, const char* what) {
  if (got != want) throw InvalidArgument(std::string(what) + ": expected shape " + shape_str(want) + ", got " + shape_str(got));
}

}  // namespace convkit
