#include "pipeline/batch_pool.h"

#include <fmt/format.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

namespace switchyard {

int64_t MemAvailableBytes() {
  FILE* f = std::fopen("/proc/meminfo", "r");
  if (f == nullptr) return 0;
  char line[256];
  long long kb = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::sscanf(line, "MemAvailable: %lld kB", &kb) == 1) break;
  }
  std::fclose(f);
  return kb * 1024;
}

Result<BatchPool> BatchPool::Create(const BatchLayout& layout, int slots, bool shared) {
  const int64_t bytes = layout.SlotBytes() * slots;
  const int64_t available = MemAvailableBytes();
  if (available > 0 && bytes > available / 2) {
    return InvalidArgument(fmt::format(
        "the batch pool would need {:.1f} GB ({} slots = workers x prefetch, each {} items of {:.1f} MB) but "
        "only {:.1f} GB of memory is available: lower --batch, --prefetch or --workers",
        static_cast<double>(bytes) / 1e9, slots, layout.batch, static_cast<double>(layout.item_capacity) / 1e6,
        static_cast<double>(available) / 1e9));
  }
  void* base = ::mmap(nullptr, static_cast<size_t>(bytes), PROT_READ | PROT_WRITE,
                      (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (base == MAP_FAILED) {
    return Internal(fmt::format("mapping the batch pool ({} bytes): {}", bytes, std::strerror(errno)));
  }
  return BatchPool(layout, slots, static_cast<std::byte*>(base));
}

BatchPool::BatchPool(BatchPool&& other) noexcept
    : layout_(other.layout_), slots_(other.slots_), base_(std::exchange(other.base_, nullptr)) {}

BatchPool::~BatchPool() {
  if (base_ != nullptr) ::munmap(base_, static_cast<size_t>(bytes()));
}

}  // namespace switchyard
