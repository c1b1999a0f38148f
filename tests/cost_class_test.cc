#include "core/cost_class.h"

#include <gtest/gtest.h>

#include <unordered_set>

#include "core/request.h"

namespace switchyard {
namespace {

TEST(CostClassTest, RequestsFallIntoPowerOfTwoClasses) {
  ScoreRequest cpu;
  cpu.mode = ScoreMode::kCpu;
  cpu.iters = 1000;
  EXPECT_EQ(CostClassOf(cpu).text(), "cpu:2^9");
  EXPECT_EQ(CostClassOf(cpu).log2_size(), 9);
  cpu.iters = 0;
  EXPECT_EQ(CostClassOf(cpu).text(), "cpu:2^0");
  cpu.iters = UINT64_MAX;
  EXPECT_EQ(CostClassOf(cpu).text(), "cpu:2^64");
  ScoreRequest sleep;
  sleep.mode = ScoreMode::kSleep;
  sleep.sleep_ms = 20;
  EXPECT_EQ(CostClassOf(sleep).text(), "sleep:2^4");
  ScoreRequest io;
  io.mode = ScoreMode::kIo;
  EXPECT_EQ(CostClassOf(io).text(), "io");
  ScoreRequest infer;
  infer.mode = ScoreMode::kInfer;
  infer.model = "mobilenet";
  EXPECT_EQ(CostClassOf(infer).text(), "model:mobilenet");
  EXPECT_EQ(CostClassOf(infer).log2_size(), -1);
}

TEST(CostClassTest, FamiliesAndKindsComeFromTheTextForm) {
  EXPECT_EQ(CostClass::Parse("cpu:2^17").family(), CostClass::Family::kCpu);
  EXPECT_EQ(CostClass::Parse("io").kind(), CostKind::kIo);
  EXPECT_EQ(CostClass::Parse("sleep:2^4").kind(), CostKind::kSleep);
  EXPECT_EQ(CostClass::Parse("model:m").kind(), CostKind::kModel);
  // A trace's own names: other, costing CPU as an unknown request would.
  EXPECT_EQ(CostClass::Parse("default").family(), CostClass::Family::kOther);
  EXPECT_EQ(CostClass::Parse("default").kind(), CostKind::kCpu);
  EXPECT_EQ(CostClass::Parse("iox").kind(), CostKind::kCpu);
  EXPECT_EQ(CostClass::Parse("model").kind(), CostKind::kCpu);  // no ':'
  // A family with a size that is not 2^K keeps its family, without a size.
  EXPECT_EQ(CostClass::Parse("sleep:abc").kind(), CostKind::kSleep);
  EXPECT_EQ(CostClass::Parse("sleep:abc").log2_size(), -1);
  EXPECT_EQ(CostClass::Parse("cpu:2^100").log2_size(), -1);
  // Sizes are read whatever the family: the predictor's model files did.
  EXPECT_EQ(CostClass::Parse("foo:2^3").log2_size(), 3);
  EXPECT_EQ(CostClass::Parse("foo:2^3").family_name(), "foo");
  EXPECT_EQ(CostClass::Parse("default").family_name(), "default");
  EXPECT_EQ(CostClass().text(), "");
}

TEST(CostClassTest, TheTextFormRoundTripsAndIdentifiesTheClass) {
  for (const char* text : {"cpu:2^9", "io", "sleep:2^4", "model:mobilenet", "default", "a:b:c", ""}) {
    const CostClass c = CostClass::Parse(text);
    EXPECT_EQ(c.text(), text);
    EXPECT_EQ(CostClass::Parse(c.text()), c);
  }
  EXPECT_EQ(CostClass::Cpu(1000), CostClass::Parse("cpu:2^9"));
  EXPECT_EQ(CostClass::Sleep(20), CostClass::Parse("sleep:2^4"));
  EXPECT_EQ(CostClass::Model("m"), CostClass::Parse("model:m"));
  EXPECT_NE(CostClass::Cpu(1000), CostClass::Cpu(2000));
  std::unordered_set<CostClass> set = {CostClass::Io(), CostClass::Parse("io"), CostClass::Cpu(1)};
  EXPECT_EQ(set.size(), 2u);
  EXPECT_LT(CostClass::Parse("a"), CostClass::Parse("b"));
}

TEST(CostClassTest, KindsHaveTheirNames) {
  EXPECT_EQ(CostKindName(CostKind::kCpu), "cpu");
  EXPECT_EQ(CostKindName(CostKind::kIo), "io");
  EXPECT_EQ(CostKindName(CostKind::kSleep), "sleep");
  EXPECT_EQ(CostKindName(CostKind::kModel), "model");
}

}  // namespace
}  // namespace switchyard
