#include "core/malloc_tuning.h"

#include <malloc.h>

#include <cstdlib>
#include <string_view>

namespace switchyard {
namespace {

// glibc's own ceilings for its dynamic thresholds (DEFAULT_MMAP_THRESHOLD_MAX
// on 64-bit, and twice that for trimming, as its adaptation sets them).
constexpr int kMmapThreshold = 32 << 20;
constexpr int kTrimThreshold = 64 << 20;

}  // namespace

std::string TuneMallocForServing() {
  for (const char* name :
       {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_"}) {
    if (std::getenv(name) != nullptr) return std::string("malloc: left as ") + name + " sets it";
  }
  if (const char* tunables = std::getenv("GLIBC_TUNABLES");
      tunables != nullptr && std::string_view(tunables).find("glibc.malloc.") != std::string_view::npos) {
    return "malloc: left as GLIBC_TUNABLES sets it";
  }
  // Setting either threshold also turns glibc's adaptation off: they stay.
  if (::mallopt(M_MMAP_THRESHOLD, kMmapThreshold) != 1 || ::mallopt(M_TRIM_THRESHOLD, kTrimThreshold) != 1) {
    return "malloc: glibc refused the thresholds; left as it was";
  }
  return "malloc: blocks up to 32 MiB from the arenas, up to 64 MiB kept free per arena";
}

}  // namespace switchyard
