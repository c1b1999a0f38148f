// model/tensor_naming.h: Triton's <name>__<index> convention for PyTorch
// models without a config.
#include "model/tensor_naming.h"

#include <gtest/gtest.h>

namespace switchyard {
namespace {

TEST(ConventionIndexTest, TheDigitsAfterTheLastDoubleUnderscore) {
  EXPECT_EQ(ConventionIndex("INPUT__0"), 0u);
  EXPECT_EQ(ConventionIndex("input__0"), 0u);
  EXPECT_EQ(ConventionIndex("x__12"), 12u);
  EXPECT_EQ(ConventionIndex("__3"), 3u);
  EXPECT_EQ(ConventionIndex("a__b__2"), 2u);
  EXPECT_EQ(ConventionIndex("OUTPUT__007"), 7u);
}

TEST(ConventionIndexTest, NoIndexWithoutOne) {
  EXPECT_EQ(ConventionIndex("INPUT0"), std::nullopt);
  EXPECT_EQ(ConventionIndex("INPUT_0"), std::nullopt);
  EXPECT_EQ(ConventionIndex("INPUT__"), std::nullopt);
  EXPECT_EQ(ConventionIndex("INPUT__x"), std::nullopt);
  EXPECT_EQ(ConventionIndex("INPUT__-1"), std::nullopt);
  EXPECT_EQ(ConventionIndex("INPUT__1 "), std::nullopt);
  EXPECT_EQ(ConventionIndex("INPUT__0__"), std::nullopt);
  EXPECT_EQ(ConventionIndex("INPUT__1234567890"), std::nullopt);  // too many digits
  EXPECT_EQ(ConventionIndex(""), std::nullopt);
}

}  // namespace
}  // namespace switchyard
