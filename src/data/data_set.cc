#include "data/data_set.h"

#include <xxhash.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "core/file_util.h"

namespace switchyard {
namespace {

namespace fs = std::filesystem;

constexpr const char* kFormat = "switchyard-data-set";
constexpr size_t kBlockBytes = size_t{4} << 20;  // generate, hash and write 4 MiB at a time

// ---- splitmix64 ------------------------------------------------------------

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ULL;

inline uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
inline uint64_t SplitMix64(uint64_t& state) { return Mix64(state += kGolden); }

// Uniform in [0, range) without modulo bias; range >= 1.
uint64_t UniformBelow(uint64_t& state, uint64_t range) {
  const uint64_t limit = UINT64_MAX - UINT64_MAX % range;  // a multiple of range
  uint64_t r;
  do {
    r = SplitMix64(state);
  } while (r >= limit);
  return r % range;
}

std::string ItemName(int64_t index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "item-%06lld.bin", static_cast<long long>(index));
  return buf;
}

bool IsItemFileName(const std::string& name) {
  return name.size() > 9 && name.compare(0, 5, "item-") == 0 && name.compare(name.size() - 4, 4, ".bin") == 0;
}

std::string Mb(int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return buf;
}

Status ErrnoStatus(const std::string& what, const std::string& path) {
  return Internal(what + " " + path + ": " + std::strerror(errno));
}

// ---- manifest parsing --------------------------------------------------------

bool GetInt(const nlohmann::json& j, const char* key, int64_t& out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return false;
  if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) return false;
  out = it->get<int64_t>();
  return true;
}

bool ParseHex64(const std::string& s, uint64_t& out) {
  if (s.size() != 16) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 16);
  return ec == std::errc() && end == s.data() + s.size();
}

bool IsPlainFileName(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name != kManifestName &&
         name.find('/') == std::string::npos && name.find('\0') == std::string::npos;
}

Result<Manifest> ParseManifest(const std::string& text, const std::string& dir) {
  const std::string where = dir + "/" + kManifestName;
  auto bad = [&](const std::string& what) -> Status { return InvalidArgument(where + ": " + what); };
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return bad("not JSON (not a gen-data manifest, or a damaged one)");
  if (!j.is_object() || !j.contains("format") || j["format"] != kFormat) {
    return bad(std::string("not a gen-data manifest (no \"format\": \"") + kFormat + "\")");
  }
  Manifest m;
  m.dir = dir;
  int64_t version = 0;
  if (!GetInt(j, "version", version)) return bad("\"version\" missing or not an integer");
  if (version != kManifestVersion) {
    return bad("manifest version " + std::to_string(version) + "; this switchyard reads version " +
               std::to_string(kManifestVersion));
  }
  m.version = static_cast<int>(version);
  if (!GetInt(j, "files", m.files) || m.files < 1) return bad("\"files\" missing or not a positive integer");
  if (!GetInt(j, "min_bytes", m.min_bytes) || !GetInt(j, "max_bytes", m.max_bytes) || m.min_bytes < 1 ||
      m.min_bytes > m.max_bytes) {
    return bad("\"min_bytes\"/\"max_bytes\" missing or not 1 <= min_bytes <= max_bytes");
  }
  if (!GetInt(j, "total_bytes", m.total_bytes)) return bad("\"total_bytes\" missing or not an integer");
  if (!j.contains("seed") || !j["seed"].is_number_unsigned()) {
    // Non-negative integers parse as unsigned; 0 parses as unsigned too.
    return bad("\"seed\" missing or not a non-negative integer");
  }
  m.seed = j["seed"].get<uint64_t>();
  if (!j.contains("items") || !j["items"].is_array()) return bad("\"items\" missing or not an array");
  const auto& items = j["items"];
  if (static_cast<int64_t>(items.size()) != m.files) {
    return bad("\"items\" lists " + std::to_string(items.size()) + " files, \"files\" says " +
               std::to_string(m.files));
  }
  m.items.reserve(items.size());
  std::set<std::string> names;
  int64_t sum = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    const auto& it = items[i];
    const std::string item = "item " + std::to_string(i);
    if (!it.is_object() || !it.contains("name") || !it["name"].is_string()) {
      return bad(item + ": \"name\" missing or not a string");
    }
    DataFile f;
    f.name = it["name"].get<std::string>();
    if (!IsPlainFileName(f.name)) return bad(item + ": \"" + f.name + "\" is not a plain file name");
    if (!names.insert(f.name).second) return bad(item + ": " + f.name + " is listed twice");
    if (!GetInt(it, "size", f.size) || f.size < 0) return bad(f.name + ": \"size\" missing or negative");
    if (!it.contains("xxh64") || !it["xxh64"].is_string() ||
        !ParseHex64(it["xxh64"].get<std::string>(), f.checksum)) {
      return bad(f.name + ": \"xxh64\" missing or not 16 hex digits");
    }
    sum += f.size;
    m.items.push_back(std::move(f));
  }
  if (sum != m.total_bytes) {
    return bad("the items add up to " + std::to_string(sum) + " bytes, \"total_bytes\" says " +
               std::to_string(m.total_bytes));
  }
  return m;
}

