// Allocation-failure injection (ncnn's TestOOMAllocator idea, research B6.3). This binary replaces
// malloc/calloc/realloc/aligned allocation and operator new with versions that count calls on the
// test thread and fail the i-th one. It first counts the allocations of load + create + invoke of
// the sweep model, then fails each of them in turn: every run must return TERNRT_OUT_OF_MEMORY,
// leave the handles deletable and leak nothing (LeakSanitizer; the test is built only with ASan).
#include <doctest/doctest.h>

#include <dlfcn.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>

#include "bad-models.h"

// Built only with AddressSanitizer (tests/robustness/CMakeLists.txt): LeakSanitizer checks each run.
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>

namespace {

using MallocFn = void* (*)(size_t);
using CallocFn = void* (*)(size_t, size_t);
using ReallocFn = void* (*)(void*, size_t);
using FreeFn = void (*)(void*);
using MemalignFn = int (*)(void**, size_t, size_t);
using AlignedAllocFn = void* (*)(size_t, size_t);

MallocFn real_malloc;
CallocFn real_calloc;
ReallocFn real_realloc;
FreeFn real_free;
MemalignFn real_posix_memalign;
AlignedAllocFn real_aligned_alloc;

// dlsym may allocate while we resolve the real functions: serve that from a static arena.
alignas(64) char bootstrap[8192];
size_t bootstrap_used = 0;
bool resolving = false;

bool in_bootstrap(const void* p) { return p >= bootstrap && p < bootstrap + sizeof bootstrap; }

void* bootstrap_alloc(size_t n) {
  n = (n + 63) / 64 * 64;
  if (bootstrap_used + n > sizeof bootstrap) return nullptr;
  void* p = bootstrap + bootstrap_used;
  bootstrap_used += n;
  return p;
}

void resolve() {
  if (real_malloc || resolving) return;
  resolving = true;
  real_calloc = reinterpret_cast<CallocFn>(dlsym(RTLD_NEXT, "calloc"));
  real_realloc = reinterpret_cast<ReallocFn>(dlsym(RTLD_NEXT, "realloc"));
  real_free = reinterpret_cast<FreeFn>(dlsym(RTLD_NEXT, "free"));
  real_posix_memalign = reinterpret_cast<MemalignFn>(dlsym(RTLD_NEXT, "posix_memalign"));
  real_aligned_alloc = reinterpret_cast<AlignedAllocFn>(dlsym(RTLD_NEXT, "aligned_alloc"));
  real_malloc = reinterpret_cast<MallocFn>(dlsym(RTLD_NEXT, "malloc"));
  resolving = false;
}

// Injection state. Only allocations on the thread that armed the counter are counted.
thread_local bool armed = false;
long counted = 0;    // allocations seen while armed
long fail_at = -1;   // 1-based index of the allocation to fail; -1: none
bool failed = false;

bool should_fail() {
  if (!armed) return false;
  ++counted;
  if (counted == fail_at) {
    failed = true;
    if (std::getenv("TERNRT_ALLOC_FAILURE_TRACE")) __sanitizer_print_stack_trace();  // where the i-th allocation is
    errno = ENOMEM;
    return true;
  }
  return false;
}

void* counted_new(size_t n) {
  if (should_fail()) throw std::bad_alloc();
  resolve();
  void* p = real_malloc(n ? n : 1);
  if (!p) throw std::bad_alloc();
  return p;
}

void* counted_aligned_new(size_t n, size_t align) {
  if (should_fail()) throw std::bad_alloc();
  resolve();
  void* p = nullptr;
  if (real_posix_memalign(&p, align < sizeof(void*) ? sizeof(void*) : align, n ? n : 1) != 0) throw std::bad_alloc();
  return p;
}

}  // namespace

extern "C" {

void* malloc(size_t n) {
  if (!real_malloc) {
    if (resolving) return bootstrap_alloc(n);
    resolve();
  }
  if (should_fail()) return nullptr;
  return real_malloc(n);
}

void* calloc(size_t count, size_t n) {
  if (!real_calloc) {
    if (resolving) return bootstrap_alloc(count * n);  // static storage is already zero
    resolve();
  }
  if (should_fail()) return nullptr;
  return real_calloc(count, n);
}

void* realloc(void* p, size_t n) {
  resolve();
  if (in_bootstrap(p)) {
    void* q = malloc(n);
    if (q) std::memcpy(q, p, n < 64 ? n : 64);
    return q;
  }
  if (should_fail()) return nullptr;
  return real_realloc(p, n);
}

void free(void* p) {
  if (p == nullptr || in_bootstrap(p)) return;
  resolve();
  real_free(p);
}

int posix_memalign(void** out, size_t align, size_t n) {
  resolve();
  if (should_fail()) return ENOMEM;
  return real_posix_memalign(out, align, n);
}

void* aligned_alloc(size_t align, size_t n) {
  resolve();
  if (should_fail()) return nullptr;
  return real_aligned_alloc(align, n);
}

void* memalign(size_t align, size_t n) {
  void* p = nullptr;
  return posix_memalign(&p, align < sizeof(void*) ? sizeof(void*) : align, n) == 0 ? p : nullptr;
}

}  // extern "C"

