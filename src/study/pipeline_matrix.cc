#include "study/pipeline_matrix.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "data/data_set.h"
#include "pipeline/pipeline_options.h"

namespace switchyard {
namespace {

// The `switchyard load` flags a cell sets itself: an `args` entry may not.
constexpr const char* kOwnedFlags[] = {"--data",  "--loader",   "--workers",     "--matrix-size",
                                       "--batch", "--prefetch", "--consumer-ms", "--epochs",
                                       "--json",  "--quiet"};

std::string Number(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<int64_t>(v));
  return fmt::format("{:g}", v);
}

// A list given twice the same value would make two cells with one id.
template <typename T>
Status Distinct(const TomlTable& t, std::string_view key, const std::vector<T>& values) {
  for (size_t i = 0; i < values.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (values[i] == values[j]) return t.Error(key, fmt::format("{} is listed twice", values[i]));
    }
  }
  return Status::Ok();
}

Result<StudyDataSet> DataSetOf(const TomlTable& root) {
  StudyDataSet data;
  auto table = root.Table("data");
  if (!table.ok()) return table.status();
  if (!*table) return data;
  const TomlTable& t = **table;
  if (Status known = t.CheckKeys({"files", "min", "max", "seed"}); !known.ok()) return known;
  auto files = t.OptInt("files", 1, kMaxDataFiles);
  if (!files.ok()) return files.status();
  data.files = files->value_or(data.files);
  for (const char* key : {"min", "max"}) {
    auto text = t.OptString(key);
    if (!text.ok()) return text.status();
    if (!*text) continue;
    auto bytes = ParseByteSize(**text);
    if (!bytes.ok()) return t.Error(key, bytes.status().message());
    if (*bytes < 1 || *bytes > kMaxDataFileBytes) {
      return t.Error(key, fmt::format("{} bytes: a file must have 1 byte to 1 GiB", *bytes));
    }
    (std::string_view(key) == "min" ? data.min_bytes : data.max_bytes) = *bytes;
  }
  if (data.min_bytes > data.max_bytes) {
    return t.Error(t.Has("max") ? "max" : "min", fmt::format("min ({} bytes) is larger than max ({} bytes)",
                                                             data.min_bytes, data.max_bytes));
  }
  auto seed = t.OptInt("seed", 0, INT64_MAX);
  if (!seed.ok()) return seed.status();
  data.seed = static_cast<uint64_t>(seed->value_or(static_cast<int64_t>(data.seed)));
  return data;
}

}  // namespace

std::string StudyDataSet::DirName() const {
  return fmt::format("data-f{}-{}-{}-s{}", files, min_bytes, max_bytes, seed);
}

std::string PipelineCellConfig::Id() const {
  std::string id = loader;
  if (loader != "sync") id += fmt::format(".w{}", workers);
  id += fmt::format(".m{}.b{}.pf{}.c{}.e{}", matrix_size, batch, prefetch, Number(consumer_ms), epochs);
  for (const std::string& a : args) id += "." + a;
  return id;
}

std::vector<std::string> PipelineCellConfig::LoadArgs() const {
  std::vector<std::string> a = {"--loader", loader};
  if (loader != "sync") a.insert(a.end(), {"--workers", std::to_string(workers)});
  a.insert(a.end(), {"--matrix-size", std::to_string(matrix_size), "--batch", std::to_string(batch),
                     "--prefetch", std::to_string(prefetch), "--consumer-ms", Number(consumer_ms), "--epochs",
                     std::to_string(epochs)});
  a.insert(a.end(), args.begin(), args.end());
  return a;
}