// Writes one payload file and flushes it; returns its checksum.
Result<uint64_t> WriteDataFile(const std::string& path, int64_t size, uint64_t stream_seed,
                               std::vector<uint64_t>& block, GenProgress& progress,
                               const std::function<void(const GenProgress&)>& report) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("cannot create", path);
  Xxh64 hash;
  uint64_t state = stream_seed;
  int64_t left = size;
  Status s;
  while (left > 0 && s.ok()) {
    const size_t n = static_cast<size_t>(std::min<int64_t>(left, static_cast<int64_t>(kBlockBytes)));
    const size_t words = (n + 7) / 8;
    for (size_t w = 0; w < words; ++w) block[w] = SplitMix64(state);
    const char* p = reinterpret_cast<const char*>(block.data());
    hash.Update(p, n);
    size_t done = 0;
    while (done < n) {
      ssize_t k = ::write(fd, p + done, n - done);
      if (k < 0) {
        if (errno == EINTR) continue;
        s = ErrnoStatus("cannot write", path);
        break;
      }
      done += static_cast<size_t>(k);
    }
    left -= static_cast<int64_t>(n);
    progress.bytes_done += static_cast<int64_t>(done);
    if (report && s.ok()) report(progress);
  }
  // Start the write-back now, so the disk works while the next file is
  // generated; FlushFile waits for it before the manifest is written.
  if (s.ok()) ::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
  if (::close(fd) < 0 && s.ok()) s = ErrnoStatus("cannot close", path);
  if (!s.ok()) return s;
  return hash.Digest();
}

Status FlushFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open", path);
  Status s;
  if (::fsync(fd) < 0) s = ErrnoStatus("cannot flush", path);
  ::close(fd);
  return s;
}

Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open directory", dir);
  Status s;
  if (::fsync(fd) < 0) s = ErrnoStatus("cannot flush directory", dir);
  ::close(fd);
  return s;
}

}  // namespace

// ---- sizes -------------------------------------------------------------------

Result<int64_t> ParseByteSize(std::string_view text) {
  const std::string shown(text);
  auto bad = [&] {
    return InvalidArgument("cannot read size '" + shown +
                           "': use bytes (4096), decimal units KB/MB/GB (1000-based) or binary "
                           "units KiB/MiB/GiB (1024-based), e.g. 512KB, 1.5MB, 1MiB");
  };
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  const std::string number(text.substr(0, i));
  std::string unit;
  for (char c : text.substr(i)) unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (number.empty() || std::count(number.begin(), number.end(), '.') > 1 || number == ".") return bad();
  double mult = 0;
  if (unit.empty() || unit == "b")
    mult = 1;
  else if (unit == "kb")
    mult = 1e3;
  else if (unit == "mb")
    mult = 1e6;
  else if (unit == "gb")
    mult = 1e9;
  else if (unit == "kib")
    mult = 1024.0;
  else if (unit == "mib")
    mult = 1024.0 * 1024;
  else if (unit == "gib")
    mult = 1024.0 * 1024 * 1024;
  else
    return bad();
  if (mult == 1 && number.find('.') != std::string::npos) return bad();  // fractional bytes
  double value = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc() || end != number.data() + number.size()) return bad();
  const double bytes = std::round(value * mult);
  if (!(bytes < 9.0e18)) return InvalidArgument("size '" + shown + "' is too large");
  return static_cast<int64_t>(bytes);
}

// ---- XXH64 (Debian's libxxhash) -------------------------------------------------

Xxh64::Xxh64(uint64_t seed)
    : state_(XXH64_createState(), [](XXH64_state_t* state) { XXH64_freeState(state); }) {
  if (!state_) throw std::bad_alloc();
  XXH64_reset(state_.get(), seed);
}

void Xxh64::Update(const void* data, size_t size) { XXH64_update(state_.get(), data, size); }

uint64_t Xxh64::Digest() const { return XXH64_digest(state_.get()); }

uint64_t Xxh64::Of(const void* data, size_t size, uint64_t seed) { return XXH64(data, size, seed); }

std::string ChecksumHex(uint64_t checksum) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(checksum));
  return buf;
}

