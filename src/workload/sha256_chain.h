// The cpu workload of seed 003: SHA-256 chaining through OpenSSL's EVP API.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

struct evp_md_ctx_st;
struct evp_md_st;

namespace switchyard {

using Sha256Digest = std::array<unsigned char, 32>;

// d = SHA256(data); then d = SHA256(d) `iters` times; returns the final d.
//
// Not thread-safe: holds one reusable EVP context (reusing it is ~4x faster
// than one-shot EVP_Digest) and an explicitly fetched SHA-256 implementation.
// The explicit fetch matters: EVP_sha256() makes every EVP_DigestInit_ex look
// the algorithm up again in OpenSSL 3's shared method store, under a lock that
// threads hashing in parallel contend on (2 threads ran at a quarter of 2x one
// thread's rate). Give each worker its own Sha256Chain.
class Sha256Chain {
 public:
  Sha256Chain();
  ~Sha256Chain();
  Sha256Chain(const Sha256Chain&) = delete;
  Sha256Chain& operator=(const Sha256Chain&) = delete;
  Sha256Chain(Sha256Chain&&) noexcept;
  Sha256Chain& operator=(Sha256Chain&&) noexcept;

  Sha256Digest Compute(std::string_view data, uint64_t iters);
  // Lowercase hex of Compute(data, iters).
  std::string ComputeHex(std::string_view data, uint64_t iters);

 private:
  void Hash(const unsigned char* bytes, size_t n, Sha256Digest& out);
  evp_md_ctx_st* ctx_;
  evp_md_st* md_;
};

std::string ToHex(const unsigned char* bytes, size_t n);

}  // namespace switchyard
