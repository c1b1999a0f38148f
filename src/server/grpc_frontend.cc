#include "server/grpc_frontend.h"

#include <grpcpp/grpcpp.h>

#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>

#include "grpc_predict_v2.grpc.pb.h"
#include "model/input_binding.h"
#include "server/json_reply.h"

namespace switchyard {
namespace {

// The code Triton answers with for what the HTTP routes answer `http_status`.
grpc::StatusCode CodeOfHttp(int http_status) {
  switch (http_status) {
    case 400:
    case 405:
    case 413:
      return grpc::StatusCode::INVALID_ARGUMENT;
    case 404:
      return grpc::StatusCode::NOT_FOUND;
    case 503:
      return grpc::StatusCode::UNAVAILABLE;
    case 504:
      return grpc::StatusCode::DEADLINE_EXCEEDED;
    default:
      return grpc::StatusCode::INTERNAL;
  }
}

grpc::Status ToGrpc(const Status& status) {
  return grpc::Status(CodeOfHttp(status.http_status()), status.message());
}

// An error reply's status and message (the JSON body's "error").
grpc::Status FromReply(const HttpReply& reply) {
  auto body = nlohmann::json::parse(reply.body, nullptr, false);
  std::string message = body.is_object() && body.contains("error") && body["error"].is_string()
                            ? body["error"].get<std::string>()
                            : reply.body;
  return grpc::Status(CodeOfHttp(reply.status), message);
}

// The route a model name and optional version text name, or the error.
Result<V2Api::Route> RouteOf(const std::string& name, bool has_version, const std::string& version,
                             V2Api::Route::Kind kind) {
  V2Api::Route route;
  route.kind = kind;
  route.model = name;
  if (name.empty()) return InvalidArgument("no model named (the request's model name is empty)");
  if (has_version && !version.empty()) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(version.data(), version.data() + version.size(), v);
    if (ec != std::errc() || end != version.data() + version.size() || v <= 0) {
      return InvalidArgument("version '" + version + "' is not a positive integer");
    }
    route.version = v;
  }
  return route;
}

template <typename T, typename Values>
void AppendValues(const Values& values, std::string& out) {
  out.resize(static_cast<size_t>(values.size()) * sizeof(T));
  for (int i = 0; i < values.size(); ++i) {
    const T v = static_cast<T>(values[i]);
    std::memcpy(out.data() + static_cast<size_t>(i) * sizeof(T), &v, sizeof v);
  }
}

// An input's typed contents as its bytes: the field of its datatype, with
// exactly `count` values.
Status FromContents(const std::string& name, const InputBinding::Bound& b,
                    const inference::InferTensorContents& c, std::string& out) {
  int given = 0;
  const char* field = "";
  switch (b.dtype) {
    case DataType::kFp32:
      given = c.fp32_contents_size(), field = "fp32_contents";
      break;
    case DataType::kFp64:
      given = c.fp64_contents_size(), field = "fp64_contents";
      break;
    case DataType::kInt32:
      given = c.int_contents_size(), field = "int_contents";
      break;
    case DataType::kInt64:
      given = c.int64_contents_size(), field = "int64_contents";
      break;
    case DataType::kBool:
      given = c.bool_contents_size(), field = "bool_contents";
      break;
  }
  if (given != b.count) {
    return InvalidArgument("input '" + name + "': its shape " + ShapeString(b.shape) + " holds " +
                           std::to_string(b.count) + " elements but contents." + field + " has " +
                           std::to_string(given) + " (datatype " + std::string(DataTypeName(b.dtype)) + ")");
  }
  switch (b.dtype) {
    case DataType::kFp32:
      AppendValues<float>(c.fp32_contents(), out);
      break;
    case DataType::kFp64:
      AppendValues<double>(c.fp64_contents(), out);
      break;
    case DataType::kInt32:
      AppendValues<int32_t>(c.int_contents(), out);
      break;
    case DataType::kInt64:
      AppendValues<int64_t>(c.int64_contents(), out);
      break;
    case DataType::kBool:
      AppendValues<uint8_t>(c.bool_contents(), out);
      break;
  }
  return Status::Ok();
}

// A non-negative int64 parameter, or the error naming it.
Result<int64_t> NonNegativeParameter(const inference::InferParameter& p, const std::string& what) {
  if (p.parameter_choice_case() != inference::InferParameter::kInt64Param || p.int64_param() < 0) {
    return InvalidArgument("parameters." + what + " must be a non-negative int64_param");
  }
  return p.int64_param();
}

// `request` checked against a model's inputs, as ParseInferRequest does for
// the HTTP body (model/infer_json.h).
Result<InferRequest> ParseGrpcInfer(const inference::ModelInferRequest& request,
                                    const std::vector<TensorSpec>& specs, bool declared,
                                    const InferLimits& limits) {
  InferRequest out;
  out.id = request.id();
  for (const auto& [key, value] : request.parameters()) {
    if (key == "priority") {
      auto v = NonNegativeParameter(value, "priority");
      if (!v.ok()) return v.status();
      out.priority = *v;
    } else if (key == "timeout") {
      auto v = NonNegativeParameter(value, "timeout (microseconds)");
      if (!v.ok()) return v.status();
      out.timeout_us = *v;
    }
  }
  const bool raw = request.raw_input_contents_size() > 0;
  if (raw && request.raw_input_contents_size() != request.inputs_size()) {
    return InvalidArgument("raw_input_contents has " + std::to_string(request.raw_input_contents_size()) +
                           " entries for " + std::to_string(request.inputs_size()) +
                           " inputs (one per input)");
  }
  InputBinding binding(specs, declared, limits);
  out.payload.inputs.resize(specs.size());
  for (int k = 0; k < request.inputs_size(); ++k) {
    const auto& in = request.inputs(k);
    auto b =
        binding.Bind(in.name(), in.datatype(), std::vector<int64_t>(in.shape().begin(), in.shape().end()));
    if (!b.ok()) return b.status();
    HostTensor& t = out.payload.inputs[b->index];
    t.name = specs[b->index].name;
    t.dtype = b->dtype;
    t.shape = b->shape;
    Status filled;
    if (raw) {
      if (in.has_contents()) {
        return InvalidArgument("input '" + in.name() + "': both contents and raw_input_contents (give one)");
      }
      const std::string& bytes = request.raw_input_contents(k);
      if (bytes.size() != b->bytes) {
        return InvalidArgument("input '" + in.name() + "': raw_input_contents holds " +
                               std::to_string(bytes.size()) + " bytes, but shape " + ShapeString(b->shape) +
                               " of " + std::string(DataTypeName(b->dtype)) + " holds " +
                               std::to_string(b->bytes));
      }
      filled = CopyRawInput(in.name(), b->dtype, bytes, t.bytes);
    } else if (!in.has_contents()) {
      return InvalidArgument("input '" + in.name() + "': no contents (and no raw_input_contents)");
    } else {
      filled = FromContents(in.name(), *b, in.contents(), t.bytes);
    }
    if (!filled.ok()) return filled;
  }
  if (Status complete = binding.CheckComplete(); !complete.ok()) return complete;
  for (const auto& o : request.outputs()) {
    if (o.parameters().count("classification") > 0) {
      return InvalidArgument("output '" + o.name() +
                             "': parameters.classification (Triton's classification "
                             "extension) is not served");
    }
    out.payload.outputs.push_back(o.name());
  }
  return out;
}

// The worker's output tensors into `response` (raw_output_contents).
HttpReply RenderResponse(const V2Api::Prepared& p, std::string_view output_tensors,
                         inference::ModelInferResponse* response) {
  auto tensors = DecodeTensors(output_tensors);
  if (!tensors.ok()) return ErrorReply(Internal("the worker's reply: " + tensors.status().message()));
  response->set_model_name(p.model_name);
  response->set_model_version(std::to_string(p.model_version));
  response->set_id(p.id);
  for (HostTensor& t : *tensors) {
    auto* out = response->add_outputs();
    out->set_name(t.name);
    out->set_datatype(std::string(DataTypeName(t.dtype)));
    for (int64_t d : t.shape) out->add_shape(d);
    response->add_raw_output_contents(std::move(t.bytes));
  }
  return JsonReply(200, {});
}

void AddSpecs(const std::vector<TensorSpec>& specs, bool declared,
              google::protobuf::RepeatedPtrField<inference::ModelMetadataResponse::TensorMetadata>* out) {
  for (const TensorSpec& s : specs) {
    auto* t = out->Add();
    t->set_name(s.name);
    // Without a config the datatype and shape come from each request.
    t->set_datatype(declared ? std::string(DataTypeName(s.dtype)) : std::string());
    if (declared) {
      for (int64_t d : s.shape) t->add_shape(d);
    } else {
      t->add_shape(-1);
    }
  }
}

class Service final : public inference::GRPCInferenceService::CallbackService {
 public:
  explicit Service(GrpcFrontend::Parts parts) : parts_(parts) {}