Result<uint64_t> ChecksumFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFound(path + ": no such file");
    return ErrnoStatus("cannot open", path);
  }
  std::unique_ptr<char[]> buf(new char[kBlockBytes]);
  Xxh64 hash;
  Status s;
  for (;;) {
    ssize_t n = ::read(fd, buf.get(), kBlockBytes);
    if (n < 0) {
      if (errno == EINTR) continue;
      s = ErrnoStatus("cannot read", path);
      break;
    }
    if (n == 0) break;
    hash.Update(buf.get(), static_cast<size_t>(n));
  }
  ::close(fd);
  if (!s.ok()) return s;
  return hash.Digest();
}

uint64_t FileStreamSeed(uint64_t seed, int64_t index) {
  return Mix64(seed ^ Mix64(static_cast<uint64_t>(index) + 0x632BE59BD9B4E019ULL));
}

// ---- manifest --------------------------------------------------------------------

std::string Manifest::ToJson() const {
  nlohmann::ordered_json j;
  j["format"] = kFormat;
  j["version"] = version;
  j["files"] = files;
  j["min_bytes"] = min_bytes;
  j["max_bytes"] = max_bytes;
  j["seed"] = seed;
  j["total_bytes"] = total_bytes;
  j["checksum"] = "xxh64 (seed 0) of the file's bytes, 16 hex digits";
  j["generator"] = "sizes: splitmix64(seed) uniform in [min_bytes, max_bytes]; bytes: splitmix64 words";
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const DataFile& f : items) {
    nlohmann::ordered_json item;
    item["name"] = f.name;
    item["size"] = f.size;
    item["xxh64"] = ChecksumHex(f.checksum);
    list.push_back(std::move(item));
  }
  j["items"] = std::move(list);
  return j.dump(1) + "\n";
}

Result<OutputDirState> InspectOutputDir(const std::string& dir) {
  std::error_code ec;
  auto st = fs::status(dir, ec);
  if (!fs::exists(st)) return OutputDirState::kAbsent;
  if (!fs::is_directory(st)) return InvalidArgument("--out " + dir + " exists and is not a directory");
  fs::directory_iterator it(dir, ec);
  if (ec) return InvalidArgument("--out " + dir + ": cannot list it: " + ec.message());
  if (it == fs::directory_iterator()) return OutputDirState::kEmpty;
  auto text = ReadFile(dir + "/" + kManifestName);
  if (text.ok() && ParseManifest(*text, dir).ok()) return OutputDirState::kDataSet;
  return OutputDirState::kOtherFiles;
}

std::vector<int64_t> DataFileSizes(const DataSetOptions& options) {
  std::vector<int64_t> sizes;
  sizes.reserve(static_cast<size_t>(std::max<int64_t>(options.files, 0)));
  uint64_t state = options.seed;
  const uint64_t range = static_cast<uint64_t>(options.max_bytes - options.min_bytes) + 1;
  for (int64_t i = 0; i < options.files; ++i) {
    sizes.push_back(options.min_bytes + static_cast<int64_t>(UniformBelow(state, range)));
  }
  return sizes;
}

