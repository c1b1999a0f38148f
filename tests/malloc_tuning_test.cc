// core/malloc_tuning.h: a serving process keeps the memory its requests free,
// unless the environment tunes malloc itself.
#include "core/malloc_tuning.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdlib>
#include <string>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SWITCHYARD_OWN_MALLOC 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SWITCHYARD_OWN_MALLOC 0
#endif
#endif
#ifndef SWITCHYARD_OWN_MALLOC
#define SWITCHYARD_OWN_MALLOC 1  // glibc's malloc, not a sanitizer's
#endif

namespace switchyard {
namespace {

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~ScopedEnv() { ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

TEST(MallocTuningTest, LeavesMallocAloneWhenTheEnvironmentTunesIt) {
  for (const char* name :
       {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_"}) {
    ScopedEnv env(name, "131072");
    const std::string said = TuneMallocForServing();
    EXPECT_NE(said.find("left as"), std::string::npos) << said;
    EXPECT_NE(said.find(name), std::string::npos) << said;
  }
  ScopedEnv tunables("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=131072");
  EXPECT_NE(TuneMallocForServing().find("GLIBC_TUNABLES"), std::string::npos);
}

TEST(MallocTuningTest, OtherTunablesDoNotCount) {
  ScopedEnv tunables("GLIBC_TUNABLES", "glibc.pthread.rseq=0");
  const std::string said = TuneMallocForServing();
  EXPECT_EQ(said.find("GLIBC_TUNABLES"), std::string::npos) << said;
}

// A 1 MiB block, above glibc's starting threshold of 128 KiB, comes from an
// arena rather than from mmap once tuned (mallinfo2's hblks counts mmapped
// blocks).
TEST(MallocTuningTest, BlocksOfAMebibyteComeFromTheArenas) {
  const std::string said = TuneMallocForServing();
  if (!SWITCHYARD_OWN_MALLOC) GTEST_SKIP() << "a sanitizer's allocator: " << said;
  ASSERT_NE(said.find("32 MiB"), std::string::npos) << said;
  const size_t before = ::mallinfo2().hblks;
  void* block = std::malloc(1 << 20);
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(::mallinfo2().hblks, before);
  std::free(block);
}

}  // namespace
}  // namespace switchyard