  grpc::ServerUnaryReactor* ServerLive(grpc::CallbackServerContext* context,
                                       const inference::ServerLiveRequest*,
                                       inference::ServerLiveResponse* response) override {
    response->set_live(true);
    return Done(context, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ServerReady(grpc::CallbackServerContext* context,
                                        const inference::ServerReadyRequest*,
                                        inference::ServerReadyResponse* response) override {
    response->set_ready(parts_.state.Admitting().ok());
    return Done(context, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ServerMetadata(grpc::CallbackServerContext* context,
                                           const inference::ServerMetadataRequest*,
                                           inference::ServerMetadataResponse* response) override {
    response->set_name("switchyard");
    response->set_version("0.1.0");
    response->add_extensions("binary_tensor_data");
    return Done(context, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ModelReady(grpc::CallbackServerContext* context,
                                       const inference::ModelReadyRequest* request,
                                       inference::ModelReadyResponse* response) override {
    auto route =
        RouteOf(request->name(), request->has_version(), request->version(), V2Api::Route::kModelReady);
    if (!route.ok()) return Done(context, ToGrpc(route.status()));
    auto target = parts_.v2.Resolve(*route);
    if (!target.ok() && target.status().code() == StatusCode::kNotFound) {
      return Done(context, ToGrpc(target.status()));
    }
    response->set_ready(target.ok());
    return Done(context, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ModelMetadata(grpc::CallbackServerContext* context,
                                          const inference::ModelMetadataRequest* request,
                                          inference::ModelMetadataResponse* response) override {
    auto route = RouteOf(request->name(), request->has_version(), request->version(), V2Api::Route::kModel);
    if (!route.ok()) return Done(context, ToGrpc(route.status()));
    auto meta = parts_.v2.DescribeModel(*route);
    if (!meta.ok()) return Done(context, ToGrpc(meta.status()));
    response->set_name(meta->name);
    for (const std::string& v : meta->versions) response->add_versions(v);
    response->set_platform(meta->platform);
    AddSpecs(meta->inputs, meta->declared, response->mutable_inputs());
    AddSpecs(meta->outputs, meta->declared, response->mutable_outputs());
    if (!meta->error.empty()) (*response->mutable_properties())["error"] = meta->error;
    return Done(context, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ModelInfer(grpc::CallbackServerContext* context,
                                       const inference::ModelInferRequest* request,
                                       inference::ModelInferResponse* response) override {
    if (Status admitting = parts_.state.Admitting(); !admitting.ok()) return Done(context, ToGrpc(admitting));
    auto route = RouteOf(request->model_name(), request->has_model_version(), request->model_version(),
                         V2Api::Route::kInfer);
    if (!route.ok()) return Done(context, ToGrpc(route.status()));
    auto target = parts_.v2.Resolve(*route);
    if (!target.ok()) return Done(context, ToGrpc(target.status()));
    auto parsed = ParseGrpcInfer(*request, target->model->InputSpecs(*target->version),
                                 target->model->config.declared, parts_.v2.limits());
    if (!parsed.ok()) return Done(context, ToGrpc(parsed.status()));
    auto prepared = V2Api::Prepare(*target, std::move(parsed).value());
    if (!prepared.ok()) return Done(context, ToGrpc(prepared.status()));
    std::string client;
    if (auto it = context->client_metadata().find("x-client-id"); it != context->client_metadata().end()) {
      client.assign(it->second.data(), it->second.size());
    }
    auto p = std::make_shared<V2Api::Prepared>(std::move(prepared).value());
    Job job = std::move(p->job);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    // Counted as the HTTP transport counts its requests: admission reads it,
    // and a draining server waits for it to reach 0.
    parts_.metrics.requests_in_progress.fetch_add(1, std::memory_order_relaxed);
    ServerMetrics& metrics = parts_.metrics;
    parts_.admission.Submit(
        job, {client, request->ByteSizeLong()},
        [reactor, &metrics](HttpReply reply) {
          metrics.CountReply(reply.status);
          reactor->Finish(reply.status == 200 ? grpc::Status::OK : FromReply(reply));
          metrics.requests_in_progress.fetch_sub(1, std::memory_order_relaxed);
        },
        [p, response](const ScoreOutcome& outcome) { return RenderResponse(*p, outcome.result, response); });
    return reactor;
  }

 private:
  static grpc::ServerUnaryReactor* Done(grpc::CallbackServerContext* context, const grpc::Status& status) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(status);
    return reactor;
  }

  GrpcFrontend::Parts parts_;
};

}  // namespace

struct GrpcFrontend::Impl {
  explicit Impl(Parts parts) : service(parts) {}
  Service service;
  std::unique_ptr<grpc::Server> server;
};

GrpcFrontend::GrpcFrontend(std::unique_ptr<Impl> impl, uint16_t port) : impl_(std::move(impl)), port_(port) {}

GrpcFrontend::~GrpcFrontend() { Shutdown(std::chrono::milliseconds(0)); }

Result<std::unique_ptr<GrpcFrontend>> GrpcFrontend::Start(const std::string& host, uint16_t port, Parts parts,
                                                          size_t max_message_bytes) {
  auto impl = std::make_unique<Impl>(parts);
  grpc::ServerBuilder builder;
  int selected = 0;
  const std::string address =
      (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
  // gRPC sets SO_REUSEPORT by default: a second server on a port in use would
  // share it silently rather than fail.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &selected);
  builder.RegisterService(&impl->service);
  builder.SetMaxReceiveMessageSize(static_cast<int>(std::min<size_t>(max_message_bytes, INT32_MAX)));
  builder.SetMaxSendMessageSize(INT32_MAX);
  impl->server = builder.BuildAndStart();
  if (impl->server == nullptr || selected == 0) {
    return InvalidArgument("cannot listen for gRPC on " + address +
                           " (--grpc-port): in use or not an address here");
  }
  return std::unique_ptr<GrpcFrontend>(new GrpcFrontend(std::move(impl), static_cast<uint16_t>(selected)));
}

void GrpcFrontend::Shutdown(std::chrono::milliseconds grace) {
  if (impl_ == nullptr || impl_->server == nullptr) return;
  impl_->server->Shutdown(std::chrono::system_clock::now() + grace);
  impl_->server->Wait();
  impl_->server.reset();
}

}  // namespace switchyard
