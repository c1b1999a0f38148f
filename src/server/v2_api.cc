#include "server/v2_api.h"

#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>

#include "server/json_reply.h"

namespace switchyard {
namespace {

using nlohmann::json;

json SpecsJson(const std::vector<TensorSpec>& specs, bool declared) {
  json out = json::array();
  for (const TensorSpec& s : specs) {
    // Without a config the datatype and shape come from each request.
    out.push_back({{"name", s.name},
                   {"datatype", declared ? std::string(DataTypeName(s.dtype)) : std::string()},
                   {"shape", declared ? json(s.shape) : json::array({-1})}});
  }
  return out;
}

}  // namespace

V2Api::Route V2Api::Parse(const std::string& path) {
  Route r;
  if (path == "/v2" || path == "/v2/") {
    r.kind = Route::kServer;
    return r;
  }
  if (path == "/v2/health/live") {
    r.kind = Route::kLive;
    return r;
  }
  if (path == "/v2/health/ready") {
    r.kind = Route::kReady;
    return r;
  }
  constexpr std::string_view kModels = "/v2/models/";
  if (path.rfind(kModels, 0) != 0) {
    r.error = "no route for " + path;
    return r;
  }
  // {m}[/versions/{v}][/ready|/infer]
  std::vector<std::string> parts;
  size_t start = kModels.size();
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  if (parts.empty() || parts[0].empty()) {
    r.error = "no model named in " + path;
    return r;
  }
  r.model = parts[0];
  size_t i = 1;
  if (parts.size() >= 3 && parts[1] == "versions") {
    int64_t v = 0;
    const std::string& text = parts[2];
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v <= 0) {
      r.error = "version '" + text + "' is not a positive integer";
      return r;
    }
    r.version = v;
    i = 3;
  }
  if (i == parts.size()) {
    r.kind = Route::kModel;
  } else if (i + 1 == parts.size() && parts[i] == "ready") {
    r.kind = Route::kModelReady;
  } else if (i + 1 == parts.size() && parts[i] == "infer") {
    r.kind = Route::kInfer;
  } else {
    r.error = "no route for " + path;
  }
  return r;
}

Result<V2Api::Target> V2Api::Resolve(const Route& route) const {
  const ServedModel* m = models_ ? models_->Find(route.model) : nullptr;
  if (m == nullptr) {
    return NotFound("unknown model '" + route.model + "'" +
                    (models_ ? "" : " (the server was started without --models)"));
  }
  if (route.version && m->versions.count(*route.version) == 0) {
    return NotFound("model '" + route.model + "' has no version " + std::to_string(*route.version));
  }
  const ModelVersion* v = m->Find(route.version);
  if (v == nullptr) {
    std::string why = route.version && m->status.ok() ? m->versions.at(*route.version).status.message()
                                                      : m->NotReadyReason();
    return Unavailable("model '" + route.model + "' is not ready: " + why);
  }
  return Target{m, v};
}

Result<V2Api::Metadata> V2Api::DescribeModel(const Route& route) const {
  const ServedModel* m = models_ ? models_->Find(route.model) : nullptr;
  if (m == nullptr) return Resolve(route).status();
  if (route.version && m->versions.count(*route.version) == 0) return Resolve(route).status();
  Metadata meta;
  meta.name = m->name;
  for (const auto& [n, v] : m->versions) {
    if (v.ready()) meta.versions.push_back(std::to_string(n));
  }
  const ModelVersion* v = m->Find(route.version);
  const bool python = v != nullptr ? v->backend == BackendKind::kPython
                                   : !m->versions.empty() && m->versions.rbegin()->second.backend == BackendKind::kPython;
  meta.platform = python ? "python" : "pytorch_libtorch";
  meta.declared = m->config.declared;
  if (v != nullptr) {
    meta.inputs = m->InputSpecs(*v);
    meta.outputs = m->config.outputs;
  } else {
    meta.error = m->NotReadyReason();
  }
  return meta;
}

HttpReply V2Api::HandleMetadata(const Route& route, const std::string& method, bool server_ready) const {
  if (method != "GET") {
    HttpReply r = JsonReply(405, RenderError("method " + method + " not allowed here (use GET)"));
    r.headers.emplace_back("Allow", "GET");
    return r;
  }
  switch (route.kind) {
    case Route::kServer:
      return JsonReply(
          200, json{{"name", "switchyard"}, {"version", "0.1.0"}, {"extensions", json::array({"binary_tensor_data"})}}.dump());
    case Route::kLive:
      return JsonReply(200, R"({"live":true})");
    case Route::kReady:
      return server_ready ? JsonReply(200, R"({"ready":true})")
                          : ErrorReply(Unavailable("workers are starting"));
    case Route::kModelReady: {
      auto r = Resolve(route);
      if (!r.ok() && r.status().code() == StatusCode::kNotFound) return ErrorReply(r.status());
      // Triton answers 400 for a model that exists but is not ready.
      if (!r.ok()) return JsonReply(400, RenderError(r.status().message()));
      return JsonReply(200, json{{"name", route.model}, {"ready", true}}.dump());
    }
    case Route::kModel: {
      auto m = DescribeModel(route);
      if (!m.ok()) return ErrorReply(m.status());
      json meta = {{"name", m->name},
                   {"versions", m->versions},
                   {"platform", m->platform},
                   {"inputs", SpecsJson(m->inputs, m->declared)},
                   {"outputs", SpecsJson(m->outputs, m->declared)}};
      if (!m->error.empty()) meta["error"] = m->error;
      return JsonReply(200, meta.dump());
    }
    default:
      return JsonReply(404, RenderError(route.error.empty() ? "no such route" : route.error));
  }
}