Result<Manifest> GenerateDataSet(const DataSetOptions& options,
                                 const std::function<void(const GenProgress&)>& progress) {
  // The options, before anything touches the disk.
  if (options.files < 1 || options.files > kMaxDataFiles) {
    return InvalidArgument("--files must be between 1 and " + std::to_string(kMaxDataFiles) + ", got " +
                           std::to_string(options.files));
  }
  if (options.min_bytes < 1) {
    return InvalidArgument("--min must be at least 1 byte, got " + std::to_string(options.min_bytes));
  }
  if (options.min_bytes > options.max_bytes) {
    return InvalidArgument("--min (" + std::to_string(options.min_bytes) + " bytes) is larger than --max (" +
                           std::to_string(options.max_bytes) + " bytes)");
  }
  if (options.max_bytes > kMaxDataFileBytes) {
    return InvalidArgument("--max " + std::to_string(options.max_bytes) +
                           " bytes is above the cap of 1 GiB (1073741824 bytes) per file");
  }
  if (options.out_dir.empty()) return InvalidArgument("--out is required");
  const std::string& dir = options.out_dir;

  auto state = InspectOutputDir(dir);
  if (!state.ok()) return state.status();
  if (*state == OutputDirState::kDataSet && !options.force) {
    return InvalidArgument("--out " + dir + " already holds a gen-data data set; pass --force to replace it");
  }
  if (*state == OutputDirState::kOtherFiles && !options.force) {
    return InvalidArgument(
        "--out " + dir +
        " is not empty and holds no gen-data manifest; pass --force to write into it anyway");
  }

  // The space: what the files need against what the filesystem has free, plus
  // what replacing the old item files gives back.
  const std::vector<int64_t> sizes = DataFileSizes(options);
  int64_t total = 0;
  for (int64_t s : sizes) total += s;
  int64_t reclaimable = 0;
  std::vector<fs::path> old_items;
  std::error_code ec;
  if (*state == OutputDirState::kDataSet || *state == OutputDirState::kOtherFiles) {
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      const std::string name = e.path().filename().string();
      if (IsItemFileName(name) && e.is_regular_file(ec)) {
        old_items.push_back(e.path());
        reclaimable += static_cast<int64_t>(e.file_size(ec));
      }
    }
  }
  fs::path probe = fs::absolute(dir, ec);
  while (!fs::exists(probe, ec) && probe.has_parent_path() && probe != probe.parent_path()) {
    probe = probe.parent_path();
  }
  struct statvfs vfs {};
  if (::statvfs(probe.c_str(), &vfs) == 0) {
    const int64_t avail = static_cast<int64_t>(vfs.f_bavail) * static_cast<int64_t>(vfs.f_frsize);
    const int64_t need = total + 256 * options.files + 4096;  // the manifest too
    if (need > avail + reclaimable) {
      return InvalidArgument("--out " + dir + ": the data set needs " + Mb(need) + " (" +
                             std::to_string(need) + " bytes) but its filesystem has " + Mb(avail) + " free");
    }
  }

  // Clear the way: the old manifest goes first, so an interrupted run never
  // leaves one naming files that are being rewritten.
  fs::create_directories(dir, ec);
  if (ec) return Internal("cannot create " + dir + ": " + ec.message());
  const std::string manifest_path = dir + "/" + kManifestName;
  if (::unlink(manifest_path.c_str()) < 0 && errno != ENOENT)
    return ErrnoStatus("cannot remove", manifest_path);
  for (const fs::path& p : old_items) {
    if (::unlink(p.c_str()) < 0 && errno != ENOENT) return ErrnoStatus("cannot remove", p.string());
  }
  if (Status s = SyncDir(dir); !s.ok()) return s;

  Manifest m;
  m.dir = dir;
  m.files = options.files;
  m.min_bytes = options.min_bytes;
  m.max_bytes = options.max_bytes;
  m.seed = options.seed;
  m.total_bytes = total;
  m.items.reserve(sizes.size());
  GenProgress p;
  p.files_total = options.files;
  p.bytes_total = total;
  std::vector<uint64_t> block(kBlockBytes / 8);
  for (int64_t i = 0; i < options.files; ++i) {
    DataFile f;
    f.name = ItemName(i);
    f.size = sizes[static_cast<size_t>(i)];
    auto sum = WriteDataFile(m.PathOf(f), f.size, FileStreamSeed(options.seed, i), block, p, progress);
    if (!sum.ok()) return sum.status();
    f.checksum = *sum;
    m.items.push_back(std::move(f));
    ++p.files_done;
    if (progress) progress(p);
  }
  // Every file whole on disk before the manifest that names them.
  for (const DataFile& f : m.items) {
    if (Status s = FlushFile(m.PathOf(f)); !s.ok()) return s;
  }
  if (Status s = SyncDir(dir); !s.ok()) return s;
  if (Status s = WriteFileAtomically(manifest_path, m.ToJson()); !s.ok()) return s;
  if (Status s = SyncDir(dir); !s.ok()) return s;
  return m;
}

Result<Manifest> LoadManifest(const std::string& dir) {
  const std::string path = dir + "/" + kManifestName;
  struct stat st {};
  if (::stat(path.c_str(), &st) < 0) {
    return NotFound(path + ": missing (" + dir +
                    " is not a gen-data data set, or its generation was interrupted)");
  }
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  auto m = ParseManifest(*text, dir);
  if (!m.ok()) return m.status();
  for (const DataFile& f : m->items) {
    const std::string file = m->PathOf(f);
    if (::stat(file.c_str(), &st) < 0) {
      if (errno == ENOENT) return NotFound(file + ": listed in " + kManifestName + " but missing");
      return ErrnoStatus("cannot stat", file);
    }
    if (!S_ISREG(st.st_mode)) return InvalidArgument(file + ": not a regular file");
    if (st.st_size != f.size) {
      return InvalidArgument(file + ": " + std::to_string(st.st_size) + " bytes, " + kManifestName +
                             " says " + std::to_string(f.size) + " (truncated or changed since gen-data)");
    }
  }
  return m;
}

}  // namespace switchyard
