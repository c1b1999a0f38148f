#include "pipeline/pipeline_run.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <thread>

#include "core/clock.h"
#include "metrics/latency_histogram.h"
#include "metrics/process_tree.h"
#include "pipeline/batch_pool.h"
#include "pipeline/batch_source.h"
#include "pipeline/epoch_plan.h"
#include "pipeline/item_loader.h"

namespace switchyard {
namespace {

constexpr int kWarningsKept = 20;
constexpr int64_t kTickUs = 1'000'000;

Status RunFailed(std::string message) { return Internal(std::move(message)); }

Result<Manifest> OpenDataSet(const std::string& dir) {
  struct stat st {};
  if (dir.empty()) return InvalidArgument("--data: no data directory given");
  if (::stat(dir.c_str(), &st) != 0) {
    return NotFound(fmt::format("--data {}: {} (write a data set with `switchyard gen-data --files N --out {}`)",
                                dir, std::strerror(errno), dir));
  }
  if (!S_ISDIR(st.st_mode)) return InvalidArgument(fmt::format("--data {}: not a directory", dir));
  auto manifest = LoadManifest(dir);
  if (!manifest.ok()) {
    if (::access((dir + "/" + kManifestName).c_str(), F_OK) != 0) {
      return NotFound(fmt::format(
          "--data {}: no data set there (no {}); write one with `switchyard gen-data --files N --out {}`", dir,
          kManifestName, dir));
    }
    return manifest.status();
  }
  if (manifest->items.empty()) return InvalidArgument(fmt::format("--data {}: the data set has no files", dir));
  return manifest;
}

std::string ItemProblem(const Manifest& manifest, const ItemRecord& r, const PipelineOptions& o) {
  const DataFile& f = manifest.items[static_cast<size_t>(r.index)];
  const std::string path = manifest.PathOf(f);
  switch (r.status) {
    case ItemStatus::kSkippedShort:
      return fmt::format("{}: {} bytes, shorter than the {}x{} FP32 matrix ({} bytes): skipped", path, r.bytes_read,
                         o.matrix_size, o.matrix_size, o.MatrixBytes());
    case ItemStatus::kOpenFailed:
      return fmt::format("{}: cannot open: {}", path, std::strerror(r.error));
    case ItemStatus::kReadFailed:
      return fmt::format("{}: read failed: {}", path, std::strerror(r.error));
    case ItemStatus::kSizeChanged:
      return fmt::format("{}: the manifest lists {} bytes but the file now has {}{}", path, f.size, r.bytes_read,
                         r.bytes_read > f.size ? " or more" : "");
    case ItemStatus::kPending:
      return fmt::format("{}: never loaded", path);
    case ItemStatus::kOk:
      break;
  }
  return path;
}

std::unique_ptr<BatchSource> MakeSource(const ItemLoader& loader, const PipelineOptions& o) {
  switch (o.loader) {
    case LoaderKind::kSync:
      return MakeSyncSource(loader);
    case LoaderKind::kThreads:
      return MakeThreadSource(loader, o.workers);
    case LoaderKind::kProcesses:
      return MakeProcessSource(loader, o.workers);
    case LoaderKind::kAsync:
      return MakeUringSource(loader, o.workers);
  }
  return nullptr;
}

// Consumer wait, split at the timeline's ticks.
class WaitClock {
 public:
  void Begin(int64_t now) { since_ = now; }
  // Ends a wait; its length.
  int64_t End(int64_t now) {
    const int64_t length = now - since_;
    interval_ += now - std::max(since_, tick_);
    total_ += length;
    since_ = -1;
    return length;
  }
  // Wait within the interval ending now; starts the next interval.
  int64_t Tick(int64_t now) {
    int64_t w = interval_ + (since_ >= 0 ? now - std::max(since_, tick_) : 0);
    interval_ = 0;
    tick_ = now;
    return w;
  }
  void Start(int64_t now) { tick_ = now; }
  int64_t total() const { return total_; }

