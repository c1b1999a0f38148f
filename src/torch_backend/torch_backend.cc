// The TorchScript backend: the only code of switchyard that includes
// LibTorch. Built as its own module (libswitchyard_torch.so) and loaded by
// TorchBackend() (model/model_backend.h) when a process first needs it.
#include "model/model_backend.h"

#include <ATen/Parallel.h>
#include <torch/script.h>

#include <cstring>

namespace switchyard {

namespace {

std::optional<torch::ScalarType> ScalarTypeOf(DataType t) {
  switch (t) {
    case DataType::kFp32: return torch::kFloat32;
    case DataType::kFp64: return torch::kFloat64;
    case DataType::kInt32: return torch::kInt32;
    case DataType::kInt64: return torch::kInt64;
    case DataType::kBool: return torch::kBool;
  }
  return std::nullopt;
}

HostTensor ToHost(torch::Tensor t) {
  HostTensor h;
  switch (t.scalar_type()) {
    case torch::kFloat64: h.dtype = DataType::kFp64; break;
    case torch::kInt32: h.dtype = DataType::kInt32; break;
    case torch::kInt64: h.dtype = DataType::kInt64; break;
    case torch::kBool: h.dtype = DataType::kBool; break;
    case torch::kFloat32: h.dtype = DataType::kFp32; break;
    default:  // half, int8, ...: served as FP32
      t = t.to(torch::kFloat32);
      h.dtype = DataType::kFp32;
  }
  t = t.contiguous();
  h.shape.assign(t.sizes().begin(), t.sizes().end());
  h.bytes.assign(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
  return h;
}

class TorchModel final : public LoadedModel {
 public:
  TorchModel(torch::jit::Module module, size_t inputs) : module_(std::move(module)), input_count_(inputs) {}

  size_t input_count() const override { return input_count_; }

  Result<std::vector<HostTensor>> Infer(std::vector<HostTensor>& inputs, InferStats* /*stats*/) const override {
    try {
      std::vector<torch::jit::IValue> args;
      args.reserve(inputs.size());
      for (HostTensor& h : inputs) {
        args.emplace_back(
            torch::from_blob(h.bytes.data(), h.shape, torch::TensorOptions().dtype(*ScalarTypeOf(h.dtype))));
      }
      torch::InferenceMode guard;
      torch::jit::IValue out = module_.forward(std::move(args));
      std::vector<HostTensor> outputs;
      if (out.isTensor()) {
        outputs.push_back(ToHost(out.toTensor()));
      } else if (out.isTuple()) {
        for (const auto& e : out.toTupleRef().elements()) {
          if (!e.isTensor()) return InvalidArgument("the model returned a tuple with a non-tensor element");
          outputs.push_back(ToHost(e.toTensor()));
        }
      } else if (out.isTensorList()) {
        for (const torch::Tensor& t : out.toTensorVector()) outputs.push_back(ToHost(t));
      } else {
        return InvalidArgument("the model returned " + out.tagKind() + ", not tensors");
      }
      return outputs;
    } catch (const std::exception& e) {
      return InvalidArgument("inference failed: " + FirstLine(e.what()));
    }
  }

 private:
  static std::string FirstLine(std::string what) { return what.substr(0, what.find('\n')); }

  // forward() is not const in LibTorch's API, though it does not change an
  // eval-mode module.
  mutable torch::jit::Module module_;
  size_t input_count_;
};

class TorchBackendImpl final : public ModelBackend {
 public:
  Result<std::unique_ptr<LoadedModel>> Load(const ModelSource& source) const override {
    const std::string& path = source.path;
    try {
      torch::jit::Module module = torch::jit::load(path);
      module.eval();
      const auto& schema = module.get_method("forward").function().getSchema();
      size_t inputs = schema.arguments().empty() ? 0 : schema.arguments().size() - 1;  // minus self
      return std::unique_ptr<LoadedModel>(std::make_unique<TorchModel>(std::move(module), inputs));
    } catch (const std::exception& e) {
      std::string what = e.what();
      return InvalidArgument("'" + path + "' is not a loadable TorchScript model: " + what.substr(0, what.find('\n')));
    }
  }

  void SetIntraOpThreads(int threads) const override { at::set_num_threads(std::max(1, threads)); }
};

}  // namespace

}  // namespace switchyard

extern "C" __attribute__((visibility("default"))) switchyard::ModelBackend* switchyard_model_backend(int abi) {
  if (abi != switchyard::kModelBackendAbi) return nullptr;
  static switchyard::TorchBackendImpl backend;
  return &backend;
}
