// Vectors computed independently with Python's hashlib:
//   d = sha256(data.encode()).digest(); repeat iters: d = sha256(d).digest()
#include "workload/sha256_chain.h"

#include <gtest/gtest.h>

#include <string>

namespace switchyard {
namespace {

struct Vector {
  std::string data;
  uint64_t iters;
  const char* hex;
};

TEST(Sha256ChainTest, MatchesIndependentVectors) {
  const Vector vectors[] = {
      {"", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"", 1, "5df6e0e2761359d30a8275058e299fcc0381534545f55cf43e41983f5d4c9456"},
      {"", 1000, "0dc9b0e0900f0ce71f36c359cbcf968d6366f2762f5699a2f5ea5fdccb70f0c8"},
      {"hello", 5, "396a7e02badf4166cbf0cb40e9293e75d42b26a31f70dbf12904625059e85aef"},
      {"h\xc3\xa9llo w\xc3\xb6rld", 3, "5734b2a5d4498ea665b2d18b49a0056fa2fe62487a699f9f9a718a0443fefce9"},
      {std::string("a\0b", 3), 2, "8ff6cdb3e5e29874f9bdb06b0bbf2c2cec015fa3f1bfbeb5eb08ffc26d51b80d"},
      {"switchyard", 100000, "925d75b9b3509a21ee48a950840df97380b4ed85e39747aba88e0666848256b9"},
  };
  Sha256Chain chain;
  for (const auto& v : vectors) {
    EXPECT_EQ(chain.ComputeHex(v.data, v.iters), v.hex) << "data size " << v.data.size() << " iters " << v.iters;
  }
}

TEST(Sha256ChainTest, ReusedContextGivesSameAnswerAsFreshOne) {
  Sha256Chain reused;
  for (int i = 0; i < 3; ++i) {
    Sha256Chain fresh;
    EXPECT_EQ(reused.ComputeHex("x", 10), fresh.ComputeHex("x", 10));
  }
}

TEST(Sha256ChainTest, ToHexIsLowercase) {
  const unsigned char bytes[] = {0x00, 0xab, 0xff, 0x10};
  EXPECT_EQ(ToHex(bytes, 4), "00abff10");
}

}  // namespace
}  // namespace switchyard
