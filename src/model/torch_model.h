// TorchModel: one TorchScript module loaded with LibTorch, run for inference.
// The only place switchyard includes LibTorch's headers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "model/tensor.h"

namespace switchyard {

// Thread-safe: Infer may run concurrently on many threads (forward() of a
// frozen TorchScript module in eval mode does not mutate it). Lifetime: the
// weights live as long as the object; a process forked after Load shares
// them copy-on-write.
class TorchModel {
 public:
  // InvalidArgument naming the file and LibTorch's reason when `path` is not
  // a TorchScript archive.
  static Result<std::unique_ptr<TorchModel>> Load(const std::string& path);
  ~TorchModel();

  // Inputs of forward() (without `self`).
  size_t input_count() const { return input_count_; }

  // forward(inputs...) with no autograd. The inputs' bytes are used in place
  // (hence non-const). Outputs: a tensor, or a tuple/list of tensors, in
  // order; names are left empty for the caller. InvalidArgument with
  // LibTorch's message when the model rejects the inputs.
  Result<std::vector<HostTensor>> Infer(std::vector<HostTensor>& inputs) const;

 private:
  struct Impl;
  TorchModel(std::unique_ptr<Impl> impl, size_t inputs);
  std::unique_ptr<Impl> impl_;
  size_t input_count_;
};

// LibTorch's intra-op threads for this process (at::set_num_threads): how
// many threads one inference may use. Call before the first inference.
void SetIntraOpThreads(int threads);

}  // namespace switchyard
