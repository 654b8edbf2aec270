#include <cstring>
#include <stdexcept>

#include "dispatch/cpu.h"
#include "tests/test_util.h"

using namespace convkit;

int main() {
  auto isas = available_isas();
  CK_CHECK(!isas.empty() && isas.front() == Isa::scalar);
  CK_CHECK(isas.back() == detected_isa());
  for (Isa isa : isas) {
    set_isa_override(isa);
    CK_CHECK(active_isa() == isa);
    Isa parsed;
    CK_CHECK(parse_isa(isa_name(isa), &parsed) && parsed == isa);
  }
  clear_isa_override();
  Isa x;
  CK_CHECK(!parse_isa("sse9", &x));
  if (detected_isa() != Isa::avx512) {
    bool threw = false;
    try {
      set_isa_override(Isa::avx512);
    } catch (const std::invalid_argument&) {
      threw = true;
    }
    CK_CHECK(threw);
  }
  CK_CHECK(std::strlen(cpu_info().vendor) > 0);
  return test::finish("cpu_test");
}