 private:
  int64_t since_ = -1;
  int64_t tick_ = 0;
  int64_t interval_ = 0;
  int64_t total_ = 0;
};

}  // namespace

double PageCacheResidency(const Manifest& manifest) {
  const long page = ::sysconf(_SC_PAGESIZE);
  uint64_t resident = 0;
  uint64_t total = 0;
  std::vector<unsigned char> vec;
  for (const auto& f : manifest.items) {
    if (f.size == 0) continue;
    const size_t pages = static_cast<size_t>((f.size + page - 1) / page);
    total += pages;
    const int fd = ::open(manifest.PathOf(f).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    void* p = ::mmap(nullptr, static_cast<size_t>(f.size), PROT_READ, MAP_SHARED, fd, 0);
    ::close(fd);
    if (p == MAP_FAILED) continue;
    vec.assign(pages, 0);
    if (::mincore(p, static_cast<size_t>(f.size), vec.data()) == 0) {
      for (unsigned char v : vec) resident += v & 1;
    }
    ::munmap(p, static_cast<size_t>(f.size));
  }
  return total == 0 ? 0 : static_cast<double>(resident) / static_cast<double>(total);
}

void EvictFromPageCache(const Manifest& manifest) {
  for (const auto& f : manifest.items) {
    const int fd = ::open(manifest.PathOf(f).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

Result<double> MeasurePageCacheBandwidth(const Manifest& manifest, int threads) {
  // Two ways to read: dd-style 1 MiB preads into a buffer that stays in the
  // CPU's cache, and whole-file preads into a reused buffer of the largest
  // file (what a loader does, minus batching). The first pass only warms.
  const int64_t whole = ReadCapacity(manifest);
  const int64_t mib = int64_t{1} << 20;
  // A pass over a data set in the page cache lasts ~0.1 s here: three of
  // each, so one disturbed pass does not set the figure.
  const int64_t pieces[] = {mib, mib, mib, mib, whole, whole, whole};
  double best = 0;
  for (int64_t piece : pieces) {
    std::atomic<size_t> next{0};
    std::atomic<int64_t> bytes{0};
    std::atomic<int> failed_errno{0};
    const int64_t t0 = SteadyClock::Now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&] {
        AlignedBuffer buffer(piece);
        for (size_t i = next++; i < manifest.items.size(); i = next++) {
          const int fd = ::open(manifest.PathOf(manifest.items[i]).c_str(), O_RDONLY | O_CLOEXEC);
          if (fd < 0) {
            failed_errno = errno;
            continue;
          }
          int64_t off = 0;
          for (;;) {
            const ssize_t n = ::pread(fd, buffer.data(), static_cast<size_t>(buffer.size()), off);
            if (n <= 0) break;
            off += n;
          }
          bytes += off;
          ::close(fd);
        }
      });
    }
    for (auto& t : pool) t.join();
    if (failed_errno != 0) {
      return RunFailed(fmt::format("--baseline: a file of the data set cannot be opened: {}", std::strerror(failed_errno)));
    }
    const double secs = static_cast<double>(SteadyClock::Now() - t0) / 1e6;
    if (secs > 0 && &piece != &pieces[0]) best = std::max(best, static_cast<double>(bytes.load()) / 1e6 / secs);
  }
  return best;
}

Result<LoadReport> RunPipeline(const PipelineOptions& o) {
  if (Status s = ValidatePipelineOptions(o); !s.ok()) return s;
  auto manifest_or = OpenDataSet(o.data_dir);
  if (!manifest_or.ok()) return manifest_or.status();
  const Manifest& manifest = *manifest_or;

  LoadReport report;
  report.options = o;
  report.options.on_batch = nullptr;
  report.data_files = static_cast<int64_t>(manifest.items.size());
  report.data_bytes = manifest.total_bytes;
  auto warn = [&](std::string message) {
    ++report.warnings_total;
    if (report.warnings.size() < kWarningsKept) {
      std::fprintf(stderr, "load: warning: %s\n", message.c_str());
      report.warnings.push_back(std::move(message));
    }
  };

  // The plan of one epoch (every epoch has as many batches; only the order
  // changes with --shuffle).
  const int64_t batches_per_epoch =
      static_cast<int64_t>(SplitIntoBatches(EpochOrder(report.data_files, false, 0, 0), o.batch, o.drop_last).size());
  if (batches_per_epoch == 0) {
    return InvalidArgument(fmt::format("--drop-last with --batch {}: the {} files of the data set make no whole batch",
                                       o.batch, report.data_files));
  }
  const int64_t total_batches = batches_per_epoch * o.epochs;

  if (o.direct) {
    // Some filesystems (tmpfs) refuse O_DIRECT: say so once, up front,
    // rather than fail every item.
    const int fd = ::open(manifest.PathOf(manifest.items[0]).c_str(), O_RDONLY | O_CLOEXEC | O_DIRECT);
    if (fd < 0 && errno == EINVAL) {
      return InvalidArgument(fmt::format("--direct: the filesystem of {} does not support O_DIRECT", o.data_dir));
    }
    if (fd >= 0) ::close(fd);
  }
  if (o.verify && o.progress) std::fprintf(stderr, "load: --verify: the consumer checks every item\n");
  if (o.page_cache_baseline) {
    // --workers threads whatever the loader: the machine's bandwidth, the
    // same figure for every loader of a comparison.
    auto bw = MeasurePageCacheBandwidth(manifest, o.workers);
    if (!bw.ok()) return bw.status();
    report.page_cache_mb_per_s = *bw;
  }
  if (o.cold) EvictFromPageCache(manifest);
  report.cache_resident_at_start = PageCacheResidency(manifest);
  report.cache_state = o.direct                                ? "bypassed"
                       : report.cache_resident_at_start >= 0.9 ? "warm"
                       : report.cache_resident_at_start <= 0.1 ? "cold"
                                                               : "partial";

  const int64_t setup_start = SteadyClock::Now();
  BatchLayout layout;
  layout.batch = o.batch;
  layout.item_capacity = o.matrix_size > 0 ? AlignUp(o.MatrixBytes(), kPayloadAlign) : ReadCapacity(manifest);
  const int slots = o.loader == LoaderKind::kSync ? 1 : o.workers * o.prefetch;
  auto pool_or = BatchPool::Create(layout, slots, o.loader == LoaderKind::kProcesses);
  if (!pool_or.ok()) return pool_or.status();
  const BatchPool& pool = *pool_or;
  UseSingleThreadedBlas();
  ItemLoader loader(manifest, o, pool);
  std::unique_ptr<BatchSource> source = MakeSource(loader, o);
  report.setup_s = static_cast<double>(SteadyClock::Now() - setup_start) / 1e6;

  const pid_t self = ::getpid();
  auto tree0 = ReadProcessTree(self);
  if (!tree0.ok()) return tree0.status();
  const int64_t t0 = SteadyClock::Now();
  if (Status s = source->Start(); !s.ok()) return s;

  // Per epoch: its batches, and how often each file was accounted for.
  struct EpochState {
    std::vector<std::vector<int64_t>> batches;
    std::vector<uint8_t> seen;
    int64_t delivered = 0;
  };
  std::map<int, EpochState> epochs;
  auto epoch_state = [&](int e) -> EpochState& {
    auto it = epochs.find(e);
    if (it != epochs.end()) return it->second;
    EpochState& st = epochs[e];
    st.batches = SplitIntoBatches(EpochOrder(report.data_files, o.shuffle, o.seed, e), o.batch, o.drop_last);
    st.seen.assign(static_cast<size_t>(report.data_files), 0);
    return st;
  };

  std::vector<int> free_slots;
  for (int s = slots - 1; s >= 0; --s) free_slots.push_back(s);
  std::map<uint64_t, int> ready;  // sequence -> slot
  uint64_t dispatched = 0;
  uint64_t next_delivery = 0;
  LatencyHistogram wait_hist;
  WaitClock waits;
  waits.Start(t0);
  uint64_t digest = 0;

  int64_t last_tick = t0;
  int64_t tick_items = 0;
  int64_t tick_bytes = 0;
  double last_cpu = tree0->cpu_user_s + tree0->cpu_system_s;
  auto sample = [&](int64_t now, bool final) -> Status {
    auto tree = ReadProcessTree(self);
    if (!tree.ok()) return tree.status();
    report.pss_bytes = std::max(report.pss_bytes, tree->pss_bytes);
    report.rss_bytes = std::max(report.rss_bytes, tree->rss_bytes);
    const double span = static_cast<double>(now - last_tick) / 1e6;
    const double cpu = tree->cpu_user_s + tree->cpu_system_s;
    // The last, partial interval too, unless it is a sliver after a tick
    // (every run gets at least one point).
    if (!final || span > 0.05 || report.timeline.empty()) {
      TimelinePoint p;
      p.t_s = static_cast<double>(now - t0) / 1e6;
      p.items = tick_items;
      p.mb_per_s = span > 0 ? static_cast<double>(tick_bytes) / 1e6 / span : 0;
      p.cpu_utilisation = span > 0 ? std::max(0.0, cpu - last_cpu) / span : 0;
      p.starvation = span > 0 ? static_cast<double>(waits.Tick(now)) / 1e6 / span : 0;
      p.pss_bytes = tree->pss_bytes;
      report.timeline.push_back(p);
      if (o.progress) {
        std::fprintf(stderr, "load: %.0f s: %lld/%lld batches, %lld items, %.0f MB/s, cpu %.2f, starvation %.2f\n",
                     p.t_s, static_cast<long long>(report.batches), static_cast<long long>(total_batches),
                     static_cast<long long>(report.items), p.mb_per_s, p.cpu_utilisation, p.starvation);
      }
    }
    if (final) {
      report.cpu_user_s = tree->cpu_user_s - tree0->cpu_user_s;
      report.cpu_system_s = tree->cpu_system_s - tree0->cpu_system_s;
      report.voluntary_ctxt_switches = tree->voluntary_ctxt_switches - std::min(tree->voluntary_ctxt_switches, tree0->voluntary_ctxt_switches);
      report.involuntary_ctxt_switches = tree->involuntary_ctxt_switches - std::min(tree->involuntary_ctxt_switches, tree0->involuntary_ctxt_switches);
    }
    last_cpu = cpu;
    last_tick = now;
    tick_items = 0;
    tick_bytes = 0;
    return Status::Ok();
  };
  auto fail = [&](Status s) -> Result<LoadReport> {
    source->Stop();
    return s;
  };

  while (static_cast<int64_t>(next_delivery) < total_batches) {
    // Keep the loader busy: every free slot gets the next batch.
    while (!free_slots.empty() && static_cast<int64_t>(dispatched) < total_batches) {
      const int epoch = static_cast<int>(static_cast<int64_t>(dispatched) / batches_per_epoch);
      const int64_t in_epoch = static_cast<int64_t>(dispatched) % batches_per_epoch;
      if (o.cold && epoch > 0 && in_epoch == 0) EvictFromPageCache(manifest);
      const auto& indices = epoch_state(epoch).batches[static_cast<size_t>(in_epoch)];
      const size_t pick = source->ChooseSlot(free_slots);
      const int slot = free_slots[pick];
      free_slots.erase(free_slots.begin() + static_cast<std::ptrdiff_t>(pick));
      BatchHeader* h = pool.Header(slot);
      h->sequence = dispatched;
      h->epoch = epoch;
      h->count = static_cast<int32_t>(indices.size());
      for (size_t i = 0; i < indices.size(); ++i) ItemsOf(h)[i] = ItemRecord{indices[i], ItemStatus::kPending, 0, 0, 0};
      if (Status s = source->Submit(slot); !s.ok()) return fail(s);
      ++dispatched;
    }

    // The consumer waits for its next batch.
    waits.Begin(SteadyClock::Now());
    int slot = -1;
    for (;;) {
      auto it = o.in_order ? ready.find(next_delivery) : ready.begin();
      if (it != ready.end()) {
        slot = it->second;
        ready.erase(it);
        break;
      }
      auto done = source->WaitComplete(last_tick + kTickUs);
      if (!done.ok()) return fail(done.status());
      if (done->has_value()) ready[pool.Header(**done)->sequence] = **done;
      const int64_t now = SteadyClock::Now();
      if (now >= last_tick + kTickUs) {
        if (Status s = sample(now, false); !s.ok()) return fail(s);
      }
    }
    const int64_t waited = waits.End(SteadyClock::Now());
    wait_hist.Record(std::max<int64_t>(waited, 0));

    // Account for every item, verify, hand the batch over.
    const BatchHeader* h = pool.Header(slot);
    EpochState& ep = epoch_state(h->epoch);
    DeliveredBatch delivered;
    delivered.sequence = h->sequence;
    delivered.epoch = h->epoch;
    for (int i = 0; i < h->count; ++i) {
      const ItemRecord& r = ItemsOf(h)[i];
      report.bytes += r.bytes_read;
      tick_bytes += r.bytes_read;
      uint8_t& seen = ep.seen[static_cast<size_t>(r.index)];
      if (seen == 1) ++report.duplicates;
      seen = static_cast<uint8_t>(std::min(seen + 1, 2));
      if (r.status == ItemStatus::kOk) {
        const std::byte* data = pool.Payload(slot, i);
        ++report.items;
        ++tick_items;
        delivered.items.push_back({r.index, data, r.payload_bytes});
        if (o.verify) {
          const uint64_t h64 = Xxh64::Of(data, static_cast<size_t>(r.payload_bytes));
          if (o.matrix_size == 0 && h64 != manifest.items[static_cast<size_t>(r.index)].checksum) {
            ++report.verify_mismatches;
            warn(fmt::format("{}: delivered bytes differ from the manifest's checksum",
                             manifest.PathOf(manifest.items[static_cast<size_t>(r.index)])));
          }
          const uint64_t pair[2] = {static_cast<uint64_t>(r.index), h64};
          digest += Xxh64::Of(pair, sizeof pair);
        }
        continue;
      }
      const bool is_skip = r.status == ItemStatus::kSkippedShort;
      if (o.strict) return fail(RunFailed(ItemProblem(manifest, r, o) + " (--strict)"));
      if (is_skip) {
        ++report.skipped;
      } else {
        ++report.errors;
      }
      // A short file is the same every epoch: say so once.
      if (!is_skip || h->epoch == 0) warn(ItemProblem(manifest, r, o));
    }
    if (o.on_batch) o.on_batch(delivered);
    if (o.consumer_ms > 0) std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(o.consumer_ms));
    ++report.batches;
    ++next_delivery;
    free_slots.push_back(slot);
    if (++ep.delivered == batches_per_epoch) {
      for (const auto& b : ep.batches) {
        for (int64_t idx : b) report.missing += ep.seen[static_cast<size_t>(idx)] == 0 ? 1 : 0;
      }
      epochs.erase(h->epoch);
    }
    const int64_t now = SteadyClock::Now();
    if (now >= last_tick + kTickUs) {
      if (Status s = sample(now, false); !s.ok()) return fail(s);
    }
  }
  const int64_t t_end = SteadyClock::Now();
  if (Status s = sample(t_end, true); !s.ok()) return fail(s);
  report.workers_replaced = source->workers_replaced();
  source->Stop();
  // Batches of an epoch that never finished (cannot happen unless the loop
  // above is wrong): their unseen items are missing too.
  for (const auto& [e, ep] : epochs) {
    for (const auto& b : ep.batches) {
      for (int64_t idx : b) report.missing += ep.seen[static_cast<size_t>(idx)] == 0 ? 1 : 0;
    }
  }

  report.wall_s = static_cast<double>(t_end - t0) / 1e6;
  if (report.wall_s > 0) {
    report.items_per_s = static_cast<double>(report.items) / report.wall_s;
    report.mb_per_s = static_cast<double>(report.bytes) / 1e6 / report.wall_s;
    report.batches_per_s = static_cast<double>(report.batches) / report.wall_s;
    report.starvation = std::min(1.0, static_cast<double>(waits.total()) / 1e6 / report.wall_s);
    report.cpu_utilisation = (report.cpu_user_s + report.cpu_system_s) / report.wall_s;
  }
  report.batch_wait_ms_p50 = static_cast<double>(wait_hist.Percentile(0.50)) / 1e3;
  report.batch_wait_ms_p95 = static_cast<double>(wait_hist.Percentile(0.95)) / 1e3;
  report.batch_wait_ms_p99 = static_cast<double>(wait_hist.Percentile(0.99)) / 1e3;
  report.batch_wait_ms_max = static_cast<double>(wait_hist.max()) / 1e3;
  report.batch_wait_ms_mean = wait_hist.mean() / 1e3;
  report.verified = o.verify;
  if (o.verify) report.digest = ChecksumHex(digest);
  return report;
}

}  // namespace switchyard