Result<PipelineMatrix> ParsePipelineMatrix(const TomlTable& root) {
  PipelineMatrix m;
  auto data = DataSetOf(root);
  if (!data.ok()) return data.status();
  m.data = *data;

  auto table = root.Table("pipeline");
  if (!table.ok()) return table.status();
  if (!*table) return root.Error("pipeline", "missing: the [pipeline] table says which loaders to compare");
  const TomlTable& t = **table;
  Status known = t.CheckKeys({"loaders", "workers", "matrix_sizes", "batch", "prefetch", "consumer_ms",
                              "epochs", "timeout", "args"});
  if (!known.ok()) return known;

  auto loader_names = t.OptStringList("loaders");
  if (!loader_names.ok()) return loader_names.status();
  std::vector<std::string> names =
      loader_names->value_or(std::vector<std::string>{"sync", "threads", "processes", "async"});
  for (const std::string& n : names) {
    if (!ParseLoaderKind(n).ok())
      return t.Error("loaders", "'" + n + "': a loader is sync, threads, processes or async");
  }
  if (Status s = Distinct(t, "loaders", names); !s.ok()) return s;
  // The ranges `switchyard load` accepts (ValidatePipelineOptions).
  auto workers = t.OptIntList("workers", 1, 256);
  if (!workers.ok()) return workers.status();
  auto sizes = t.OptIntList("matrix_sizes", 0, 8192);
  if (!sizes.ok()) return sizes.status();
  auto batches = t.OptIntList("batch", 1, 4096);
  if (!batches.ok()) return batches.status();
  auto prefetches = t.OptIntList("prefetch", 1, 64);
  if (!prefetches.ok()) return prefetches.status();
  auto consumers = t.OptNumberList("consumer_ms", /*positive=*/false);
  if (!consumers.ok()) return consumers.status();
  for (double c : consumers->value_or(std::vector<double>{})) {
    if (c > 60000) return t.Error("consumer_ms", Number(c) + " is out of range [0, 60000]");
  }
  auto epochs = t.OptInt("epochs", 1, 1000);
  if (!epochs.ok()) return epochs.status();
  auto timeout = t.OptDurationUs("timeout");
  if (!timeout.ok()) return timeout.status();
  m.timeout_us = timeout->value_or(m.timeout_us);
  auto args = t.OptStringList("args", /*allow_empty=*/true);
  if (!args.ok()) return args.status();
  for (const std::string& a : args->value_or(std::vector<std::string>{})) {
    for (const char* owned : kOwnedFlags) {
      if (a == owned || a.rfind(std::string(owned) + "=", 0) == 0) {
        return t.Error("args", std::string(owned) + " is set by the study itself");
      }
    }
  }

  const std::vector<int64_t> worker_list = workers->value_or(std::vector<int64_t>{2});
  const std::vector<int64_t> size_list = sizes->value_or(std::vector<int64_t>{0});
  const std::vector<int64_t> batch_list = batches->value_or(std::vector<int64_t>{8});
  const std::vector<int64_t> prefetch_list = prefetches->value_or(std::vector<int64_t>{2});
  const std::vector<double> consumer_list = consumers->value_or(std::vector<double>{0});
  for (Status s : {Distinct(t, "workers", worker_list), Distinct(t, "matrix_sizes", size_list),
                   Distinct(t, "batch", batch_list), Distinct(t, "prefetch", prefetch_list)}) {
    if (!s.ok()) return s;
  }
  if (Status s = Distinct(t, "consumer_ms", consumer_list); !s.ok()) return s;

  for (int64_t size : size_list) {
    for (const std::string& loader : names) {
      // sync has no workers: one cell, not one per worker count.
      const std::vector<int64_t> loader_workers = loader == "sync" ? std::vector<int64_t>{1} : worker_list;
      for (int64_t w : loader_workers) {
        for (int64_t b : batch_list) {
          for (int64_t p : prefetch_list) {
            for (double c : consumer_list) {
              PipelineCellConfig cell;
              cell.loader = loader;
              cell.workers = static_cast<int>(w);
              cell.matrix_size = static_cast<int>(size);
              cell.batch = static_cast<int>(b);
              cell.prefetch = static_cast<int>(p);
              cell.consumer_ms = c;
              cell.epochs = static_cast<int>(epochs->value_or(1));
              cell.args = args->value_or(std::vector<std::string>{});
              m.cells.push_back(std::move(cell));
            }
          }
        }
      }
    }
  }
  return m;
}

}  // namespace switchyard
