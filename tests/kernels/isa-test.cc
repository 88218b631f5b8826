// ISA names, detection and the TERNRT_ISA override.
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <string>

#include <doctest/doctest.h>

#include "ternrt/kernels/t2i8-gemm.h"

using namespace ternrt::kernels;

TEST_CASE("isa_name and parse_isa are inverse") {
  for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512bw, Isa::avx512vnni, Isa::neon, Isa::neondot}) {
    Isa parsed = Isa::scalar;
    REQUIRE(parse_isa(isa_name(isa), &parsed));
    CHECK(parsed == isa);
  }
  CHECK(std::strcmp(isa_name(Isa::avx512bw), "avx512") == 0);
  Isa unused;
  CHECK_FALSE(parse_isa("sse2", &unused));
  CHECK_FALSE(parse_isa("", &unused));
  CHECK_FALSE(parse_isa(nullptr, &unused));
}

TEST_CASE("isa_supported: scalar always; x86 and ARM never both") {
  CHECK(isa_supported(Isa::scalar));
  const bool x86 = isa_supported(Isa::avx2) || isa_supported(Isa::avx512bw) || isa_supported(Isa::avx512vnni);
  const bool arm = isa_supported(Isa::neon) || isa_supported(Isa::neondot);
  CHECK_FALSE((x86 && arm));
  if (isa_supported(Isa::avx512vnni)) CHECK(isa_supported(Isa::avx512bw));
  if (isa_supported(Isa::avx512bw)) CHECK(isa_supported(Isa::avx2));
  if (isa_supported(Isa::neondot)) CHECK(isa_supported(Isa::neon));
  MESSAGE((std::string("best ISA here: ") + isa_name(default_isa())));
}

TEST_CASE("TERNRT_ISA forces a supported ISA and reports bad names") {
  const char* saved_env = std::getenv("TERNRT_ISA");
  const std::string saved = saved_env ? saved_env : "";
  unsetenv("TERNRT_ISA");
  const char* error = nullptr;
  const Isa best = default_isa(&error);
  CHECK(error == nullptr);
  for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512bw, Isa::avx512vnni, Isa::neon, Isa::neondot}) {
    setenv("TERNRT_ISA", isa_name(isa), 1);
    error = nullptr;
    const Isa chosen = default_isa(&error);
    if (isa_supported(isa)) {
      CHECK(chosen == isa);
      CHECK(error == nullptr);
    } else {
      CHECK(chosen == best);
      REQUIRE(error != nullptr);
      CHECK(std::strstr(error, "not support") != nullptr);
    }
  }
  setenv("TERNRT_ISA", "avx9000", 1);
  error = nullptr;
  CHECK(default_isa(&error) == best);
  REQUIRE(error != nullptr);
  CHECK(std::strstr(error, "unknown") != nullptr);
  if (saved_env) setenv("TERNRT_ISA", saved.c_str(), 1); else unsetenv("TERNRT_ISA");
}
