#include "loadgen/load_phase.h"

#include <nlohmann/json.hpp>

#include "config/toml_reader.h"

namespace switchyard {
namespace {

Result<std::vector<LoadPhase>> PhasesOf(const TomlDocument& doc) {
  TomlTable root = doc.root();
  Status keys = root.CheckKeys({"phase"});
  if (!keys.ok()) return keys;
  auto tables = root.Tables("phase");
  if (!tables.ok()) return tables.status();
  if (tables->empty()) return InvalidArgument(root.file() + ": no [[phase]] tables");
  std::vector<LoadPhase> phases;
  for (const TomlTable& t : *tables) {
    Status known = t.CheckKeys({"name", "duration", "rate", "connections", "arrivals", "mix"});
    if (!known.ok()) return known;
    LoadPhase p;
    auto name = t.OptString("name");
    if (!name.ok()) return name.status();
    p.name = name->value_or("phase " + std::to_string(phases.size() + 1));
    auto duration = t.OptDurationUs("duration");
    if (!duration.ok()) return duration.status();
    if (!*duration) return t.Error("duration", "missing (e.g. duration = \"20s\")");
    p.duration_us = **duration;
    auto rate = t.OptNumber("rate", /*positive=*/true);
    if (!rate.ok()) return rate.status();
    p.rate = *rate;
    auto connections = t.OptInt("connections", 1, kMaxConnections);
    if (!connections.ok()) return connections.status();
    if (!p.rate && !*connections) return t.Error("rate", "give rate (open loop) or connections (closed loop)");
    p.connections = static_cast<int>(connections->value_or(p.rate ? kDefaultOpenLoopConnections : 0));
    auto arrivals = t.OptString("arrivals");
    if (!arrivals.ok()) return arrivals.status();
    if (*arrivals) {
      if (!p.rate) return t.Error("arrivals", "only an open-loop phase (with rate) has arrivals");
      auto a = ParseArrivals(**arrivals);
      if (!a.ok()) return t.Error("arrivals", a.status().message());
      p.arrivals = *a;
    }
    auto mix = t.String("mix");
    if (!mix.ok()) return mix.status();
    auto parsed = RequestMix::Parse(*mix);
    if (!parsed.ok()) return t.Error("mix", parsed.status().message());
    p.mix = std::move(parsed).value();
    phases.push_back(std::move(p));
  }
  return phases;
}

}  // namespace

std::string LoadPhase::LoadJson() const {
  nlohmann::json j;
  if (rate) {
    j = {{"mode", "open"}, {"rate", *rate}, {"arrivals", ArrivalsName(arrivals)}, {"connections", connections}};
  } else {
    j = {{"mode", "closed"}, {"connections", connections}};
  }
  return j.dump();
}

Result<std::vector<LoadPhase>> ParsePhases(std::string_view toml_text, const std::string& name) {
  auto doc = TomlDocument::Parse(toml_text, name);
  if (!doc.ok()) return doc.status();
  return PhasesOf(**doc);
}

Result<std::vector<LoadPhase>> LoadPhasesFile(const std::string& path) {
  auto doc = TomlDocument::Load(path);
  if (!doc.ok()) return doc.status();
  return PhasesOf(**doc);
}

}  // namespace switchyard
