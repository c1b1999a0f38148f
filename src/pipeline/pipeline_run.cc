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
    return NotFound(
        fmt::format("--data {}: {} (write a data set with `switchyard gen-data --files N --out {}`)", dir,
                    std::strerror(errno), dir));
  }
  if (!S_ISDIR(st.st_mode)) return InvalidArgument(fmt::format("--data {}: not a directory", dir));
  auto manifest = LoadManifest(dir);
  if (!manifest.ok()) {
    if (::access((dir + "/" + kManifestName).c_str(), F_OK) != 0) {
      return NotFound(fmt::format(
          "--data {}: no data set there (no {}); write one with `switchyard gen-data --files N --out {}`",
          dir, kManifestName, dir));
    }
    return manifest.status();
  }
  if (manifest->items.empty())
    return InvalidArgument(fmt::format("--data {}: the data set has no files", dir));
  return manifest;
}

std::string ItemProblem(const Manifest& manifest, const ItemRecord& r, const PipelineOptions& o) {
  const DataFile& f = manifest.items[static_cast<size_t>(r.index)];
  const std::string path = manifest.PathOf(f);
  switch (r.status) {
    case ItemStatus::kSkippedShort:
      return fmt::format("{}: {} bytes, shorter than the {}x{} FP32 matrix ({} bytes): skipped", path,
                         r.bytes_read, o.matrix_size, o.matrix_size, o.MatrixBytes());
    case ItemStatus::kOpenFailed:
      return fmt::format("{}: cannot open: {}", path, std::strerror(r.error));
    case ItemStatus::kReadFailed:
      return fmt::format("{}: read failed: {}", path, std::strerror(r.error));
    case ItemStatus::kSizeChanged:
      return fmt::format("{}: the manifest lists {} bytes but the file now has {}{}", path, f.size,
                         r.bytes_read, r.bytes_read > f.size ? " or more" : "");
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

// The batches of one epoch (every epoch has as many; only the order changes
// with --shuffle).
Result<int64_t> BatchesPerEpoch(const PipelineOptions& o, int64_t data_files) {
  const int64_t batches = static_cast<int64_t>(
      SplitIntoBatches(EpochOrder(data_files, false, 0, 0), o.batch, o.drop_last).size());
  if (batches == 0) {
    return InvalidArgument(
        fmt::format("--drop-last with --batch {}: the {} files of the data set make no whole batch", o.batch,
                    data_files));
  }
  return batches;
}

// Some filesystems (tmpfs) refuse O_DIRECT: say so once, up front, rather
// than fail every item.
Status CheckDirectIoSupported(const PipelineOptions& o, const Manifest& manifest) {
  if (!o.direct) return Status::Ok();
  const int fd = ::open(manifest.PathOf(manifest.items[0]).c_str(), O_RDONLY | O_CLOEXEC | O_DIRECT);
  if (fd < 0 && errno == EINVAL) {
    return InvalidArgument(
        fmt::format("--direct: the filesystem of {} does not support O_DIRECT", o.data_dir));
  }
  if (fd >= 0) ::close(fd);
  return Status::Ok();
}

const char* CacheStateOf(double resident, bool direct) {
  if (direct) return "bypassed";
  if (resident >= 0.9) return "warm";
  if (resident <= 0.1) return "cold";
  return "partial";
}

// The page cache before the run: the machine's bandwidth (--baseline), then
// emptied (--cold), then how much of the data set it holds.
Status MeasurePageCacheAtStart(const PipelineOptions& o, const Manifest& manifest, LoadReport& report) {
  if (o.page_cache_baseline) {
    // --workers threads whatever the loader: the machine's bandwidth, the
    // same figure for every loader of a comparison.
    auto bw = MeasurePageCacheBandwidth(manifest, o.workers);
    if (!bw.ok()) return bw.status();
    report.page_cache_mb_per_s = *bw;
  }
  if (o.cold) EvictFromPageCache(manifest);
  report.cache_resident_at_start = PageCacheResidency(manifest);
  report.cache_state = CacheStateOf(report.cache_resident_at_start, o.direct);
  return Status::Ok();
}

// Per epoch: its batches, and how often each file was accounted for.
struct EpochState {
  std::vector<std::vector<int64_t>> batches;
  std::vector<uint8_t> seen;
  int64_t delivered = 0;

  // Items of its batches never accounted for.
  int64_t Missing() const {
    int64_t missing = 0;
    for (const auto& b : batches) {
      for (int64_t idx : b) missing += seen[static_cast<size_t>(idx)] == 0 ? 1 : 0;
    }
    return missing;
  }
};

// The coordinator of one run (pipeline_run.h): keeps the loader's slots
// busy, plays the consumer, accounts for every item and samples the process
// tree into the report once a tick. Runs on the calling thread only.
class Coordinator {
 public:
  Coordinator(const PipelineOptions& o, const Manifest& manifest, const BatchPool& pool, BatchSource& source,
              int slots, int64_t batches_per_epoch, LoadReport& report)
      : o_(o),
        manifest_(manifest),
        pool_(pool),
        source_(source),
        batches_per_epoch_(batches_per_epoch),
        total_batches_(batches_per_epoch * o.epochs),
        report_(report) {
    for (int s = slots - 1; s >= 0; --s) free_slots_.push_back(s);
  }

  // Starts the source, delivers every batch of every epoch, stops it. The
  // report holds the run's figures when this returns Ok.
  Status Run() {
    auto tree0 = ReadProcessTree(self_);
    if (!tree0.ok()) return tree0.status();
    tree0_ = *tree0;
    t0_ = SteadyClock::Now();
    if (Status s = source_.Start(); !s.ok()) return s;
    waits_.Start(t0_);
    last_tick_ = t0_;
    last_cpu_ = tree0_.cpu_user_s + tree0_.cpu_system_s;

    if (Status s = DeliverEveryBatch(); !s.ok()) return StopAfter(std::move(s));
    const int64_t t_end = SteadyClock::Now();
    if (Status s = Sample(t_end, /*final=*/true); !s.ok()) return StopAfter(std::move(s));
    report_.workers_replaced = source_.workers_replaced();
    source_.Stop();
    // Batches of an epoch that never finished (cannot happen unless the loop
    // is wrong): their unseen items are missing too.
    for (const auto& [e, ep] : epochs_) report_.missing += ep.Missing();
    SummariseRun(t_end);
    return Status::Ok();
  }

 private:
  Status StopAfter(Status s) {
    source_.Stop();
    return s;
  }

  Status DeliverEveryBatch() {
    while (static_cast<int64_t>(next_delivery_) < total_batches_) {
      if (Status s = DispatchToFreeSlots(); !s.ok()) return s;
      auto slot = WaitForNextBatch();
      if (!slot.ok()) return slot.status();
      if (Status s = ConsumeBatch(*slot); !s.ok()) return s;
      if (Status s = SampleIfTickDue(SteadyClock::Now()); !s.ok()) return s;
    }
    return Status::Ok();
  }

  EpochState& Epoch(int e) {
    auto it = epochs_.find(e);
    if (it != epochs_.end()) return it->second;
    EpochState& st = epochs_[e];
    st.batches =
        SplitIntoBatches(EpochOrder(report_.data_files, o_.shuffle, o_.seed, e), o_.batch, o_.drop_last);
    st.seen.assign(static_cast<size_t>(report_.data_files), 0);
    return st;
  }

  // Keeps the loader busy: every free slot gets the next batch.
  Status DispatchToFreeSlots() {
    while (!free_slots_.empty() && static_cast<int64_t>(dispatched_) < total_batches_) {
      const int epoch = static_cast<int>(static_cast<int64_t>(dispatched_) / batches_per_epoch_);
      const int64_t in_epoch = static_cast<int64_t>(dispatched_) % batches_per_epoch_;
      if (o_.cold && epoch > 0 && in_epoch == 0) EvictFromPageCache(manifest_);
      const auto& indices = Epoch(epoch).batches[static_cast<size_t>(in_epoch)];
      const size_t pick = source_.ChooseSlot(free_slots_);
      const int slot = free_slots_[pick];
      free_slots_.erase(free_slots_.begin() + static_cast<std::ptrdiff_t>(pick));
      BatchHeader* h = pool_.Header(slot);
      h->sequence = dispatched_;
      h->epoch = epoch;
      h->count = static_cast<int32_t>(indices.size());
      for (size_t i = 0; i < indices.size(); ++i)
        ItemsOf(h)[i] = ItemRecord{indices[i], ItemStatus::kPending, 0, 0, 0};
      if (Status s = source_.Submit(slot); !s.ok()) return s;
      ++dispatched_;
    }
    return Status::Ok();
  }

  // The consumer waits for its next batch (in sequence with --in-order); the
  // slot that holds it.
  Result<int> WaitForNextBatch() {
    waits_.Begin(SteadyClock::Now());
    int slot = -1;
    for (;;) {
      auto it = o_.in_order ? ready_.find(next_delivery_) : ready_.begin();
      if (it != ready_.end()) {
        slot = it->second;
        ready_.erase(it);
        break;
      }
      auto done = source_.WaitComplete(last_tick_ + kTickUs);
      if (!done.ok()) return done.status();
      if (done->has_value()) ready_[pool_.Header(**done)->sequence] = **done;
      if (Status s = SampleIfTickDue(SteadyClock::Now()); !s.ok()) return s;
    }
    const int64_t waited = waits_.End(SteadyClock::Now());
    wait_hist_.Record(std::max<int64_t>(waited, 0));
    return slot;
  }

  // Accounts for every item, verifies, hands the batch over, frees the slot.
  Status ConsumeBatch(int slot) {
    const BatchHeader* h = pool_.Header(slot);
    EpochState& ep = Epoch(h->epoch);
    DeliveredBatch delivered;
    delivered.sequence = h->sequence;
    delivered.epoch = h->epoch;
    for (int i = 0; i < h->count; ++i) {
      const ItemRecord& r = ItemsOf(h)[i];
      report_.bytes += r.bytes_read;
      tick_bytes_ += r.bytes_read;
      CountSighting(ep, r.index);
      if (r.status == ItemStatus::kOk) {
        AcceptItem(r, pool_.Payload(slot, i), delivered);
      } else if (Status s = CountFailedItem(r, h->epoch); !s.ok()) {
        return s;
      }
    }
    if (o_.on_batch) o_.on_batch(delivered);
    if (o_.consumer_ms > 0)
      std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(o_.consumer_ms));
    ++report_.batches;
    ++next_delivery_;
    free_slots_.push_back(slot);
    if (++ep.delivered == batches_per_epoch_) {
      report_.missing += ep.Missing();
      epochs_.erase(h->epoch);
    }
    return Status::Ok();
  }

  void CountSighting(EpochState& ep, int64_t index) {
    uint8_t& seen = ep.seen[static_cast<size_t>(index)];
    if (seen == 1) ++report_.duplicates;
    seen = static_cast<uint8_t>(std::min(seen + 1, 2));
  }

  void AcceptItem(const ItemRecord& r, const std::byte* data, DeliveredBatch& delivered) {
    ++report_.items;
    ++tick_items_;
    delivered.items.push_back({r.index, data, r.payload_bytes});
    if (o_.verify) VerifyItem(r, data);
  }

  // Without augmentation the bytes must match the manifest's checksum; with
  // or without, they go into the run's digest.
  void VerifyItem(const ItemRecord& r, const std::byte* data) {
    const uint64_t h64 = Xxh64::Of(data, static_cast<size_t>(r.payload_bytes));
    const DataFile& file = manifest_.items[static_cast<size_t>(r.index)];
    if (o_.matrix_size == 0 && h64 != file.checksum) {
      ++report_.verify_mismatches;
      Warn(fmt::format("{}: delivered bytes differ from the manifest's checksum", manifest_.PathOf(file)));
    }
    const uint64_t pair[2] = {static_cast<uint64_t>(r.index), h64};
    digest_ += Xxh64::Of(pair, sizeof pair);
  }

  // A skipped or unreadable item: counted and warned about, or with
  // --strict the end of the run.
  Status CountFailedItem(const ItemRecord& r, int epoch) {
    const bool is_skip = r.status == ItemStatus::kSkippedShort;
    if (o_.strict) return RunFailed(ItemProblem(manifest_, r, o_) + " (--strict)");
    if (is_skip) {
      ++report_.skipped;
    } else {
      ++report_.errors;
    }
    // A short file is the same every epoch: say so once.
    if (!is_skip || epoch == 0) Warn(ItemProblem(manifest_, r, o_));
    return Status::Ok();
  }

  void Warn(std::string message) {
    ++report_.warnings_total;
    if (report_.warnings.size() < kWarningsKept) {
      std::fprintf(stderr, "load: warning: %s\n", message.c_str());
      report_.warnings.push_back(std::move(message));
    }
  }

  Status SampleIfTickDue(int64_t now) {
    if (now < last_tick_ + kTickUs) return Status::Ok();
    return Sample(now, /*final=*/false);
  }

  // Reads the process tree: the peaks, a timeline point for the interval
  // ending now, and with `final` the run's CPU and context-switch totals.
  Status Sample(int64_t now, bool final) {
    auto tree = ReadProcessTree(self_);
    if (!tree.ok()) return tree.status();
    report_.pss_bytes = std::max(report_.pss_bytes, tree->pss_bytes);
    report_.rss_bytes = std::max(report_.rss_bytes, tree->rss_bytes);
    const double span = static_cast<double>(now - last_tick_) / 1e6;
    const double cpu = tree->cpu_user_s + tree->cpu_system_s;
    // The last, partial interval too, unless it is a sliver after a tick
    // (every run gets at least one point).
    if (!final || span > 0.05 || report_.timeline.empty()) AddTimelinePoint(now, span, cpu, *tree);
    if (final) RecordRunTotals(*tree);
    last_cpu_ = cpu;
    last_tick_ = now;
    tick_items_ = 0;
    tick_bytes_ = 0;
    return Status::Ok();
  }

  void AddTimelinePoint(int64_t now, double span, double cpu, const ProcessTreeFigures& tree) {
    TimelinePoint p;
    p.t_s = static_cast<double>(now - t0_) / 1e6;
    p.items = tick_items_;
    p.mb_per_s = span > 0 ? static_cast<double>(tick_bytes_) / 1e6 / span : 0;
    p.cpu_utilisation = span > 0 ? std::max(0.0, cpu - last_cpu_) / span : 0;
    p.starvation = span > 0 ? static_cast<double>(waits_.Tick(now)) / 1e6 / span : 0;
    p.pss_bytes = tree.pss_bytes;
    report_.timeline.push_back(p);
    if (o_.progress) {
      std::fprintf(stderr,
                   "load: %.0f s: %lld/%lld batches, %lld items, %.0f MB/s, cpu %.2f, starvation %.2f\n",
                   p.t_s, static_cast<long long>(report_.batches), static_cast<long long>(total_batches_),
                   static_cast<long long>(report_.items), p.mb_per_s, p.cpu_utilisation, p.starvation);
    }
  }

  void RecordRunTotals(const ProcessTreeFigures& tree) {
    report_.cpu_user_s = tree.cpu_user_s - tree0_.cpu_user_s;
    report_.cpu_system_s = tree.cpu_system_s - tree0_.cpu_system_s;
    report_.voluntary_ctxt_switches =
        tree.voluntary_ctxt_switches - std::min(tree.voluntary_ctxt_switches, tree0_.voluntary_ctxt_switches);
    report_.involuntary_ctxt_switches =
        tree.involuntary_ctxt_switches -
        std::min(tree.involuntary_ctxt_switches, tree0_.involuntary_ctxt_switches);
  }

  // The rates over the wall time, the consumer's waits, the digest.
  void SummariseRun(int64_t t_end) {
    report_.wall_s = static_cast<double>(t_end - t0_) / 1e6;
    if (report_.wall_s > 0) {
      report_.items_per_s = static_cast<double>(report_.items) / report_.wall_s;
      report_.mb_per_s = static_cast<double>(report_.bytes) / 1e6 / report_.wall_s;
      report_.batches_per_s = static_cast<double>(report_.batches) / report_.wall_s;
      report_.starvation = std::min(1.0, static_cast<double>(waits_.total()) / 1e6 / report_.wall_s);
      report_.cpu_utilisation = (report_.cpu_user_s + report_.cpu_system_s) / report_.wall_s;
    }
    report_.batch_wait_ms_p50 = static_cast<double>(wait_hist_.Percentile(0.50)) / 1e3;
    report_.batch_wait_ms_p95 = static_cast<double>(wait_hist_.Percentile(0.95)) / 1e3;
    report_.batch_wait_ms_p99 = static_cast<double>(wait_hist_.Percentile(0.99)) / 1e3;
    report_.batch_wait_ms_max = static_cast<double>(wait_hist_.max()) / 1e3;
    report_.batch_wait_ms_mean = wait_hist_.mean() / 1e3;
    report_.verified = o_.verify;
    if (o_.verify) report_.digest = ChecksumHex(digest_);
  }

  const PipelineOptions& o_;
  const Manifest& manifest_;
  const BatchPool& pool_;
  BatchSource& source_;
  const int64_t batches_per_epoch_;
  const int64_t total_batches_;
  LoadReport& report_;
  const pid_t self_ = ::getpid();

  std::map<int, EpochState> epochs_;
  std::vector<int> free_slots_;
  std::map<uint64_t, int> ready_;  // sequence -> slot
  uint64_t dispatched_ = 0;
  uint64_t next_delivery_ = 0;
  LatencyHistogram wait_hist_;
  WaitClock waits_;
  uint64_t digest_ = 0;

  // The sampler's: the run's start, the last tick and what happened since.
  ProcessTreeFigures tree0_;
  int64_t t0_ = 0;
  int64_t last_tick_ = 0;
  int64_t tick_items_ = 0;
  int64_t tick_bytes_ = 0;
  double last_cpu_ = 0;
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
      return RunFailed(fmt::format("--baseline: a file of the data set cannot be opened: {}",
                                   std::strerror(failed_errno)));
    }
    const double secs = static_cast<double>(SteadyClock::Now() - t0) / 1e6;
    if (secs > 0 && &piece != &pieces[0])
      best = std::max(best, static_cast<double>(bytes.load()) / 1e6 / secs);
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
  auto batches_per_epoch = BatchesPerEpoch(o, report.data_files);
  if (!batches_per_epoch.ok()) return batches_per_epoch.status();
  if (Status s = CheckDirectIoSupported(o, manifest); !s.ok()) return s;
  if (o.verify && o.progress) std::fprintf(stderr, "load: --verify: the consumer checks every item\n");
  if (Status s = MeasurePageCacheAtStart(o, manifest, report); !s.ok()) return s;

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

  Coordinator coordinator(o, manifest, pool, *source, slots, *batches_per_epoch, report);
  if (Status s = coordinator.Run(); !s.ok()) return s;
  return report;
}

}  // namespace switchyard
