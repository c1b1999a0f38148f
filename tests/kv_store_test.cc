#include "workload/kv_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace switchyard {
namespace {

class KvStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("switchyard-kv-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

// Independently computed: (sha256(str(k)).hexdigest() * 2)[:100] in Python.
TEST_F(KvStoreTest, ValuesMatchIndependentVectors) {
  EXPECT_EQ(KvValueForKey(0),
            "5feceb66ffc86f38d952786c6d696c79c2dbc239dd4e91b46729d73a27fb57e95feceb66ffc86f38d952786c6d696c79c2db");
  EXPECT_EQ(KvValueForKey(42),
            "73475cb40a568e8da8a045ced110137e159f890ac4da883b6b17dc651b3a804973475cb40a568e8da8a045ced110137e159f");
}

TEST_F(KvStoreTest, GeneratedDatabaseAnswersEveryKeyAndMissesOutsideRange) {
  std::string path = (dir_ / "kv.db").string();
  ASSERT_TRUE(GenerateKvDatabase(path, 1000).ok());
  auto reader = KvReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->row_count(), 1000);
  auto v = (*reader)->Get(1);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v.value(),
            "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b6b86b273ff34fce19d6b804eff5a3f5747ad");
  EXPECT_EQ((*reader)->Get(999).value(), KvValueForKey(999));
  auto missing = (*reader)->Get(1000);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ((*reader)->Get(-1).status().code(), StatusCode::kNotFound);
}

TEST_F(KvStoreTest, GenerationIsDeterministic) {
  std::string a = (dir_ / "a.db").string(), b = (dir_ / "b.db").string();
  ASSERT_TRUE(GenerateKvDatabase(a, 500).ok());
  ASSERT_TRUE(GenerateKvDatabase(b, 500).ok());
  auto ra = KvReader::Open(a);
  auto rb = KvReader::Open(b);
  ASSERT_TRUE(ra.ok() && rb.ok());
  for (int64_t k = 0; k < 500; k += 7) EXPECT_EQ((*ra)->Get(k).value(), (*rb)->Get(k).value());
}

TEST_F(KvStoreTest, RejectsBadArgumentsWithoutLeavingFiles) {
  EXPECT_EQ(GenerateKvDatabase((dir_ / "x.db").string(), 0).code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(GenerateKvDatabase((dir_ / "no-such-dir" / "x.db").string(), 10).ok());
  EXPECT_FALSE(GenerateKvDatabase(dir_.string(), 10).ok());  // a directory
  size_t entries = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir_)) ++entries;
  EXPECT_EQ(entries, 0u);
}

TEST_F(KvStoreTest, OpenReportsMissingAndForeignFiles) {
  auto missing = KvReader::Open((dir_ / "nope.db").string());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  std::string junk = (dir_ / "junk.db").string();
  std::ofstream(junk) << "this is not an sqlite database at all, not even close.........";
  EXPECT_FALSE(KvReader::Open(junk).ok());
}

TEST_F(KvStoreTest, RegeneratingReplacesTheFileAtomically) {
  std::string path = (dir_ / "kv.db").string();
  ASSERT_TRUE(GenerateKvDatabase(path, 10).ok());
  auto old_reader = KvReader::Open(path);
  ASSERT_TRUE(old_reader.ok());
  ASSERT_TRUE(GenerateKvDatabase(path, 20).ok());
  // The open reader still sees the file it opened; a new one sees the new file.
  EXPECT_EQ((*old_reader)->row_count(), 10);
  EXPECT_EQ((*KvReader::Open(path))->row_count(), 20);
}

}  // namespace
}  // namespace switchyard