// operator new too: under ASan it does not go through malloc.
void* operator new(size_t n) { return counted_new(n); }
void* operator new[](size_t n) { return counted_new(n); }
// Not counted: callers of nothrow new handle failure by design (std::stable_sort's temporary
// buffer falls back to an in-place sort), so failing it proves nothing about ternrt.
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  resolve();
  return real_malloc(n ? n : 1);
}
void* operator new[](size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void* operator new(size_t n, std::align_val_t a) { return counted_aligned_new(n, static_cast<size_t>(a)); }
void* operator new[](size_t n, std::align_val_t a) { return counted_aligned_new(n, static_cast<size_t>(a)); }
void operator delete(void* p) noexcept { free(p); }
void operator delete[](void* p) noexcept { free(p); }
void operator delete(void* p, size_t) noexcept { free(p); }
void operator delete[](void* p, size_t) noexcept { free(p); }
void operator delete(void* p, std::align_val_t) noexcept { free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { free(p); }

using namespace ternrt::robustness;

namespace {

struct Run {
  ternrt_status status = TERNRT_OK;
  std::string message;
};

// load + create + set_input + invoke + get_output with injection armed; handles deleted after.
Run armed_run(const std::vector<uint8_t>& bytes, long fail_index) {
  fail_at = fail_index;
  counted = 0;
  failed = false;
  std::vector<float> x(kSweepInputElements, 0.25f), y(kSweepOutputElements);
  ternrt_model* model = nullptr;
  ternrt_interpreter* it = nullptr;
  armed = true;
  ternrt_status s = ternrt_model_load_memory(bytes.data(), bytes.size(), &model);
  if (s == TERNRT_OK) s = ternrt_interpreter_create(model, nullptr, &it);
  if (s == TERNRT_OK) s = ternrt_interpreter_set_input(it, 0, x.data(), x.size() * 4);
  if (s == TERNRT_OK) s = ternrt_interpreter_invoke(it);
  if (s == TERNRT_OK) s = ternrt_interpreter_get_output(it, 0, y.data(), y.size() * 4);
  armed = false;
  Run r{s, s == TERNRT_OK ? "" : ternrt_last_error()};
  ternrt_interpreter_delete(it);
  ternrt_model_delete(model);
  return r;
}

}  // namespace

static void check_every_allocation(const std::vector<uint8_t>& bytes) {
  // Warm up one-time state (XNNPACK and cpuinfo initialization, the per-thread error string) so
  // that the counted runs see only per-model allocations.
  REQUIRE(armed_run(bytes, -1).status == TERNRT_OK);
  const Run warm = armed_run(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 100), -1);
  REQUIRE(warm.status == TERNRT_INVALID_MODEL);
  REQUIRE(armed_run(bytes, -1).status == TERNRT_OK);
  const long total = counted;
  REQUIRE(total > 10);
  MESSAGE("load + create + invoke of the sweep model makes " << total << " allocations");

  long oom = 0;
  for (long i = 1; i <= total; ++i) {
    const Run r = armed_run(bytes, i);
    REQUIRE(failed);
    if (r.status != TERNRT_OUT_OF_MEMORY) {
      FAIL_CHECK("failing allocation " << i << " of " << total << " gave " << std::string(ternrt_status_name(r.status)) << ": "
                                        << r.message << " (TERNRT_ALLOC_FAILURE_TRACE=1 prints where each allocation fails)");
    } else {
      ++oom;
      if (r.message.empty()) FAIL_CHECK("allocation " << i << ": OUT_OF_MEMORY without a message");
    }
    if (__lsan_do_recoverable_leak_check() != 0) FAIL_CHECK("failing allocation " << i << " leaked (report above)");
  }
  CHECK(oom == total);
  // And the runtime still works afterwards.
  CHECK(armed_run(bytes, -1).status == TERNRT_OK);
}

TEST_CASE("every allocation of load + create + invoke can fail cleanly") {
  SUBCASE("dynamic activations") { check_every_allocation(sweep_model()); }
  SUBCASE("static int8 activations") { check_every_allocation(sweep_model(true)); }
}
