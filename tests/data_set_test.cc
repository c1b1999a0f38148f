#include "data/data_set.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/file_util.h"
#include "server_harness.h"

namespace switchyard {
namespace {

using testing::RunSwitchyard;
using testing::TempDir;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

DataSetOptions SmallOptions(const std::string& dir, uint64_t seed = 7) {
  DataSetOptions o;
  o.files = 6;
  o.min_bytes = 1000;
  o.max_bytes = 9000;
  o.seed = seed;
  o.out_dir = dir;
  return o;
}

// ---- checksum and sizes ------------------------------------------------------

// Published XXH64 values (seed 0), e.g. python3 -c "import xxhash; print(xxhash.xxh64(b'abc').hexdigest())".
TEST(Xxh64Test, MatchesPublishedValues) {
  auto hex = [](std::string_view s) { return ChecksumHex(Xxh64::Of(s.data(), s.size())); };
  EXPECT_EQ(hex(""), "ef46db3751d8e999");
  EXPECT_EQ(hex("a"), "d24ec4f1a98c6e5b");
  EXPECT_EQ(hex("abc"), "44bc2cf5ad770999");
  EXPECT_EQ(hex("Nobody inspects the spammish repetition"), "fbcea83c8a378bf1");
}

TEST(Xxh64Test, PiecewiseEqualsOneShot) {
  std::string data;
  for (int i = 0; i < 1000; ++i) data += static_cast<char>((i * 131 + 7) & 0xff);
  const uint64_t whole = Xxh64::Of(data.data(), data.size());
  for (size_t piece : {1u, 3u, 8u, 31u, 32u, 33u, 500u}) {
    Xxh64 h;
    for (size_t at = 0; at < data.size(); at += piece) {
      h.Update(data.data() + at, std::min(piece, data.size() - at));
    }
    EXPECT_EQ(h.Digest(), whole) << "pieces of " << piece;
  }
}

TEST(ParseByteSizeTest, AcceptsDecimalAndBinaryUnits) {
  struct Case {
    const char* text;
    int64_t bytes;
  };
  for (const Case& c : std::vector<Case>{{"4096", 4096},
                                         {"4096B", 4096},
                                         {"512KB", 512'000},
                                         {"1MB", 1'000'000},
                                         {"10mb", 10'000'000},
                                         {"1.5MB", 1'500'000},
                                         {"2GB", 2'000'000'000},
                                         {"512KiB", 524'288},
                                         {"1MiB", 1'048'576},
                                         {"1GiB", 1'073'741'824}}) {
    auto r = ParseByteSize(c.text);
    ASSERT_TRUE(r.ok()) << c.text << ": " << r.status().message();
    EXPECT_EQ(*r, c.bytes) << c.text;
  }
}

TEST(ParseByteSizeTest, RejectsWhatItCannotRead) {
  for (const char* text : {"", "MB", "1.5", "1TB", "-1", "1 MB", "1.2.3MB", "1M", "x"}) {
    auto r = ParseByteSize(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("KiB"), std::string::npos) << r.status().message();
  }
}

// ---- generation ----------------------------------------------------------------

TEST(GenerateDataSetTest, SameSeedGivesIdenticalBytesAndManifest) {
  TempDir t;
  auto a = GenerateDataSet(SmallOptions(t.File("a")));
  auto b = GenerateDataSet(SmallOptions(t.File("b")));
  ASSERT_TRUE(a.ok()) << a.status().message();
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(Slurp(t.File("a/manifest.json")), Slurp(t.File("b/manifest.json")));
  ASSERT_EQ(a->items.size(), 6u);
  for (size_t i = 0; i < a->items.size(); ++i) {
    EXPECT_EQ(Slurp(a->PathOf(a->items[i])), Slurp(b->PathOf(b->items[i]))) << a->items[i].name;
  }
}

TEST(GenerateDataSetTest, AnotherSeedGivesOtherSizesAndBytes) {
  TempDir t;
  auto a = GenerateDataSet(SmallOptions(t.File("a"), 7));
  auto b = GenerateDataSet(SmallOptions(t.File("b"), 8));
  ASSERT_TRUE(a.ok() && b.ok());
  int same_size = 0, same_sum = 0;
  for (size_t i = 0; i < a->items.size(); ++i) {
    same_size += a->items[i].size == b->items[i].size;
    same_sum += a->items[i].checksum == b->items[i].checksum;
  }
  EXPECT_LT(same_size, 6);
  EXPECT_EQ(same_sum, 0);
  EXPECT_NE(Slurp(t.File("a/manifest.json")), Slurp(t.File("b/manifest.json")));
}

TEST(GenerateDataSetTest, SizesLieInRangeAndAddUpToTheManifestTotal) {
  TempDir t;
  DataSetOptions o = SmallOptions(t.File("d"));
  o.files = 20;
  o.min_bytes = 100;
  o.max_bytes = 300;
  auto m = GenerateDataSet(o);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->files, 20);
  int64_t sum = 0;
  for (const DataFile& f : m->items) {
    EXPECT_GE(f.size, 100) << f.name;
    EXPECT_LE(f.size, 300) << f.name;
    EXPECT_EQ(static_cast<int64_t>(std::filesystem::file_size(m->PathOf(f))), f.size) << f.name;
    sum += f.size;
  }
  EXPECT_EQ(sum, m->total_bytes);
  EXPECT_EQ(m->items.front().name, "item-000000.bin");
  EXPECT_EQ(m->items.back().name, "item-000019.bin");
}

TEST(GenerateDataSetTest, EqualMinAndMaxGiveEqualSizesIncludingPartialWords) {
  TempDir t;
  DataSetOptions o = SmallOptions(t.File("d"));
  o.min_bytes = o.max_bytes = 13;  // not a multiple of the 8-byte word
  auto m = GenerateDataSet(o);
  ASSERT_TRUE(m.ok()) << m.status().message();
  for (const DataFile& f : m->items) EXPECT_EQ(Slurp(m->PathOf(f)).size(), 13u) << f.name;
}

TEST(GenerateDataSetTest, ChecksumsMatchRecomputation) {
  TempDir t;
  DataSetOptions o = SmallOptions(t.File("d"));
  o.max_bytes = 5'000'000;  // more than one 4 MiB block for some files
  o.files = 3;
  auto m = GenerateDataSet(o);
  ASSERT_TRUE(m.ok()) << m.status().message();
  for (const DataFile& f : m->items) {
    auto sum = ChecksumFile(m->PathOf(f));
    ASSERT_TRUE(sum.ok()) << sum.status().message();
    EXPECT_EQ(*sum, f.checksum) << f.name;
    std::string bytes = Slurp(m->PathOf(f));
    EXPECT_EQ(Xxh64::Of(bytes.data(), bytes.size()), f.checksum) << f.name;
  }
}

TEST(GenerateDataSetTest, ReportsProgressUpToTheTotal) {
  TempDir t;
  GenProgress last;
  int calls = 0;
  auto m = GenerateDataSet(SmallOptions(t.File("d")), [&](const GenProgress& p) {
    EXPECT_GE(p.bytes_done, last.bytes_done);
    last = p;
    ++calls;
  });
  ASSERT_TRUE(m.ok());
  EXPECT_GE(calls, 6);
  EXPECT_EQ(last.files_done, 6);
  EXPECT_EQ(last.bytes_done, m->total_bytes);
  EXPECT_EQ(last.bytes_total, m->total_bytes);
}

TEST(GenerateDataSetTest, RejectsBadOptionsBeforeWritingAnything) {
  TempDir t;
  const std::string dir = t.File("d");
  auto with = [&](auto change) {
    DataSetOptions o = SmallOptions(dir);
    change(o);
    return GenerateDataSet(o).status();
  };
  EXPECT_EQ(with([](DataSetOptions& o) { o.files = 0; }).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(with([](DataSetOptions& o) { o.min_bytes = 0; }).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(with([](DataSetOptions& o) { o.min_bytes = 10'000; }).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(with([](DataSetOptions& o) { o.max_bytes = kMaxDataFileBytes + 1; }).code(),
            StatusCode::kInvalidArgument);
  Status space = with([](DataSetOptions& o) {
    o.files = kMaxDataFiles;
    o.min_bytes = o.max_bytes = kMaxDataFileBytes;  // a petabyte
  });
  EXPECT_EQ(space.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(space.message().find("free"), std::string::npos) << space.message();
  EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST(GenerateDataSetTest, ReplacesAPreviousDataSetOnlyWithForce) {
  TempDir t;
  const std::string dir = t.File("d");
  DataSetOptions o = SmallOptions(dir);
  o.files = 8;
  ASSERT_TRUE(GenerateDataSet(o).ok());
  EXPECT_EQ(*InspectOutputDir(dir), OutputDirState::kDataSet);
  const std::string before = Slurp(dir + "/manifest.json");

  DataSetOptions again = SmallOptions(dir, 99);
  again.files = 3;
  Status refused = GenerateDataSet(again).status();
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.message().find("--force"), std::string::npos) << refused.message();
  EXPECT_EQ(Slurp(dir + "/manifest.json"), before);

  again.force = true;
  auto m = GenerateDataSet(again);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->seed, 99u);
  // The old data set's extra files are gone, not left beside the new one.
  EXPECT_FALSE(std::filesystem::exists(dir + "/item-000007.bin"));
  EXPECT_TRUE(LoadManifest(dir).ok());
}

TEST(GenerateDataSetTest, WritesIntoAForeignDirectoryOnlyWithForceAndKeepsItsFiles) {
  TempDir t;
  const std::string dir = t.File("d");
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/notes.txt") << "mine";
  EXPECT_EQ(*InspectOutputDir(dir), OutputDirState::kOtherFiles);
  DataSetOptions o = SmallOptions(dir);
  EXPECT_EQ(GenerateDataSet(o).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(dir + "/item-000000.bin"));
  o.force = true;
  ASSERT_TRUE(GenerateDataSet(o).ok());
  EXPECT_EQ(Slurp(dir + "/notes.txt"), "mine");
}

TEST(GenerateDataSetTest, AFailedRunLeavesNoManifest) {
  TempDir t;
  const std::string dir = t.File("d");
  ASSERT_TRUE(GenerateDataSet(SmallOptions(dir)).ok());
  // A directory where file 3 goes: the forced rewrite fails part-way.
  std::filesystem::remove(dir + "/item-000003.bin");
  std::filesystem::create_directory(dir + "/item-000003.bin");
  DataSetOptions o = SmallOptions(dir, 1);
  o.force = true;
  auto m = GenerateDataSet(o);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kInternal);
  EXPECT_NE(m.status().message().find("item-000003.bin"), std::string::npos) << m.status().message();
  EXPECT_FALSE(std::filesystem::exists(dir + "/manifest.json"));
  EXPECT_EQ(LoadManifest(dir).status().code(), StatusCode::kNotFound);
}

// ---- LoadManifest ----------------------------------------------------------------

TEST(LoadManifestTest, ReadsBackWhatWasGenerated) {
  TempDir t;
  auto g = GenerateDataSet(SmallOptions(t.File("d")));
  ASSERT_TRUE(g.ok());
  auto m = LoadManifest(t.File("d"));
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->ToJson(), g->ToJson());
  EXPECT_EQ(m->min_bytes, 1000);
  EXPECT_EQ(m->max_bytes, 9000);
  EXPECT_EQ(m->seed, 7u);
  EXPECT_EQ(m->version, kManifestVersion);
}

TEST(LoadManifestTest, NamesADeletedFile) {
  TempDir t;
  ASSERT_TRUE(GenerateDataSet(SmallOptions(t.File("d"))).ok());
  std::filesystem::remove(t.File("d/item-000002.bin"));
  auto m = LoadManifest(t.File("d"));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kNotFound);
  EXPECT_NE(m.status().message().find("item-000002.bin"), std::string::npos) << m.status().message();
}

TEST(LoadManifestTest, NamesATruncatedFile) {
  TempDir t;
  ASSERT_TRUE(GenerateDataSet(SmallOptions(t.File("d"))).ok());
  std::filesystem::resize_file(t.File("d/item-000004.bin"), 10);
  auto m = LoadManifest(t.File("d"));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(m.status().message().find("item-000004.bin"), std::string::npos) << m.status().message();
  EXPECT_NE(m.status().message().find("10 bytes"), std::string::npos) << m.status().message();
}

TEST(LoadManifestTest, RejectsGarbageAndForeignManifestsNamingTheManifest) {
  TempDir t;
  const std::string dir = t.File("d");
  ASSERT_TRUE(GenerateDataSet(SmallOptions(dir)).ok());
  const std::string good = Slurp(dir + "/manifest.json");
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  for (const std::string& text :
       {std::string("not json at all {"), std::string("{\"hello\": 1}"), std::string("[]"),
        good.substr(0, good.size() / 2),                           // cut short
        replace("\"version\": 1", "\"version\": 2"),               // from the future
        replace("\"item-000001.bin\"", "\"../item-000001.bin\""),  // escapes the directory
        replace("\"item-000001.bin\"", "\"item-000000.bin\""),     // listed twice
        replace("\"total_bytes\": ", "\"total_bytes\": 1"),        // does not add up
        replace("\"files\": 6", "\"files\": 5")}) {                // count mismatch
    ASSERT_TRUE(WriteFileAtomically(dir + "/manifest.json", text).ok());
    auto m = LoadManifest(dir);
    ASSERT_FALSE(m.ok()) << text;
    EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument) << text;
    EXPECT_NE(m.status().message().find("manifest.json"), std::string::npos) << m.status().message();
  }
  std::filesystem::remove(dir + "/manifest.json");
  EXPECT_EQ(LoadManifest(dir).status().code(), StatusCode::kNotFound);
}

// ---- the command -------------------------------------------------------------------

TEST(GenDataCommandTest, WritesADataSetAndReportsThroughput) {
  TempDir t;
  auto r = RunSwitchyard(
      {"gen-data", "--files", "4", "--min", "2KB", "--max", "4KiB", "--seed", "3", "--out", t.File("d")});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("wrote 4 files"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("MB/s"), std::string::npos) << r.output;
  auto m = LoadManifest(t.File("d"));
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->min_bytes, 2000);
  EXPECT_EQ(m->max_bytes, 4096);
  EXPECT_EQ(m->seed, 3u);
}

TEST(GenDataCommandTest, BadFlagsExitTwoNamingTheFlag) {
  TempDir t;
  const std::string out = t.File("d");
  std::ofstream(t.File("plain-file")) << "x";
  struct Case {
    std::vector<std::string> args;
    std::string names;
  };
  const std::vector<Case> cases = {
      {{"--files", "0", "--out", out}, "--files"},
      {{"--files", "-3", "--out", out}, "--files"},
      {{"--files", "2", "--min", "0", "--out", out}, "--min"},
      {{"--files", "2", "--min", "abc", "--out", out}, "--min"},
      {{"--files", "2", "--min", "2KB", "--max", "1KB", "--out", out}, "--min"},
      {{"--files", "2", "--max", "1TB", "--out", out}, "--max"},
      {{"--files", "2", "--max", "2GiB", "--out", out}, "--max"},
      {{"--files", "1000000", "--min", "1GiB", "--max", "1GiB", "--out", out}, "free"},
      {{"--files", "2"}, "--out"},
      {{"--files", "2", "--min", "1KB", "--max", "2KB", "--out", t.File("plain-file")}, "not a directory"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"gen-data"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    auto r = RunSwitchyard(args);
    std::string shown;
    for (const auto& a : c.args) shown += a + " ";
    EXPECT_EQ(r.exit_code, 2) << shown << "\n" << r.output;
    EXPECT_NE(r.output.find(c.names), std::string::npos) << shown << "\n" << r.output;
  }
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(GenDataCommandTest, ReplacesAnExistingDataSetOnlyWithForce) {
  TempDir t;
  const std::string out = t.File("d");
  auto gen = [&](const std::string& seed, bool force) {
    std::vector<std::string> args = {"gen-data", "--files", "3",  "--min", "1KB", "--max",
                                     "2KB",      "--seed",  seed, "--out", out};
    if (force) args.push_back("--force");
    return RunSwitchyard(args);
  };
  ASSERT_EQ(gen("1", false).exit_code, 0);
  const std::string first = Slurp(out + "/manifest.json");
  auto refused = gen("2", false);
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.output.find("--force"), std::string::npos) << refused.output;
  EXPECT_EQ(Slurp(out + "/manifest.json"), first);
  auto forced = gen("2", true);
  EXPECT_EQ(forced.exit_code, 0) << forced.output;
  EXPECT_NE(forced.output.find("replacing"), std::string::npos) << forced.output;
  EXPECT_NE(Slurp(out + "/manifest.json"), first);
  // Same flags as the first run again: the same bytes.
  ASSERT_EQ(gen("1", true).exit_code, 0);
  EXPECT_EQ(Slurp(out + "/manifest.json"), first);
}

}  // namespace
}  // namespace switchyard
