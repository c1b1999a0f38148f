#include "pipeline/item_loader.h"

#include <cblas.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <utility>

namespace switchyard {

AlignedBuffer::AlignedBuffer(int64_t bytes) : size_(AlignUp(bytes, kPayloadAlign)) {
  if (size_ == 0) return;
  void* p = ::mmap(nullptr, static_cast<size_t>(size_), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (p == MAP_FAILED) std::abort();
  data_ = static_cast<std::byte*>(p);
}

AlignedBuffer::AlignedBuffer(AlignedBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

AlignedBuffer& AlignedBuffer::operator=(AlignedBuffer&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) ::munmap(data_, static_cast<size_t>(size_));
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

AlignedBuffer::~AlignedBuffer() {
  if (data_ != nullptr) ::munmap(data_, static_cast<size_t>(size_));
}

void UseSingleThreadedBlas() {
  // OpenBLAS is reached through libblas.so.3, which depends on
  // libopenblas.so.0: its symbols are in the global scope. Other BLAS
  // libraries (the reference one) start no threads.
  using SetThreads = void (*)(int);
  if (auto* set = reinterpret_cast<SetThreads>(::dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set(1);
}

void MultiplyBySelf(const float* a, int n, float* c) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, a, n, 0.0f, c, n);
}

void ReadWholeFile(const std::string& path, int64_t expected_size, bool direct, std::byte* buffer,
                   int64_t capacity, ItemRecord& record) {
  record.bytes_read = 0;
  record.error = 0;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (direct ? O_DIRECT : 0));
  if (fd < 0) {
    record.status = ItemStatus::kOpenFailed;
    record.error = errno;
    return;
  }
  // Read to the capacity, not just the expected size, so a file that grew is
  // noticed; O_DIRECT needs whole blocks, which the aligned capacity is.
  int64_t done = 0;
  while (done < capacity) {
    const ssize_t n = ::pread(fd, buffer + done, static_cast<size_t>(capacity - done), done);
    if (n < 0) {
      if (errno == EINTR) continue;
      record.status = ItemStatus::kReadFailed;
      record.error = errno;
      ::close(fd);
      return;
    }
    if (n == 0) break;
    done += n;
  }
  ::close(fd);
  record.bytes_read = done;
  record.status = done == expected_size ? ItemStatus::kOk : ItemStatus::kSizeChanged;
}

int64_t ReadCapacity(const Manifest& manifest) {
  int64_t largest = 0;
  for (const auto& f : manifest.items) largest = std::max(largest, f.size);
  // One block more than the largest file, so a file that grew reads past
  // its listed size (ReadWholeFile reports it) even when that size is
  // itself a multiple of the block.
  return AlignUp(largest + 1, kPayloadAlign);
}

int64_t ItemLoader::ScratchBytes() const {
  return options_.matrix_size > 0 ? ReadCapacity(manifest_) : 0;
}

std::byte* ItemLoader::DirectTarget(int slot, int item) const {
  return options_.matrix_size > 0 ? nullptr : pool_.Payload(slot, item);
}

void ItemLoader::Load(int slot, int item, std::byte* scratch) const {
  ItemRecord& record = ItemsOf(pool_.Header(slot))[item];
  const DataFile& file = manifest_.items[static_cast<size_t>(record.index)];
  std::byte* target = DirectTarget(slot, item);
  const int64_t capacity = target != nullptr ? pool_.layout().item_capacity : ScratchBytes();
  ReadWholeFile(manifest_.PathOf(file), file.size, options_.direct, target != nullptr ? target : scratch,
                capacity, record);
  if (record.status != ItemStatus::kOk) return;
  if (target != nullptr) {
    record.payload_bytes = record.bytes_read;
    return;
  }
  Augment(slot, item, scratch);
}

void ItemLoader::Augment(int slot, int item, const std::byte* data) const {
  ItemRecord& record = ItemsOf(pool_.Header(slot))[item];
  if (options_.matrix_size == 0) {
    record.payload_bytes = record.bytes_read;
    return;
  }
  if (record.bytes_read < options_.MatrixBytes()) {
    record.status = ItemStatus::kSkippedShort;
    record.payload_bytes = 0;
    return;
  }
  MultiplyBySelf(reinterpret_cast<const float*>(data), options_.matrix_size,
                 reinterpret_cast<float*>(pool_.Payload(slot, item)));
  record.payload_bytes = options_.MatrixBytes();
}

}  // namespace switchyard
