// Synthetic data sets for the data-loading pipeline (issue 6): N binary files
// of seeded pseudo-random bytes (seed 000's "video frame" payloads) and the
// manifest that names them, written by `switchyard gen-data` and read by the
// loaders.
//
// Layout of a data set directory:
//   item-000000.bin ... item-NNNNNN.bin   the payloads
//   manifest.json                         written last, atomically (rename):
//                                         it exists only when every file it
//                                         names was written whole and flushed
//
// Contents are a pure function of (seed, files, min, max): the same flags give
// byte-identical files and manifest on any little-endian machine. File sizes
// come from one splitmix64 stream seeded with `seed`, uniform in [min, max];
// file i holds the little-endian 64-bit words of a splitmix64 stream seeded
// with FileStreamSeed(seed, i), the last word cut to the size.
//
// Checksums are XXH64 (seed 0) of a file's bytes, the published algorithm
// (what xxhsum -H64 and Python's xxhash.xxh64 print), so scripts can check
// them too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

struct XXH64_state_s;  // xxhash.h's streaming state, used only by data_set.cc

namespace switchyard {

inline constexpr int kManifestVersion = 1;
inline constexpr const char* kManifestName = "manifest.json";
inline constexpr int64_t kMaxDataFileBytes = int64_t{1} << 30;  // 1 GiB
inline constexpr int64_t kMaxDataFiles = 1'000'000;

// "4096", "4096B", "512KB", "1MB", "2GB" (decimal: KB = 1000 bytes) or
// "512KiB", "1MiB", "1GiB" (binary: KiB = 1024 bytes). Units are
// case-insensitive; a fraction is allowed with a unit ("1.5MB"); the result is
// whole bytes. InvalidArgument with the accepted forms otherwise.
Result<int64_t> ParseByteSize(std::string_view text);

// XXH64 of a byte stream, fed in pieces of any size: Debian's libxxhash
// behind a small RAII wrapper. Not thread-safe; one per stream.
class Xxh64 {
 public:
  explicit Xxh64(uint64_t seed = 0);
  void Update(const void* data, size_t size);
  uint64_t Digest() const;
  // One-shot.
  static uint64_t Of(const void* data, size_t size, uint64_t seed = 0);

 private:
  std::unique_ptr<::XXH64_state_s, void (*)(::XXH64_state_s*)> state_;
};

// The 16 lowercase hex digits the manifest stores.
std::string ChecksumHex(uint64_t checksum);

// XXH64 of a whole file; NotFound / Internal naming the file.
Result<uint64_t> ChecksumFile(const std::string& path);

// The seed of file `index`'s byte stream.
uint64_t FileStreamSeed(uint64_t seed, int64_t index);

struct DataSetOptions {
  int64_t files = 0;
  int64_t min_bytes = 0;
  int64_t max_bytes = 0;
  uint64_t seed = 0;
  std::string out_dir;
  // Allows writing into a non-empty directory and replacing a previous data
  // set (its manifest and item-*.bin files are removed first; other files are
  // left alone).
  bool force = false;
};

struct DataFile {
  std::string name;  // relative to the data set directory
  int64_t size = 0;
  uint64_t checksum = 0;  // XXH64
};

struct Manifest {
  std::string dir;  // where it was loaded from or written to
  int version = kManifestVersion;
  int64_t files = 0;
  int64_t min_bytes = 0;
  int64_t max_bytes = 0;
  uint64_t seed = 0;
  int64_t total_bytes = 0;
  std::vector<DataFile> items;

  std::string PathOf(const DataFile& f) const { return dir + "/" + f.name; }
  std::string ToJson() const;
};

struct GenProgress {
  int64_t files_done = 0;
  int64_t files_total = 0;
  int64_t bytes_done = 0;
  int64_t bytes_total = 0;
};

// What an output directory holds now.
enum class OutputDirState {
  kAbsent,  // will be created
  kEmpty,
  kDataSet,     // a previous gen-data output (a readable manifest)
  kOtherFiles,  // non-empty, no manifest
};

// The state of `dir`, or InvalidArgument when it exists but is not a
// directory or cannot be listed.
Result<OutputDirState> InspectOutputDir(const std::string& dir);

// The file sizes the options give, in order (no I/O; options must be valid).
std::vector<int64_t> DataFileSizes(const DataSetOptions& options);

// Checks the options and the output directory (existing contents against
// `force`, free space on its filesystem), then writes the files and, last,
// the manifest. `progress` (may be empty) is called after every block written
// (about every 4 MiB) and after every file. InvalidArgument: bad options, a
// directory that may not be written, not enough space; Internal: an I/O
// failure (nothing written so far is removed, but no manifest names it).
Result<Manifest> GenerateDataSet(const DataSetOptions& options,
                                 const std::function<void(const GenProgress&)>& progress = {});

// Reads `dir`/manifest.json and checks it: the format and version, every field,
// every item's name (a plain file name), that the counts and the total add up,
// and that every listed file exists with the listed size (contents are not
// read; ChecksumFile does that). Errors name the manifest or the file:
// NotFound for a missing manifest or file, InvalidArgument otherwise.
Result<Manifest> LoadManifest(const std::string& dir);

}  // namespace switchyard