namespace {

// The body's JSON and the binary data after it (the binary tensor
// extension), as Inference-Header-Content-Length splits them.
Result<std::pair<std::string_view, std::string_view>> SplitBody(const HttpRequest& request) {
  const std::string_view body = request.body;
  if (request.inference_header_length.empty()) {
    // Media types are case-insensitive (RFC 9110): Application/Octet-Stream too.
    std::string type = request.content_type.substr(0, 24);
    for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (type == "application/octet-stream") {
      return InvalidArgument(
          "a Content-Type: application/octet-stream body needs the Inference-Header-Content-Length header "
          "(the length of the JSON at its start; the binary tensor data follows)");
    }
    return std::make_pair(body, std::string_view());
  }
  const std::string& text = request.inference_header_length;
  uint64_t length = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), length);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return InvalidArgument("Inference-Header-Content-Length '" + text.substr(0, 40) +
                           "' is not a non-negative integer");
  }
  if (length > body.size()) {
    return InvalidArgument("Inference-Header-Content-Length is " + std::to_string(length) +
                           " but the body has only " + std::to_string(body.size()) + " bytes");
  }
  // 0 means the whole body is JSON, as Triton reads it.
  if (length == 0) return std::make_pair(body, std::string_view());
  return std::make_pair(body.substr(0, length), body.substr(length));
}

// A batching model's request: its rows (the inputs' common first
// dimension, 1..max_batch_size) and, with dynamic batching, the key of the
// requests it may be stacked with.
Status SetBatch(const ServedModel& model, const ModelVersion& version, const InferRequest& request, Job& job) {
  const ModelConfig& config = model.config;
  if (config.max_batch_size == 0) return Status::Ok();
  int64_t rows = -1;
  std::string key = model.name + '\n' + std::to_string(version.version);
  for (const HostTensor& t : request.payload.inputs) {
    if (t.shape.empty()) return InvalidArgument("input '" + t.name + "' has no batch dimension (shape [])");
    if (rows >= 0 && t.shape[0] != rows) {
      return InvalidArgument("the inputs' first dimensions differ (" + std::to_string(rows) + " and " +
                             std::to_string(t.shape[0]) + " in '" + t.name + "'): it is the batch, the same for every input");
    }
    rows = t.shape[0];
    if (rows < 1 || rows > config.max_batch_size) {
      return InvalidArgument("input '" + t.name + "' carries a batch of " + std::to_string(rows) +
                             "; the model takes 1 to " + std::to_string(config.max_batch_size) + " (max_batch_size)");
    }
    key += '\n' + std::string(DataTypeName(t.dtype));
    for (size_t d = 1; d < t.shape.size(); ++d) key += 'x' + std::to_string(t.shape[d]);
  }
  if (config.dynamic_batching == nullptr) return Status::Ok();
  for (const std::string& o : request.payload.outputs) key += "\n>" + o;
  job.batch_key = std::move(key);
  job.batch_rows = rows;
  job.batch_rules = config.dynamic_batching;
  return Status::Ok();
}

}  // namespace

Result<V2Api::Prepared> V2Api::PrepareInfer(const Route& route, const HttpRequest& request) const {
  auto target = Resolve(route);
  if (!target.ok()) return target.status();
  auto split = SplitBody(request);
  if (!split.ok()) return split.status();
  auto parsed = ParseInferRequest(split->first, split->second, target->model->InputSpecs(*target->version),
                                  target->model->config.declared, limits_);
  if (!parsed.ok()) return parsed.status();
  return Prepare(*target, std::move(parsed).value());
}

Result<V2Api::Prepared> V2Api::Prepare(const Target& target, InferRequest parsed) {
  const ServedModel* model = target.model;
  const ModelVersion* version = target.version;
  if (model->config.declared) {
    for (const std::string& wanted : parsed.payload.outputs) {
      bool known = false;
      for (const TensorSpec& o : model->config.outputs) known = known || o.name == wanted;
      if (!known) return InvalidArgument("unknown output '" + wanted + "' requested");
    }
  }
  Prepared p;
  p.model_name = model->name;
  p.model_version = version->version;
  p.id = parsed.id;
  p.encoding = std::move(parsed.encoding);
  p.job.request.mode = ScoreMode::kInfer;
  p.job.request.model = model->name;
  p.job.request.model_version = version->version;
  p.job.request.data = EncodeInferPayload(parsed.payload);
  p.job.priority = parsed.priority;
  p.job.timeout_us = parsed.timeout_us;
  Status batch = SetBatch(*model, *version, parsed, p.job);
  if (!batch.ok()) return batch;
  return p;
}

HttpReply V2Api::RenderInferReply(const Prepared& p, std::string_view output_tensors) {
  auto tensors = DecodeTensors(output_tensors);
  if (!tensors.ok()) return ErrorReply(Internal("the worker's reply: " + tensors.status().message()));
  RenderedOutputs outputs = RenderOutputs(*tensors, p.encoding);
  std::string out;
  out.reserve(outputs.json.size() + outputs.binary.size() + 96);
  out = "{\"model_name\":" + json(p.model_name).dump() + ",\"model_version\":\"" +
        std::to_string(p.model_version) + "\"";
  if (!p.id.empty()) out += ",\"id\":" + json(p.id).dump();
  out += ",\"outputs\":" + outputs.json + "}";
  HttpReply reply = JsonReply(200, std::move(out));
  if (outputs.any_binary) {
    reply.headers.emplace_back("Inference-Header-Content-Length", std::to_string(reply.body.size()));
    reply.headers.emplace_back("Content-Type", "application/octet-stream");
    reply.body += outputs.binary;
  }
  return reply;
}

}  // namespace switchyard
