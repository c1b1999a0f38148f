#include "workload/sha256_chain.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace switchyard {

Sha256Chain::Sha256Chain() : ctx_(EVP_MD_CTX_new()), md_(EVP_MD_fetch(nullptr, "SHA256", nullptr)) {
  if (ctx_ == nullptr || md_ == nullptr) std::abort();  // out of memory, or no default provider
}

Sha256Chain::~Sha256Chain() {
  EVP_MD_CTX_free(ctx_);
  EVP_MD_free(md_);
}

Sha256Chain::Sha256Chain(Sha256Chain&& other) noexcept : ctx_(other.ctx_), md_(other.md_) {
  other.ctx_ = nullptr;
  other.md_ = nullptr;
}

Sha256Chain& Sha256Chain::operator=(Sha256Chain&& other) noexcept {
  if (this != &other) {
    EVP_MD_CTX_free(ctx_);
    EVP_MD_free(md_);
    ctx_ = other.ctx_;
    md_ = other.md_;
    other.ctx_ = nullptr;
    other.md_ = nullptr;
  }
  return *this;
}

void Sha256Chain::Hash(const unsigned char* bytes, size_t n, Sha256Digest& out) {
  unsigned int len = 0;
  if (EVP_DigestInit_ex2(ctx_, md_, nullptr) != 1 ||
      EVP_DigestUpdate(ctx_, bytes, n) != 1 || EVP_DigestFinal_ex(ctx_, out.data(), &len) != 1 ||
      len != out.size()) {
    std::abort();  // EVP SHA-256 cannot fail on valid arguments
  }
}

Sha256Digest Sha256Chain::Compute(std::string_view data, uint64_t iters) {
  Sha256Digest d;
  Hash(reinterpret_cast<const unsigned char*>(data.data()), data.size(), d);
  Sha256Digest next;
  for (uint64_t i = 0; i < iters; ++i) {
    Hash(d.data(), d.size(), next);
    d = next;
  }
  return d;
}

std::string Sha256Chain::ComputeHex(std::string_view data, uint64_t iters) {
  Sha256Digest d = Compute(data, iters);
  return ToHex(d.data(), d.size());
}

std::string ToHex(const unsigned char* bytes, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0xf];
  }
  return out;
}

}  // namespace switchyard
